"""What the health formula needs, read for a whole batch of accounts and contacts in six queries.

Everything is counted per contact in the database (grouped queries, never a query per contact)
and added up per account here, so a batch of 500 costs what a batch of one does. Every read is
relative to `now` and ignores what happened after it, so a score can be computed as of a past day.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, F, Max, Min, Q, Value, When, Window
from django.db.models.fields import BooleanField
from django.db.models.functions import RowNumber

from feedback.health.formula import Facts, Groups, HealthInputs
from feedback.models import Answer, FollowUp, Sentiment, SurveyResponse
from feedback.routing import score_group
from surveys.models import Contact, Invitation, Question

KINDS = [Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES]
# An invitation counts towards the response rate once it has had a week to be answered.
RESPONSE_GRACE = timedelta(days=7)


@dataclass
class _ContactCounts:
    latest: dict[str, Groups]
    recent: dict[str, Groups]
    previous: dict[str, Groups]
    comments: Groups
    invited: int = 0
    answered: int = 0
    last_answer_at: datetime | None = None
    first_invited_at: datetime | None = None
    last_invited_at: datetime | None = None

    def facts(self) -> Facts:
        return Facts(
            latest=self.latest,
            recent=self.recent,
            previous=self.previous,
            comments=self.comments,
            invited=self.invited,
            answered=self.answered,
            last_answer_at=self.last_answer_at,
            first_invited_at=self.first_invited_at,
            last_invited_at=self.last_invited_at,
        )


def _new_counts() -> _ContactCounts:
    return _ContactCounts(latest={}, recent={}, previous={}, comments=Groups())


def _group(kind: str, number: int, n: int = 1) -> Groups:
    group = score_group(kind, number)
    return Groups(
        happy=n if group == "promoter" else 0,
        neutral=n if group == "passive" else 0,
        unhappy=n if group == "detractor" else 0,
    )


def _add(by_kind: dict[str, Groups], kind: str, groups: Groups) -> None:
    by_kind[kind] = by_kind.get(kind, Groups()) + groups


@dataclass(frozen=True)
class BatchInputs:
    accounts: dict[int, HealthInputs]
    contacts: dict[int, HealthInputs]
    # Contacts of each account in the batch (also what an alert rule counts over).
    members: dict[int, list[int]]


def health_inputs(
    *, account_ids: Iterable[int], contact_ids: Iterable[int], now: datetime, window_days: int
) -> BatchInputs:
    """The formula's inputs for each account and contact of a batch, as of `now`."""
    account_ids, contact_ids = set(account_ids), set(contact_ids)
    window = timedelta(days=window_days)
    members: dict[int, list[int]] = defaultdict(list)
    involved = set(contact_ids)
    if account_ids:
        for pk, account_id in Contact.objects.filter(account_id__in=account_ids).values_list("pk", "account_id"):
            members[account_id].append(pk)
            involved.add(pk)
    counts: dict[int, _ContactCounts] = defaultdict(_new_counts)
    if involved:
        _read_answers(counts, involved, now=now, window=window)
        _read_comments(counts, involved, now=now, window=window)
        _read_invitations(counts, involved, now=now, window=window)
    follow_ups = _open_follow_ups(contact_ids=involved, account_ids=account_ids, now=now)

    def inputs_of(facts: Facts, follow_up_rows: Iterable[tuple[int, datetime]]) -> HealthInputs:
        due = dict(follow_up_rows)
        overdue = sum(1 for due_at in due.values() if due_at < now)
        return HealthInputs(facts=facts, open_follow_ups=len(due) - overdue, overdue_follow_ups=overdue)

    contacts = {
        pk: inputs_of(counts[pk].facts() if pk in counts else Facts(), follow_ups["contact"].get(pk, []))
        for pk in contact_ids
    }
    accounts = {}
    for account_id in account_ids:
        people = members.get(account_id, [])
        rows = [row for pk in people for row in follow_ups["contact"].get(pk, [])]
        rows += follow_ups["account"].get(account_id, [])
        accounts[account_id] = inputs_of(Facts.combine(counts[pk].facts() for pk in people if pk in counts), rows)
    return BatchInputs(accounts=accounts, contacts=contacts, members=dict(members))


def _completed(prefix: str, *, now: datetime) -> Q:
    return Q(**{f"{prefix}status": SurveyResponse.Status.COMPLETED, f"{prefix}completed_at__lte": now})


def _read_answers(counts: dict[int, _ContactCounts], contacts: set[int], *, now: datetime, window: timedelta) -> None:
    """Scored answers of the last two windows, and each contact's latest answer of each kind (2 queries)."""
    scored = Answer.objects.filter(
        _completed("response__", now=now),
        response__contact_id__in=contacts,
        question__kind__in=KINDS,
        number__isnull=False,
    )
    by_window = (
        scored.filter(response__completed_at__gt=now - 2 * window)
        .annotate(
            recent=Case(
                When(response__completed_at__gt=now - window, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values_list("response__contact_id", "question__kind", "number", "recent")
        .annotate(n=Count("pk"))
    )
    for contact_id, kind, number, recent, n in by_window:
        target = counts[contact_id].recent if recent else counts[contact_id].previous
        _add(target, kind, _group(kind, number, n))
    latest = (
        scored.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("response__contact_id"), F("question__kind")],
                order_by=[F("response__completed_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values_list("response__contact_id", "question__kind", "number")
    )
    for contact_id, kind, number in latest:
        _add(counts[contact_id].latest, kind, _group(kind, number))


def _read_comments(counts: dict[int, _ContactCounts], contacts: set[int], *, now: datetime, window: timedelta) -> None:
    """Sentiment of free-text answers in the last window (1 query)."""
    rows = (
        Answer.objects.filter(
            _completed("response__", now=now),
            response__contact_id__in=contacts,
            response__completed_at__gt=now - window,
        )
        .exclude(sentiment="")
        .values_list("response__contact_id", "sentiment")
        .annotate(n=Count("pk"))
    )
    for contact_id, sentiment, n in rows:
        counts[contact_id].comments += Groups(
            happy=n if sentiment == Sentiment.POSITIVE else 0,
            neutral=n if sentiment == Sentiment.NEUTRAL else 0,
            unhappy=n if sentiment == Sentiment.NEGATIVE else 0,
        )


def _read_invitations(
    counts: dict[int, _ContactCounts], contacts: set[int], *, now: datetime, window: timedelta
) -> None:
    """Invitations answered in the window, the first invitation, and the last answer (2 queries)."""
    counted = Q(sent_at__gt=now - window, sent_at__lte=now - RESPONSE_GRACE)
    rows = (
        Invitation.objects.filter(contact_id__in=contacts, sent_at__lte=now)
        .values("contact_id")
        .annotate(
            invited=Count("pk", filter=counted),
            answered=Count("pk", filter=counted & Q(responded_at__lte=now)),
            first_sent=Min("sent_at"),
            last_sent=Max("sent_at", filter=Q(sent_at__lte=now - RESPONSE_GRACE)),
        )
    )
    for row in rows:
        contact = counts[row["contact_id"]]
        contact.invited, contact.answered = row["invited"], row["answered"]
        contact.first_invited_at, contact.last_invited_at = row["first_sent"], row["last_sent"]
    last_answers = (
        SurveyResponse.objects.filter(_completed("", now=now), contact_id__in=contacts)
        .values("contact_id")
        .annotate(last=Max("completed_at"))
        .values_list("contact_id", "last")
    )
    for contact_id, last in last_answers:
        counts[contact_id].last_answer_at = last


def _open_follow_ups(
    *, contact_ids: set[int], account_ids: set[int], now: datetime
) -> dict[str, dict[int, list[tuple[int, datetime]]]]:
    """Follow-ups of answers open at `now` with their due time, by contact (and by account when the
    contact is gone; 1 query). Proactive follow-ups are our own warnings, not the customer's
    problems, so they do not count: a low score would otherwise push itself lower.

    Open at a past moment means created by then and not resolved or closed by then (a closed
    follow-up's last change is taken as its closing time).
    """
    found: dict[str, dict[int, list[tuple[int, datetime]]]] = {
        "contact": defaultdict(list),
        "account": defaultdict(list),
    }
    if not contact_ids and not account_ids:
        return found
    still_open = (
        Q(status__in=FollowUp.OPEN_STATUSES)
        | Q(status=FollowUp.Status.RESOLVED, resolved_at__gt=now)
        | Q(status=FollowUp.Status.CLOSED, updated_at__gt=now)
    )
    rows = (
        FollowUp.objects.filter(Q(contact_id__in=contact_ids) | Q(account_id__in=account_ids, contact__isnull=True))
        .filter(still_open, created_at__lte=now, alert__isnull=True)
        .order_by()
        .values_list("pk", "contact_id", "account_id", "due_at")
    )
    for pk, contact_id, account_id, due_at in rows:
        if contact_id is not None:
            found["contact"][contact_id].append((pk, due_at))
        else:
            found["account"][account_id].append((pk, due_at))
    return found
