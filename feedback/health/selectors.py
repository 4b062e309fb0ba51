"""Composed reads about health: the at-risk list, an account's page, a score explained, a trend line."""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback import charts
from feedback.health import formula
from feedback.models import FollowUp, HealthAlert, HealthHistory, HealthInput, HealthScore, SurveyResponse
from feedback.models.health import HEALTH_INPUT_RULES
from surveys import access
from surveys.models import Account, Contact

AT_RISK_SORTS = {
    # Biggest customers first, then whoever falls fastest.
    "revenue": [F("annual_revenue").desc(nulls_last=True), F("health__change_30d").asc(nulls_last=True), "name"],
    "tier": ["-tier_rank", F("annual_revenue").desc(nulls_last=True), F("health__change_30d").asc(nulls_last=True)],
    "decline": [F("health__change_30d").asc(nulls_last=True), F("annual_revenue").desc(nulls_last=True), "name"],
    "health": ["health__score", F("annual_revenue").desc(nulls_last=True), "name"],
}
TREND_WEEKS = 26


def accounts_at_risk(*, sort: str = "revenue") -> QuerySet[Account]:
    """Accounts whose health is at risk or critical, sorted by revenue, tier, decline or health."""
    return (
        Account.objects.with_tier_rank()
        .select_related("owner", "health")
        .filter(health__band__in=[formula.AT_RISK, formula.CRITICAL])
        .order_by(*AT_RISK_SORTS.get(sort, AT_RISK_SORTS["revenue"]), "pk")
    )


def explained(score: HealthScore | None) -> list[dict[str, Any]]:
    """Each input of a score with its label, rule, what it saw and the points it added or took."""
    if score is None:
        return []
    moved = {entry["key"]: entry["points"] for entry in score.moved}
    rows = []
    for part in score.breakdown:
        key = part["key"]
        rows.append(
            {
                **part,
                "label": HealthInput(key).label if key in HealthInput.values else key,
                "rule": str(HEALTH_INPUT_RULES.get(key, "")),
                "shown": shown_value(key, part.get("value"), part.get("n")),
                "known": part.get("signal") is not None,
                "moved": moved.get(key),
            }
        )
    return rows


def shown_value(key: str, value: float | None, n: int | None) -> str:
    """What an input saw, as a person reads it."""
    if value is None:
        return _("no data")
    count = f" (n = {n})" if n else ""
    if key in (formula.OPEN_FOLLOW_UPS, formula.OVERDUE_FOLLOW_UPS):
        return f"{value:g}"
    if key == formula.RESPONSE_RATE:
        return f"{value:.0f}%{count}"
    if key == formula.SILENCE:
        days = round(value)
        return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}
    # Net scores and their changes: an NPS-like figure from -100 to +100.
    return f"{value:+.0f}{count}"


def health_trend(
    *, account: Account | None = None, contact: Contact | None = None, today: date | None = None
) -> list[tuple[date, int | None]]:
    """The score at the end of each of the last TREND_WEEKS weeks and today (carried forward)."""
    today = today or timezone.localdate()
    start = today - timedelta(weeks=TREND_WEEKS)
    subject = Q(account=account) if account is not None else Q(contact=contact)
    rows = list(HealthHistory.objects.filter(subject, day__lte=today).order_by("day").values_list("day", "score"))
    points: list[tuple[date, int | None]] = []
    days = [start + timedelta(weeks=week) for week in range(1, TREND_WEEKS)] + [today]
    index, current = 0, None
    for day in days:
        while index < len(rows) and rows[index][0] <= day:
            current = rows[index][1]
            index += 1
        points.append((day, current))
    first_known = next((i for i, (_day, score) in enumerate(points) if score is not None), len(points))
    return points[first_known:]


def trend_chart(points: list[tuple[date, int | None]], *, title: str) -> str:
    """The trend as an SVG line (0-100, no band: a score is not an estimate)."""
    return charts.line_with_band(
        [(formats.date_format(day, "n/j"), score, None, None) for day, score in points], low=0, high=100, title=title
    )


def account_page(*, account: Account, viewer: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """Everything the account page shows: health and its inputs, trend, contacts, answers, follow-ups, alerts.

    With a viewer, only the contacts, answers and follow-ups the viewer may see (surveys.access).
    """
    now = now or timezone.now()

    def visible(queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset if viewer is None else access.scope(queryset, viewer)

    score = HealthScore.objects.filter(account=account).first()
    contacts = list(
        visible(Contact.objects.filter(account=account)).select_related("health").order_by("name", "email")[:200]
    )
    answers = list(
        visible(SurveyResponse.objects.completed())
        .filter(contact__account=account)
        .select_related("survey__touchpoint", "contact")
        .order_by("-completed_at")[:20]
    )
    follow_ups = list(
        visible(FollowUp.objects.filter(Q(account=account) | Q(contact__account=account)))
        .select_related("owner", "contact", "alert__rule")
        .annotate(
            open_first=Case(
                When(status__in=FollowUp.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("open_first", "due_at")[:30]
    )
    alerts = list(HealthAlert.objects.filter(account=account).select_related("rule", "follow_up")[:20])
    points = health_trend(account=account, today=timezone.localtime(now).date())
    return {
        "score": score,
        "inputs": explained(score),
        "trend_svg": trend_chart(points, title=_("Health by week")) if points else "",
        "contacts": contacts,
        "answers": answers,
        "follow_ups": follow_ups,
        "alerts": alerts,
        "baseline": settings.HEALTH_BASELINE,
        "now": now,
    }
