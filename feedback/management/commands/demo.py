"""Set up a demo on the embedded default: migrate, seed a bilingual NPS survey, serve."""

import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from feedback import loop
from feedback.answering import FIELD_PREFIX, response_save_page
from feedback.health import services as health
from feedback.health.marks import health_mark
from feedback.models import DigestSubscription, FollowUp, RootCause, SurveyResponse
from feedback.rollups import rollups_rebuild
from surveys import distributions, services
from surveys.models import (
    Account,
    Contact,
    Distribution,
    Invitation,
    Language,
    Membership,
    Role,
    Survey,
    Team,
    Touchpoint,
)
from surveys.periodic import periodic_tick

DEMO_SURVEY_NAME = "Demo: customer NPS"
DEMO_TEAM_NAME = "Customer care"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "vocsite-demo"
# One person per team role, all with the admin's password: log in as each to see what the role sees.
DEMO_PEOPLE = [
    ("manager", Role.MANAGER, "team manager: the team's surveys, customers, follow-ups and digests"),
    ("agent", Role.AGENT, "agent: the team's feedback and their own follow-ups"),
    ("designer", Role.DESIGNER, "designer: digests and aggregated metrics, never a customer's details"),
    ("viewer", Role.VIEWER, "viewer: everything of the team, read-only"),
]

# (score, language, follow-up text) — the kind of answers a software company gets.
DEMO_ANSWERS: list[tuple[int, str, str]] = [
    (10, "en", "Support answered in five minutes and fixed it on the call."),
    (9, "en", "The new dashboard saves me an hour every Monday."),
    (9, "en", "Easy to set up, and the import just worked."),
    (10, "en", "Best onboarding I've had with any vendor."),
    (8, "en", "Good product, but the mobile app is slow to load."),
    (7, "en", "Reports are useful, exporting to Excel is clumsy."),
    (8, "en", "Works well. Would like single sign-on."),
    (6, "en", "I waited forty minutes on hold before anyone answered."),
    (3, "en", "The invoice was wrong two months in a row and nobody called back."),
    (5, "en", "Search never finds the customer I type in."),
    (2, "en", "The app logged me out three times during a demo to my boss."),
    (4, "en", "Price went up 30% with no warning."),
    (0, "en", "Cancelled after the outage. Lost a whole day of orders."),
    (9, "en", "Friendly team, quick answers."),
    (10, "en", "Honestly the best tool we pay for."),
    (6, "en", "Setup took two weeks instead of two days."),
    (7, "en", "Fine, nothing special."),
    (9, "en", "The Slack integration is great."),
    (1, "en", "Data export has been broken since the last update."),
    (8, "en", "Good value for a small team."),
    (10, "zh-hans", "客服响应很快，问题当天就解决了。"),
    (9, "zh-hans", "界面简洁，上手很容易。"),
    (9, "zh-hans", "报表功能帮我们节省了很多时间。"),
    (8, "zh-hans", "整体不错，但是手机端加载有点慢。"),
    (7, "zh-hans", "功能够用，价格偏贵。"),
    (6, "zh-hans", "打客服电话等了四十分钟才有人接。"),
    (3, "zh-hans", "发票连续两个月开错了，也没人回电话。"),
    (2, "zh-hans", "系统经常卡顿，导出数据总是失败。"),
    (5, "zh-hans", "搜索功能找不到客户，很不方便。"),
    (0, "zh-hans", "服务中断了一整天，损失了很多订单。"),
    (10, "zh-hans", "非常好用，已经推荐给朋友了。"),
    (9, "zh-hans", "培训很专业，团队很耐心。"),
    (4, "zh-hans", "涨价没有提前通知。"),
    (8, "zh-hans", "还可以，希望支持单点登录。"),
    (10, "zh-hans", "数据导入很顺利，体验很好。"),
    (6, "zh-hans", "部署时间比预期长了很多。"),
]
# (name, tier, annual revenue, renewal in days, indexes into DEMO_ANSWERS of its contacts, days ago of
# each answer): Northwind's promoters of last month turned detractors this week, so its health falls.
DEMO_ACCOUNTS: list[tuple[str, str, int, int | None, list[int], list[int]]] = [
    ("Northwind Trading", "enterprise", 240000, 45, [0, 1, 8, 10, 12, 18], [50, 45, 5, 3, 1, 2]),
    ("Contoso Retail", "business", 86000, 210, [3, 13, 14, 17, 20], [30, 22, 15, 9, 4]),
    ("Fabrikam Labs", "team", 24000, 25, [4, 5, 7, 9], [35, 28, 12, 6]),
    ("Tailspin Travel", "starter", 6000, None, [21, 22], [20, 10]),
]
# Touchpoints: the NPS survey asks about product use; a CSAT survey each about support and onboarding,
# so the dashboard compares the two stages (support is clearly the weaker) and a CES survey too.
DEMO_STAGES: list[tuple[str, str, str, list[int]]] = [
    ("support", "csat", "Support satisfaction (CSAT)", [5, 4, 5, 2, 1, 4, 3, 2, 5, 1, 2, 4, 1, 2]),
    ("onboarding", "csat", "Onboarding satisfaction (CSAT)", [5, 5, 4, 5, 4, 5, 3, 5, 4, 5, 5, 4]),
    ("onboarding", "ces", "Onboarding effort (CES)", [6, 7, 5, 6, 4, 7, 6, 5, 7, 6]),
]
EN_NAMES = ["Alice Martin", "Ben Carter", "Chloe Davis", "Daniel Evans", "Emma Foster", "Felix Grant", "Grace Hill"]
ZH_NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊"]


class Command(BaseCommand):
    help = "Migrate, seed a demo (a bilingual NPS survey with responses, a team with every role) and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Seed and print the URLs, but do not serve.")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_admin()
        team = self._ensure_team()
        survey = Survey.objects.filter(name=DEMO_SURVEY_NAME).first() or self._seed(team)
        self._print_links(survey)
        if not options["no_serve"]:
            call_command("runserver", options["addrport"], use_reloader=False)

    def _ensure_admin(self) -> None:
        users = get_user_model()
        if not users.objects.filter(username=ADMIN_USERNAME).exists():
            users.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)

    def _ensure_team(self) -> Team:
        """The demo team, with a person in each team role (the memberships are seeded, not audited)."""
        team, _created = Team.objects.get_or_create(name=DEMO_TEAM_NAME)
        users = get_user_model()
        for username, role, _what in DEMO_PEOPLE:
            user = users.objects.filter(username=username).first()
            if user is None:
                user = users.objects.create_user(
                    username, f"{username}@example.com", ADMIN_PASSWORD, is_staff=True, first_name=username.title()
                )
            Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
        return team

    def _seed(self, team: Team) -> Survey:
        """A live survey sent through a real distribution (emails land in the mail folder), then answered."""
        with transaction.atomic():
            survey = services.survey_create_from_template(template="nps", name=DEMO_SURVEY_NAME, team=team)
            survey.anonymous_link_enabled = True
            survey.save(update_fields=["anonymous_link_enabled"])
            services.survey_publish(survey=survey)
            for template in ["csat", "ces", "enps"]:
                services.survey_create_from_template(template=template, team=team)
            contacts = self._contacts(team)
            distribution = Distribution.objects.create(name="Demo: spring check-in", survey=survey, reminder_days=[3])
            distribution.contacts.set(contacts)
            distributions.distribution_schedule(distribution=distribution)
        # Tasks run in-process on the embedded default: the tick materialises and sends.
        periodic_tick(now=timezone.now())
        invitations = {i.contact_id: i for i in Invitation.objects.filter(distribution=distribution)}
        for contact, (score, language, text) in zip(contacts, DEMO_ANSWERS, strict=False):
            self._answer(invitations[contact.pk], score, language, text)
        self._spread_over_past_weeks(survey, random.Random(7))
        self._answer_other_stages(team, contacts)
        accounts = self._accounts(team, contacts)
        self._work_some_follow_ups()
        designer = get_user_model().objects.get(username="designer")
        DigestSubscription.objects.create(name="Design team", team=team, user=designer, cadence="weekly")
        rollups_rebuild()
        self._health(accounts, contacts)
        return survey

    def _accounts(self, team: Team, contacts: list[Contact]) -> list[Account]:
        """Four customer companies of the team with their contacts, answers dated to tell a story."""
        admin = get_user_model().objects.get(username=ADMIN_USERNAME)
        today = timezone.localdate()
        accounts = []
        for name, tier, revenue, renewal, indexes, days_ago in DEMO_ACCOUNTS:
            account = Account.objects.create(
                team=team,
                name=name,
                owner=admin,
                tier=tier,
                annual_revenue=revenue,
                renewal_date=today + timedelta(days=renewal) if renewal else None,
                attributes={"region": "APAC" if "Tailspin" in name else "EMEA"},
            )
            members = [contacts[index] for index in indexes]
            Contact.objects.filter(pk__in=[contact.pk for contact in members]).update(account=account)
            for contact, days in zip(members, days_ago, strict=True):
                when = timezone.now() - timedelta(days=days, hours=2)
                responses = SurveyResponse.objects.filter(contact=contact, survey__name=DEMO_SURVEY_NAME)
                responses.update(started_at=when, completed_at=when, updated_at=when)
                Invitation.objects.filter(response__in=responses).update(
                    sent_at=when - timedelta(hours=3), responded_at=when
                )
            accounts.append(account)
        return accounts

    def _answer_other_stages(self, team: Team, contacts: list[Contact]) -> None:
        """Surveys about support and onboarding, each answered by a dozen customers over the weeks."""
        Survey.objects.filter(name=DEMO_SURVEY_NAME).update(touchpoint=Touchpoint.objects.get(key="product_use"))
        chooser = random.Random(11)
        # Customers of the demo accounts stay out of these, so each account's story stays its own.
        in_accounts = {index for *_account, indexes, _days in DEMO_ACCOUNTS for index in indexes}
        pool = [contact for index, contact in enumerate(contacts[: len(DEMO_ANSWERS)]) if index not in in_accounts]
        for stage, kind, name, scores in DEMO_STAGES:
            survey = services.survey_create_from_template(template=kind, name=name, team=team)
            Survey.objects.filter(pk=survey.pk).update(touchpoint=Touchpoint.objects.get(key=stage))
            services.survey_publish(survey=survey)
            for contact, score in zip(chooser.sample(pool, len(scores)), scores, strict=True):
                invitation = services.invitation_create_personal(survey=survey, contact=contact)
                saved = response_save_page(
                    token=invitation.token, page=1, data={FIELD_PREFIX + kind: [str(score)]}, language=contact.language
                )
                while saved.next_page is not None:
                    saved = response_save_page(
                        token=invitation.token, page=saved.next_page, data={}, language=contact.language
                    )
                when = timezone.now() - timedelta(days=chooser.uniform(1, 50))
                SurveyResponse.objects.filter(pk=saved.response_id).update(
                    started_at=when, completed_at=when, updated_at=when
                )

    def _health(self, accounts: list[Account], contacts: list[Contact]) -> None:
        """Health as it stood each week of the last two months, then today, with the alert rules run."""
        account_ids = [account.pk for account in accounts]
        health.health_rebuild_history(account_ids=account_ids, days=56, step=7)
        health_mark(account_ids=account_ids, contact_ids=[contact.pk for contact in contacts])
        while health.health_refresh_dirty():
            pass

    def _work_some_follow_ups(self) -> None:
        """Resolve half of the demo's follow-ups, so the loop figures and digests have causes."""
        admin = get_user_model().objects.get(username=ADMIN_USERNAME)
        causes = list(RootCause.objects.filter(active=True).order_by("name"))
        for index, follow_up in enumerate(FollowUp.objects.order_by("pk")):
            if index % 2 == 0:
                loop.follow_up_start(follow_up=follow_up, by=admin)
                loop.follow_up_resolve(
                    follow_up=follow_up,
                    by=admin,
                    root_cause=causes[index % len(causes)],
                    note="Called the customer and fixed it.",
                    shared_note="We called you and fixed the problem. Thank you for telling us.",
                )

    def _contacts(self, team: Team) -> list[Contact]:
        """The team's customers; the agent owns their accounts, so their follow-ups are the agent's."""
        chooser = random.Random(7)
        agent = get_user_model().objects.get(username="agent")
        contacts = []
        languages = [language for _score, language, _text in DEMO_ANSWERS] + [Language.ENGLISH, Language.CHINESE]
        for number, language in enumerate(languages, start=1):
            names = ZH_NAMES if language == Language.CHINESE else EN_NAMES
            contacts.append(
                Contact(
                    team=team,
                    account_owner=agent,
                    email=f"customer{number}@example.com",
                    name=names[number % len(names)] if number <= len(DEMO_ANSWERS) else "",
                    language=language,
                    attributes={"plan": chooser.choice(["starter", "team", "enterprise"])},
                )
            )
        return Contact.objects.bulk_create(contacts)

    def _spread_over_past_weeks(self, survey: Survey, chooser: random.Random) -> None:
        """Date the demo responses over the last eight weeks, so lists and trends look real."""
        now = timezone.now()
        responses = list(SurveyResponse.objects.filter(survey=survey))
        for response in responses:
            started = now - timedelta(days=chooser.uniform(0, 56))
            response.started_at = started
            response.completed_at = response.updated_at = started + timedelta(minutes=chooser.uniform(1, 6))
        SurveyResponse.objects.bulk_update(responses, ["started_at", "completed_at", "updated_at"])
        for response in responses:
            Invitation.objects.filter(pk=response.invitation_id).update(responded_at=response.completed_at)

    def _answer(self, invitation: Invitation, score: int, language: str, text: str) -> None:
        follow_up = "disappointed" if score <= 6 else "improve" if score <= 8 else "loved"
        pages = [
            {FIELD_PREFIX + "nps": [str(score)]},
            {FIELD_PREFIX + follow_up: [text]},
            {FIELD_PREFIX + "may_contact": ["yes" if score <= 6 else "no"]},
        ]
        for page, data in enumerate(pages, start=1):
            response_save_page(token=invitation.token, page=page, data=data, language=language)

    def _print_links(self, survey: Survey) -> None:
        site = settings.SITE_URL
        unanswered = Invitation.objects.filter(survey=survey, responded_at__isnull=True).select_related("contact")
        lines = [
            "",
            "vocsite is ready.",
            f"  Admin:          {site}{reverse('admin:index')}",
            f"  Login:          {ADMIN_USERNAME} / {ADMIN_PASSWORD}",
            f"  Team logins ({DEMO_TEAM_NAME}, same password):",
            *[f"    {name:<9} {what}" for name, _role, what in DEMO_PEOPLE],
            f"  API docs:       {site}{reverse('api-docs')}",
            f"  Accounts at risk: {site}{reverse('feedback:accounts_at_risk')}",
            f"  Anonymous link: {survey.anonymous_url()}",
        ]
        lines += [
            f"  Answer as {inv.contact.email} ({inv.contact.language}): {inv.answer_url()}?score=9"
            for inv in unanswered
        ]
        lines.append(f"  Emails are written to: {getattr(settings, 'EMAIL_FILE_PATH', '(not a file backend)')}")
        self.stdout.write("\n".join(lines) + "\n")
