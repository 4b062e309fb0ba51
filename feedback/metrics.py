"""Metrics selectors: NPS, CSAT, CES and response rate by period, counted in the database.

Each series row carries counts from one conditional aggregation query; feedback.statistics
turns them into estimates with margins of error and compares consecutive periods.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek

from feedback import statistics
from feedback.models import Answer, Sentiment, SurveyResponse
from surveys import segments
from surveys.models import Invitation, Question, Segment

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
NPS, CSAT, CES = Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES


@dataclass(frozen=True)
class MetricFilters:
    """Which responses count: all fields optional, combined with AND."""

    survey_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    segment: Segment | None = None
    theme_id: int | None = None

    def responses(self) -> QuerySet[SurveyResponse]:
        responses = SurveyResponse.objects.completed()
        if self.survey_id:
            responses = responses.filter(survey_id=self.survey_id)
        if self.since:
            responses = responses.filter(completed_at__gte=self.since)
        if self.until:
            responses = responses.filter(completed_at__lt=self.until)
        if self.language:
            responses = responses.filter(language=self.language)
        if self.segment is not None:
            responses = responses.filter(contact__in=segments.segment_contacts(segment=self.segment).values("pk"))
        if self.theme_id:
            responses = responses.filter(answers__themes=self.theme_id).distinct()
        return responses

    def invitations(self) -> QuerySet[Invitation]:
        """Invitations sent in the window (language and theme do not apply before an answer)."""
        invitations = Invitation.objects.filter(sent_at__isnull=False)
        if self.survey_id:
            invitations = invitations.filter(survey_id=self.survey_id)
        if self.since:
            invitations = invitations.filter(sent_at__gte=self.since)
        if self.until:
            invitations = invitations.filter(sent_at__lt=self.until)
        if self.segment is not None:
            invitations = invitations.filter(contact__in=segments.segment_contacts(segment=self.segment).values("pk"))
        return invitations


@dataclass
class PeriodMetrics:
    period: datetime
    nps: statistics.Estimate
    csat: statistics.Estimate
    ces: statistics.Estimate
    responses: int
    sent: int
    response_rate: statistics.Estimate
    counts: dict[str, int] = field(default_factory=dict)


def metrics_by_period(*, filters: MetricFilters, period: str = "month") -> list[PeriodMetrics]:
    """NPS, CSAT, CES, response count and response rate for each period, oldest first."""
    trunc = PERIODS[period]
    responses = filters.responses()
    scores = (
        Answer.objects.filter(response__in=responses.values("pk"), question__kind__in=[NPS, CSAT, CES])
        .annotate(period=trunc("response__completed_at"))
        .values("period")
        .annotate(
            promoters=Count("pk", filter=Q(question__kind=NPS, number__gte=9)),
            passives=Count("pk", filter=Q(question__kind=NPS, number__in=[7, 8])),
            detractors=Count("pk", filter=Q(question__kind=NPS, number__lte=6)),
            csat_n=Count("pk", filter=Q(question__kind=CSAT)),
            csat_satisfied=Count("pk", filter=Q(question__kind=CSAT, number__gte=4)),
            ces_n=Count("pk", filter=Q(question__kind=CES)),
            ces_sum=Sum("number", filter=Q(question__kind=CES)),
            ces_squares=Sum(F("number") * F("number"), filter=Q(question__kind=CES)),
        )
    )
    answered = dict(
        responses.annotate(period=trunc("completed_at"))
        .values("period")
        .annotate(n=Count("pk"))
        .values_list("period", "n")
    )
    sent = _sent_by_period(filters=filters, trunc=trunc)
    by_period = {row["period"]: row for row in scores}
    rows = []
    for moment in sorted(set(by_period) | set(answered) | set(sent)):
        counts = by_period.get(moment, {})
        rows.append(_period_metrics(moment, counts, answered.get(moment, 0), sent.get(moment, (0, 0))))
    return rows


def _sent_by_period(*, filters: MetricFilters, trunc: Any) -> dict[datetime, tuple[int, int]]:
    """Invitations sent in each period, and how many of those were answered."""
    rows = (
        filters.invitations()
        .annotate(period=trunc("sent_at"))
        .values("period")
        .annotate(n=Count("pk"), answered=Count("pk", filter=Q(responded_at__isnull=False)))
    )
    return {row["period"]: (row["n"], row["answered"]) for row in rows}


def _period_metrics(moment: datetime, counts: dict[str, Any], answered: int, sent: tuple[int, int]) -> PeriodMetrics:
    get = counts.get
    return PeriodMetrics(
        period=moment,
        nps=statistics.nps(promoters=get("promoters", 0), passives=get("passives", 0), detractors=get("detractors", 0)),
        csat=statistics.share(successes=get("csat_satisfied", 0), n=get("csat_n", 0)),
        ces=statistics.mean(total=get("ces_sum") or 0, total_of_squares=get("ces_squares") or 0, n=get("ces_n", 0)),
        responses=answered,
        sent=sent[0],
        response_rate=statistics.share(successes=sent[1], n=sent[0]),
        counts={key: value for key, value in counts.items() if key != "period"},
    )


def metrics_compare(*, before: PeriodMetrics | None, after: PeriodMetrics) -> dict[str, statistics.Change]:
    """How the last period differs from the one before, and whether each change is beyond noise."""
    if before is None:
        return {}
    b, a = before.counts, after.counts
    return {
        "nps": statistics.nps_change(
            before=(b.get("promoters", 0), b.get("passives", 0), b.get("detractors", 0)),
            after=(a.get("promoters", 0), a.get("passives", 0), a.get("detractors", 0)),
        ),
        "csat": statistics.share_change(
            before=(b.get("csat_satisfied", 0), b.get("csat_n", 0)),
            after=(a.get("csat_satisfied", 0), a.get("csat_n", 0)),
        ),
        "responses": statistics.count_change(before=before.responses, after=after.responses),
    }


def score_distribution(*, filters: MetricFilters, kind: str = NPS) -> dict[int, int]:
    """How many answers gave each score, for one question kind."""
    rows = (
        Answer.objects.filter(response__in=filters.responses().values("pk"), question__kind=kind)
        .values("number")
        .annotate(n=Count("pk"))
        .values_list("number", "n")
    )
    return dict(rows)


def top_detractor_themes(*, filters: MetricFilters, limit: int = 8) -> list[dict[str, Any]]:
    """Themes most often found in the answers of detractors and of negative free text."""
    unhappy = filters.responses().filter(Q(score__lte=6) | Q(answers__sentiment=Sentiment.NEGATIVE))
    return list(
        Answer.objects.filter(response__in=unhappy.values("pk"), themes__isnull=False)
        .values(theme_id=F("themes__pk"), name=F("themes__name"), name_zh=F("themes__name_zh"))
        .annotate(n=Count("response", distinct=True))
        .order_by("-n", "name")[:limit]
    )


def funnel(*, filters: MetricFilters) -> dict[str, int]:
    """Sent, opened (link visited) and answered invitations."""
    return filters.invitations().aggregate(
        sent=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        answered=Count("pk", filter=Q(responded_at__isnull=False)),
    )
