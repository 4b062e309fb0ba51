"""Two teams with a person in every role and one of each owned row: the world of the access tests.

North is the callers' team; south is the other team, whose rows they must never reach.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from feedback.models import (
    AlertRule,
    Answer,
    BusinessCalendar,
    DigestDelivery,
    DigestSubscription,
    FollowUp,
    FollowUpEvent,
    FollowUpNotification,
    HealthAlert,
    HealthBand,
    HealthScore,
    HealthWeight,
    RootCause,
    RoutingRule,
    StaffProfile,
    SurveyResponse,
    Theme,
    WebhookMessage,
    WebhookSubscription,
)
from feedback.webhooks import signing
from surveys import services
from surveys.audit import Action, audit_record
from surveys.models import (
    Account,
    AuditEvent,
    Contact,
    ContactErasure,
    ContactImport,
    Distribution,
    Invitation,
    InvitationEmail,
    Membership,
    Segment,
    SuppressedAddress,
    Survey,
    Team,
    Touchpoint,
)
from surveys.tokens import api_token_issue

User = get_user_model()
TEAM_ROLES = ("manager", "agent", "designer", "viewer")
ROLES = ("administrator", *TEAM_ROLES)


def make_person(username: str, *, team: Team | None, role: str) -> Any:
    """A staff user holding one role (an administrator's role has no team)."""
    # No password: the tests log in with force_login, and hashing one costs a noticeable moment.
    user = User.objects.create_user(username, f"{username}@staff.example", None, is_staff=True)
    Membership.objects.create(user=user, team=team, role=role)
    return user


@dataclass
class Side:
    """One team and one of each row it owns."""

    team: Team
    people: dict[str, Any]
    survey: Survey
    account: Account
    health: HealthScore
    alert: HealthAlert
    contact: Contact
    segment: Segment
    contact_import: ContactImport
    distribution: Distribution
    invitation: Invitation
    email: InvitationEmail
    response: SurveyResponse
    answer: Answer
    follow_up: FollowUp
    event: FollowUpEvent
    notification: FollowUpNotification
    subscription: DigestSubscription
    delivery: DigestDelivery
    rule: RoutingRule
    webhook: Any = None  # a WebhookSubscription (make_webhook)
    webhook_message: Any = None

    def row(self, name: str) -> Any:
        """A row of this side by name; "user" is one of the team's people."""
        return self.people["viewer"] if name == "user" else getattr(self, name)


@dataclass
class World:
    north: Side
    south: Side
    administrator: Any
    shared: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> Any:
        return self.administrator if role == "administrator" else self.north.people[role]

    def personal_strings(self) -> list[str]:
        """Customer names and addresses of both teams: a designer must never be shown one."""
        return [
            text
            for side in (self.north, self.south)
            for text in (side.contact.email, side.contact.name, side.account.name)
        ]


def make_side(name: str) -> Side:
    team = Team.objects.create(name=name.capitalize())
    people = {role: make_person(f"{role}-{name}", team=team, role=role) for role in TEAM_ROLES}
    survey = services.survey_create_from_template(template="nps", name=f"{name} NPS", team=team)
    services.survey_publish(survey=survey)
    account = Account.objects.create(team=team, name=f"Account {name.upper()}", annual_revenue=1000)
    now = timezone.now()
    # At risk, so the account is on the at-risk lists; an alert fired for it.
    health = HealthScore.objects.create(
        account=account, score=50, band=HealthBand.AT_RISK, change_30d=-10, computed_at=now, changed_at=now
    )
    alert = HealthAlert.objects.create(
        rule=AlertRule.objects.order_by("pk").first(), account=account, period=date(2026, 1, 5)
    )
    contact = Contact.objects.create(
        team=team, email=f"customer@{name}.example", name=f"Customer {name.upper()}", account=account
    )
    segment = Segment.objects.create(team=team, name=f"All of {name}", rules=[])
    contact_import = ContactImport.objects.create(
        team=team, file_name=f"{name}.csv", content=b"email\n", status=ContactImport.Status.DONE
    )
    distribution = Distribution.objects.create(name=f"{name} spring", survey=survey)
    distribution.contacts.set([contact])
    invitation = Invitation.objects.create(survey=survey, contact=contact, distribution=distribution)
    email = InvitationEmail.objects.create(invitation=invitation, due_at=timezone.now())
    response = SurveyResponse.objects.create(
        invitation=invitation,
        survey=survey,
        survey_version=survey.version,
        contact=contact,
        status=SurveyResponse.Status.COMPLETED,
        score=2,
        started_at=now,
        updated_at=now,
        completed_at=now,
        routed_at=now,
    )
    questions = {question.key: question for question in survey.current_questions()}
    Answer.objects.create(response=response, question=questions["nps"], number=2, answered_at=now)
    answer = Answer.objects.create(
        response=response, question=questions["disappointed"], text="The invoice was wrong twice.", answered_at=now
    )
    follow_up = FollowUp.objects.create(
        response=response,
        survey=survey,
        contact=contact,
        owner=people["agent"],
        team=team,
        due_at=now + timedelta(days=2),
    )
    event = FollowUpEvent.objects.create(follow_up=follow_up, kind=FollowUpEvent.Kind.CREATED)
    notification = FollowUpNotification.objects.create(
        follow_up=follow_up, kind=FollowUpNotification.Kind.ASSIGNED, recipient=people["agent"].email
    )
    subscription = DigestSubscription.objects.create(team=team, name=f"{name} design", user=people["designer"])
    subscription.surveys.set([survey])
    delivery = DigestDelivery.objects.create(
        subscription=subscription,
        period_start=date(2026, 1, 5),
        period_end=date(2026, 1, 12),
        status=DigestDelivery.Status.SENT,
    )
    # Inactive, so that no test routing a response of this survey meets it unawares.
    rule = RoutingRule.objects.create(
        name=f"{name} detractors", survey=survey, active=False, owner_mode=RoutingRule.OwnerMode.TEAM, team=team
    )
    side = Side(
        team=team,
        people=people,
        survey=survey,
        account=account,
        health=health,
        alert=alert,
        contact=contact,
        segment=segment,
        contact_import=contact_import,
        distribution=distribution,
        invitation=invitation,
        email=email,
        response=response,
        answer=answer,
        follow_up=follow_up,
        event=event,
        notification=notification,
        subscription=subscription,
        delivery=delivery,
        rule=rule,
    )
    side.webhook, side.webhook_message = make_webhook(team=team, contact=contact)
    return side


def make_webhook(*, team: Team, contact: Contact) -> tuple[Any, Any]:
    """A team's webhook subscription (to a public address literal: no DNS) and one message naming a customer."""
    webhook = WebhookSubscription.objects.create(
        team=team,
        url="https://203.0.113.10/hooks",
        events=["response.completed"],
        include_personal_data=True,
        secret_encrypted=signing.encrypt(signing.secret_new()),
    )
    body = f'{{"type":"response.completed","data":{{"contact":{{"email":"{contact.email}"}}}}}}'
    message = WebhookMessage.objects.create(
        subscription=webhook,
        event="response.completed",
        msg_id=f"msg_{team.pk}",
        body=body,
        contact=contact,
        created_at=timezone.now(),
        status=WebhookMessage.Status.DELIVERED,
    )
    return webhook, message


def make_world() -> World:
    """North and south, an administrator, and the rows no team owns (settings and shared lists)."""
    administrator = make_person("administrator", team=None, role="administrator")
    world = World(north=make_side("north"), south=make_side("south"), administrator=administrator)
    audit_record(actor=administrator, action=Action.MEMBERSHIP_GRANTED, target=world.north.team)
    world.shared = {
        "team": world.north.team,
        "membership": Membership.objects.get(user=world.north.people["agent"]),
        "auditevent": AuditEvent.objects.get(),
        "routingrule": RoutingRule.objects.order_by("pk").first(),
        "staffprofile": StaffProfile.objects.create(user=world.north.people["agent"]),
        "businesscalendar": BusinessCalendar.objects.create(name="Office", workdays=[0, 1, 2, 3, 4]),
        "rootcause": RootCause.objects.order_by("pk").first(),
        "theme": Theme.objects.order_by("pk").first(),
        "group": Group.objects.create(name="Old group"),
        "apitoken": api_token_issue(user=administrator, name="CRM sync", by=administrator).token,
        "contacterasure": ContactErasure.objects.create(contact_id=999_999, erased_at=timezone.now()),
        "suppressedaddress": SuppressedAddress.objects.create(address_hash="0" * 64),
        "touchpoint": Touchpoint.objects.order_by("pk").first(),
        "healthweight": HealthWeight.objects.order_by("pk").first(),
        "alertrule": AlertRule.objects.order_by("pk").first(),
    }
    return world
