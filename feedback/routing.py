"""Routing: which completed responses need a follow-up, who owns it, and by when.

Exactly one follow-up per response: the unique constraint on FollowUp.response holds it,
whether the completion task, a second worker or the sweep gets there first. Proactive
follow-ups (feedback.health.alerts) open through the same follow_up_open as these.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from feedback import notifications, sla
from feedback.health.marks import health_mark
from feedback.models import (
    Answer,
    BusinessCalendar,
    FollowUp,
    FollowUpEvent,
    RoutingRule,
    SurveyResponse,
    WebhookEvent,
)
from feedback.webhooks import events as webhook_events
from surveys import access, segments
from surveys.models import Question, Team
from vocsite.queueing import sweep_grace

logger = logging.getLogger(__name__)

UNHAPPY = {Question.Kind.NPS: range(0, 7), Question.Kind.CSAT: range(1, 3), Question.Kind.CES: range(1, 4)}
HAPPY = {Question.Kind.NPS: range(9, 11), Question.Kind.CSAT: range(4, 6), Question.Kind.CES: range(5, 8)}


@dataclass(frozen=True)
class ResponseFacts:
    """What rules look at, read once per response."""

    response: SurveyResponse
    score_group: str
    sentiments: frozenset[str]
    theme_ids: frozenset[int]


def score_group(kind: str, score: int | None) -> str:
    """detractor / passive / promoter for a scored question kind, or "" without a score."""
    if score is None or kind not in UNHAPPY:
        return ""
    if score in UNHAPPY[kind]:
        return "detractor"
    if score in HAPPY[kind]:
        return "promoter"
    return "passive"


def response_facts(response: SurveyResponse) -> ResponseFacts:
    answers = list(Answer.objects.filter(response=response).select_related("question").prefetch_related("themes"))
    scored = [a for a in sorted(answers, key=lambda a: (a.question.page, a.question.position)) if a.number is not None]
    group = score_group(scored[0].question.kind, scored[0].number) if scored else ""
    return ResponseFacts(
        response=response,
        score_group=group,
        sentiments=frozenset(a.sentiment for a in answers if a.sentiment),
        theme_ids=frozenset(theme.pk for a in answers for theme in a.themes.all()),
    )


def rule_matches(rule: RoutingRule, facts: ResponseFacts) -> bool:
    """Whether every condition the rule sets holds for the response."""
    response = facts.response
    checks = [
        rule.survey_id is None or rule.survey_id == response.survey_id,
        not rule.score_group or rule.score_group == facts.score_group,
        not rule.sentiment or rule.sentiment in facts.sentiments,
        rule.theme_id is None or rule.theme_id in facts.theme_ids,
        not rule.language or rule.language == response.language,
    ]
    if not all(checks):
        return False
    if rule.segment_id is None:
        return True
    members = segments.segment_contacts(segment=rule.segment)
    return response.contact_id is not None and members.filter(pk=response.contact_id).exists()


def fallback_owner() -> AbstractBaseUser:
    """Who owns a follow-up when nobody else can: FALLBACK_OWNER, else the first active superuser."""
    users = get_user_model().objects.filter(is_active=True)
    named = getattr(settings, "FALLBACK_OWNER", "")
    owner = users.filter(username=named).first() if named else None
    owner = owner or users.filter(is_superuser=True).order_by("pk").first()
    if owner is None:
        raise RuntimeError("No active user can own follow-ups: create a superuser or set FALLBACK_OWNER.")
    return owner


def owner_for(rule: RoutingRule, response: SurveyResponse) -> tuple[AbstractBaseUser, Team | None]:
    """The rule's owner if they can act, else the fallback; never nobody."""
    if rule.owner_mode == RoutingRule.OwnerMode.USER and rule.owner_user and rule.owner_user.is_active:
        return rule.owner_user, rule.team
    if rule.owner_mode == RoutingRule.OwnerMode.TEAM and rule.team is not None:
        member = team_next_member(team=rule.team)
        if member is not None:
            return member, rule.team
    if rule.owner_mode == RoutingRule.OwnerMode.ACCOUNT_OWNER and response.contact is not None:
        contact = response.contact
        # The account's owner first; a contact without one keeps its own owner, as before accounts.
        candidates = [contact.account.owner if contact.account else None, contact.account_owner]
        owner = next((user for user in candidates if user is not None and user.is_active), None)
        if owner is not None:
            return owner, rule.team
    return fallback_owner(), rule.team


def team_next_member(*, team: Team) -> AbstractBaseUser | None:
    """The next active manager or agent in turn; the counter moves atomically, inactive users are skipped."""
    members = list(
        get_user_model()
        .objects.filter(is_active=True, memberships__team=team, memberships__role__in=access.FOLLOW_UP_OWNER_ROLES)
        .order_by("pk")
    )
    if not members:
        return None
    with transaction.atomic():
        position = Team.objects.select_for_update().values_list("round_robin_position", flat=True).get(pk=team.pk)
        Team.objects.filter(pk=team.pk).update(round_robin_position=F("round_robin_position") + 1)
    return members[position % len(members)]


def working_hours(calendar: BusinessCalendar | None) -> sla.WorkingHours | None:
    if calendar is None:
        return None
    return sla.WorkingHours(
        timezone=calendar.timezone,
        workdays=frozenset(calendar.workdays),
        day_start=calendar.day_start,
        day_end=calendar.day_end,
        holidays=frozenset(date.fromisoformat(day) for day in calendar.holidays),
    )


def response_route(*, response_id: int) -> FollowUp | None:
    """Apply the routing rules to a completed response; create its one follow-up if needed."""
    response = (
        SurveyResponse.objects.select_related("contact__account_owner", "contact__account__owner", "survey")
        .filter(pk=response_id, status=SurveyResponse.Status.COMPLETED)
        .first()
    )
    if response is None:
        return None
    existing = FollowUp.objects.filter(Q(response=response) | Q(attached_responses=response)).first()
    if existing is not None:
        return existing
    facts = response_facts(response)
    rules = RoutingRule.objects.filter(active=True).select_related("owner_user", "team", "calendar", "segment")
    rule = next((rule for rule in rules if rule_matches(rule, facts)), None)
    follow_up = None
    if rule is not None and rule.creates_follow_up:
        follow_up = _open_follow_up_to_join(response, rule) or _follow_up_create(response, rule)
    SurveyResponse.objects.filter(pk=response.pk, routed_at__isnull=True).update(routed_at=timezone.now())
    return follow_up


def _open_follow_up_to_join(response: SurveyResponse, rule: RoutingRule) -> FollowUp | None:
    """The contact's open follow-up, with this response attached to it, when the rule says so."""
    if not rule.attach_to_open_follow_up or response.contact_id is None:
        return None
    with transaction.atomic():
        existing = (
            FollowUp.objects.open()
            .select_for_update()
            .filter(contact_id=response.contact_id)
            .exclude(response=response)
            .order_by("created_at")
            .first()
        )
        if existing is None:
            return None
        attached = SurveyResponse.objects.filter(pk=response.pk, attached_to__isnull=True).update(attached_to=existing)
        if attached:
            FollowUpEvent.objects.create(
                follow_up=existing,
                kind=FollowUpEvent.Kind.NOTE,
                note=f"Another response from this customer was attached (score {response.score}).",
            )
    return existing


def _follow_up_create(response: SurveyResponse, rule: RoutingRule) -> FollowUp:
    owner, team = owner_for(rule, response)
    try:
        with transaction.atomic():
            follow_up = follow_up_open(
                owner=owner,
                team=team,
                priority=rule.priority,
                sla_hours=rule.sla_hours,
                calendar=rule.calendar,
                remind_before_hours=rule.remind_before_hours,
                escalate_every_hours=rule.escalate_every_hours,
                note=rule.name,
                response=response,
                survey_id=response.survey_id,
                contact=response.contact,
                account_id=response.contact.account_id if response.contact else None,
                rule=rule,
            )
    except IntegrityError:
        # Another worker or the sweep created it first: there is exactly one, and it is that one.
        return FollowUp.objects.get(response=response)
    logger.info("Follow-up %s created for response %s, owner %s", follow_up.pk, response.pk, owner)
    return follow_up


def follow_up_open(
    *,
    owner: AbstractBaseUser,
    team: Team | None,
    priority: str,
    sla_hours: int,
    calendar: BusinessCalendar | None,
    remind_before_hours: int,
    escalate_every_hours: int,
    note: str,
    **origin: object,
) -> FollowUp:
    """Open a follow-up (of a response or of a health alert): due by its SLA, owner told, health marked.

    origin names what it is about: response, survey, contact and rule, or alert and account.
    The caller holds the transaction (and catches the IntegrityError of a lost race).
    """
    now = timezone.now()
    due = sla.due_at(now, sla_hours, working_hours(calendar))
    remind = due - timedelta(hours=remind_before_hours) if remind_before_hours else None
    follow_up = FollowUp.objects.create(
        **origin,
        priority=priority,
        owner=owner,
        team=team,
        due_at=due,
        remind_at=remind if remind and remind > now else None,
        escalate_every_hours=escalate_every_hours,
        next_escalation_at=due,
    )
    FollowUpEvent.objects.create(follow_up=follow_up, kind=FollowUpEvent.Kind.CREATED, note=note)
    FollowUpEvent.objects.create(follow_up=follow_up, kind=FollowUpEvent.Kind.ASSIGNED, to_value=owner.get_username())
    notifications.notify_assigned(follow_up=follow_up, step=1)
    webhook_events.follow_up_changed(follow_up=follow_up, event=WebhookEvent.FOLLOW_UP_CREATED)
    if follow_up.response_id is not None:  # a customer's open problem counts against their health
        health_mark(contact_ids=[follow_up.contact_id], account_ids=[follow_up.account_id])
    return follow_up


def responses_route_unrouted(*, now: datetime) -> int:
    """The sweep: route completed responses whose routing task was lost (and mark their health)."""
    rows = list(
        SurveyResponse.objects.completed()
        .filter(routed_at__isnull=True, completed_at__lt=now - sweep_grace())
        .order_by("pk")
        .values_list("pk", "contact_id", "contact__account_id")[:1000]
    )
    for pk, _contact, _account in rows:
        response_route(response_id=pk)
    health_mark(contact_ids=[row[1] for row in rows], account_ids=[row[2] for row in rows])
    return len(rows)


def unhappy_responses(responses: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
    """Responses with an unhappy score (by question kind) or a negative free-text answer."""
    unhappy_score = Q()
    for kind, scores in UNHAPPY.items():
        unhappy_score |= Q(question__kind=kind, number__in=list(scores))
    unhappy_answer = Answer.objects.filter(unhappy_score | Q(sentiment="negative"), response=OuterRef("pk"))
    return responses.filter(Exists(unhappy_answer))
