"""Metrics selectors: NPS, CSAT, CES, response rate, funnel, scores and themes by period.

Two ways to count, with the same results: from the daily rollups (feedback.rollups) when the
filters allow it (survey, whole days, language), which is what makes the dashboard fast on a
survey with hundreds of thousands of responses; and live from the raw tables for filters the
rollups do not keep (segment, theme, a window that cuts a day). Either way the database does
the counting; feedback.statistics turns counts into estimates with margins of error.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from feedback import rollup_sums, statistics
from feedback.models import Answer, AnswerTheme, InvitationRollup, ResponseRollup, SurveyResponse, Theme, ThemeRollup
from feedback.routing import unhappy_responses
from surveys import segments
from surveys.models import Invitation, Question, Segment, Touchpoint

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
NPS, CSAT, CES = Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES
COUNT_FIELDS = ["promoters", "passives", "detractors", "csat_n", "csat_satisfied", "ces_n", "ces_sum", "ces_squares"]


@dataclass(frozen=True)
class MetricFilters:
    """Which responses count: all fields optional, combined with AND."""

    survey_id: int | None = None
    # The surveys the viewer may count (their teams'); None: every survey (administrators).
    survey_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    segment: Segment | None = None
    theme_id: int | None = None
    touchpoint_id: int | None = None
    live: bool = False  # count from the raw tables even when the rollups could answer

    def use_rollups(self) -> bool:
        """Rollups keep survey (hence touchpoint), day and language; anything finer is counted live."""
        if self.live or self.segment is not None or self.theme_id:
            return False
        return _whole_day(self.since) and _whole_day(self.until)

    def responses(self) -> QuerySet[SurveyResponse]:
        responses = SurveyResponse.objects.completed()
        if self.survey_id:
            responses = responses.filter(survey_id=self.survey_id)
        if self.survey_ids is not None:
            responses = responses.filter(survey_id__in=self.survey_ids)
        if self.touchpoint_id:
            responses = responses.filter(survey__touchpoint_id=self.touchpoint_id)
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
        if self.survey_ids is not None:
            invitations = invitations.filter(survey_id__in=self.survey_ids)
        if self.touchpoint_id:
            invitations = invitations.filter(survey__touchpoint_id=self.touchpoint_id)
        if self.since:
            invitations = invitations.filter(sent_at__gte=self.since)
        if self.until:
            invitations = invitations.filter(sent_at__lt=self.until)
        if self.segment is not None:
            invitations = invitations.filter(contact__in=segments.segment_contacts(segment=self.segment).values("pk"))
        return invitations

    def rollups(self, model: type, *, by_language: bool = True) -> QuerySet[Any]:
        rows = model.objects.all()
        if self.survey_id:
            rows = rows.filter(survey_id=self.survey_id)
        if self.survey_ids is not None:
            rows = rows.filter(survey_id__in=self.survey_ids)
        if self.touchpoint_id:
            # Rollups are per survey, so a survey's touchpoint is one join away.
            rows = rows.filter(survey__touchpoint_id=self.touchpoint_id)
        if self.since:
            rows = rows.filter(day__gte=timezone.localtime(self.since).date())
        if self.until:
            rows = rows.filter(day__lt=timezone.localtime(self.until).date())
        if by_language and self.language:
            rows = rows.filter(language=self.language)
        return rows


def _whole_day(moment: datetime | None) -> bool:
    return moment is None or timezone.localtime(moment).time() == time(0)


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
    if filters.use_rollups():
        counts, answered, sent = counts_from_rollups(filters, PERIODS[period])
    else:
        counts, answered, sent = _counts_live(filters, PERIODS[period])
    return metrics_from_counts(counts, answered, sent)


def metrics_from_counts(counts: dict, answered: dict, sent: dict) -> list[PeriodMetrics]:
    """Estimates per period from the counts of `counts_from_rollups` (or counted live), oldest first."""
    return [
        _period_metrics(moment, counts.get(moment, {}), answered.get(moment, 0), sent.get(moment, (0, 0)))
        for moment in sorted(set(counts) | set(answered) | set(sent))
    ]


def as_moment(value: Any) -> datetime:
    """Rollup periods are dates; live ones are datetimes. Both become the local midnight."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), timezone.get_current_timezone())


def counts_from_rollups(filters: MetricFilters, trunc: Any) -> tuple[dict, dict, dict]:
    """Score counts, answered and (sent, answered) invitations per period, from the daily rollups."""
    rows = (
        filters.rollups(ResponseRollup)
        .annotate(period=trunc("day"))
        .values("period")
        .annotate(answered=Sum("responses"), **{name: Sum(name) for name in COUNT_FIELDS})
    )
    counts = {as_moment(row["period"]): row for row in rows}
    answered = {moment: row["answered"] for moment, row in counts.items()}
    sent_rows = (
        filters.rollups(InvitationRollup, by_language=False)
        .annotate(period=trunc("day"))
        .values("period")
        .annotate(n=Sum("sent"), answered=Sum("answered"))
    )
    sent = {as_moment(row["period"]): (row["n"], row["answered"]) for row in sent_rows}
    return counts, answered, sent


def _counts_live(filters: MetricFilters, trunc: Any) -> tuple[dict, dict, dict]:
    responses = filters.responses()
    rows = (
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
    counts = {row["period"]: row for row in rows}
    answered = dict(
        responses.annotate(period=trunc("completed_at"))
        .values("period")
        .annotate(n=Count("pk"))
        .values_list("period", "n")
    )
    sent_rows = (
        filters.invitations()
        .annotate(period=trunc("sent_at"))
        .values("period")
        .annotate(n=Count("pk"), answered=Count("pk", filter=Q(responded_at__isnull=False)))
    )
    sent = {row["period"]: (row["n"], row["answered"]) for row in sent_rows}
    return counts, answered, sent


def _period_metrics(moment: datetime, counts: dict[str, Any], answered: int, sent: tuple[int, int]) -> PeriodMetrics:
    def get(name: str) -> int:
        return counts.get(name) or 0

    return PeriodMetrics(
        period=moment,
        nps=statistics.nps(promoters=get("promoters"), passives=get("passives"), detractors=get("detractors")),
        csat=statistics.share(successes=get("csat_satisfied"), n=get("csat_n")),
        ces=statistics.mean(total=get("ces_sum"), total_of_squares=get("ces_squares"), n=get("ces_n")),
        responses=answered,
        sent=sent[0],
        response_rate=statistics.share(successes=sent[1], n=sent[0]),
        counts={name: get(name) for name in COUNT_FIELDS},
    )


def metrics_compare(*, before: PeriodMetrics | None, after: PeriodMetrics) -> dict[str, statistics.Change]:
    """How the last period differs from the one before, and whether each change is beyond noise."""
    if before is None:
        return {}
    b, a = before.counts, after.counts
    return {
        "nps": statistics.nps_change(
            before=(b["promoters"], b["passives"], b["detractors"]),
            after=(a["promoters"], a["passives"], a["detractors"]),
        ),
        "csat": statistics.share_change(
            before=(b["csat_satisfied"], b["csat_n"]), after=(a["csat_satisfied"], a["csat_n"])
        ),
        "responses": statistics.count_change(before=before.responses, after=after.responses),
    }


def score_distribution(*, filters: MetricFilters, kind: str = NPS) -> dict[int, int]:
    """How many answers gave each score (NPS from the rollups when possible)."""
    if kind == NPS and filters.use_rollups():
        sums = filters.rollups(ResponseRollup).aggregate(**rollup_sums.array_sums("nps_histogram", 11))
        histogram = rollup_sums.array_from_sums(sums, "nps_histogram", 11)
        return {score: count for score, count in enumerate(histogram) if count}
    rows = (
        Answer.objects.filter(response__in=filters.responses().values("pk"), question__kind=kind)
        .values("number")
        .annotate(n=Count("pk"))
        .values_list("number", "n")
    )
    return dict(rows)


def top_detractor_themes(*, filters: MetricFilters, limit: int = 8) -> list[dict[str, Any]]:
    """Themes most often found among unhappy responses (unhappy score or negative text)."""
    names = {"name": F("theme__name"), "name_zh": F("theme__name_zh")}
    if filters.use_rollups() and not filters.language:
        rows = (
            filters.rollups(ThemeRollup, by_language=False)
            .values("theme_id", **names)
            .annotate(n=Sum("unhappy_responses"))
        )
    else:
        unhappy = unhappy_responses(filters.responses())
        rows = (
            AnswerTheme.objects.filter(answer__response__in=unhappy.values("pk"))
            .values("theme_id", **names)
            .annotate(n=Count("answer__response", distinct=True))
        )
    return list(rows.order_by("-n", "name")[:limit])


def named_themes(counts: dict[int, int], *, limit: int = 8) -> list[dict[str, Any]]:
    """Theme counts ranked as `top_detractor_themes` ranks them, with the themes' names."""
    themes = Theme.objects.in_bulk(list(counts))
    ranked = sorted(
        ((pk, n) for pk, n in counts.items() if pk in themes), key=lambda item: (-item[1], themes[item[0]].name)
    )
    return [
        {"theme_id": pk, "name": themes[pk].name, "name_zh": themes[pk].name_zh, "n": n} for pk, n in ranked[:limit]
    ]


def funnel(*, filters: MetricFilters) -> dict[str, int]:
    """Sent, opened (link visited) and answered invitations."""
    if filters.use_rollups():
        totals = filters.rollups(InvitationRollup, by_language=False).aggregate(
            sent=Sum("sent"), opened=Sum("opened"), answered=Sum("answered")
        )
        return {name: value or 0 for name, value in totals.items()}
    return filters.invitations().aggregate(
        sent=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        answered=Count("pk", filter=Q(responded_at__isnull=False)),
    )


@dataclass
class TouchpointMetrics:
    touchpoint_id: int | None
    name: str
    name_zh: str
    responses: int
    nps: statistics.Estimate
    csat: statistics.Estimate
    ces: statistics.Estimate
    counts: dict[str, int] = field(default_factory=dict)


def metrics_by_touchpoint(*, filters: MetricFilters) -> list[TouchpointMetrics]:
    """NPS, CSAT and CES of each journey stage side by side (surveys without one last), in 2-3 queries."""
    if filters.use_rollups():
        rows = (
            filters.rollups(ResponseRollup)
            .values(touchpoint=F("survey__touchpoint_id"))
            .annotate(answered=Sum("responses"), **{name: Sum(name) for name in COUNT_FIELDS})
        )
    else:
        responses = filters.responses()
        rows = (
            Answer.objects.filter(response__in=responses.values("pk"), question__kind__in=[NPS, CSAT, CES])
            .values(touchpoint=F("response__survey__touchpoint_id"))
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
    by_touchpoint: dict[int | None, dict[str, Any]] = {row["touchpoint"]: row for row in rows}
    if not filters.use_rollups():
        answered = responses.values(touchpoint=F("survey__touchpoint_id")).annotate(n=Count("pk"))
        for row in answered:
            by_touchpoint.setdefault(row["touchpoint"], {"touchpoint": row["touchpoint"]})["answered"] = row["n"]
    touchpoints = list(Touchpoint.objects.filter(pk__in=[pk for pk in by_touchpoint if pk is not None]))
    ordered: list[tuple[int | None, str, str]] = [(tp.pk, tp.name, tp.name_zh) for tp in touchpoints]
    if None in by_touchpoint:
        ordered.append((None, "", ""))
    result = []
    for pk, name, name_zh in ordered:
        row = by_touchpoint[pk]

        def get(field_name: str, row: dict[str, Any] = row) -> int:
            return row.get(field_name) or 0

        result.append(
            TouchpointMetrics(
                touchpoint_id=pk,
                name=name,
                name_zh=name_zh,
                responses=get("answered"),
                nps=statistics.nps(promoters=get("promoters"), passives=get("passives"), detractors=get("detractors")),
                csat=statistics.share(successes=get("csat_satisfied"), n=get("csat_n")),
                ces=statistics.mean(total=get("ces_sum"), total_of_squares=get("ces_squares"), n=get("ces_n")),
                counts={name: get(name) for name in COUNT_FIELDS},
            )
        )
    return result


def weakest_touchpoint(rows: list[TouchpointMetrics], *, metric: str = "nps") -> dict[str, Any] | None:
    """The stage with the lowest NPS (or CSAT), and whether it is below the others beyond noise.

    "Beyond noise" compares it with all the other stages' answers together (a two-sample test at
    95%), so one stage that merely looks lowest on a handful of answers is not over-read.
    """
    scored = [row for row in rows if getattr(row, metric).value is not None]
    if len(scored) < 2:
        return None
    weakest = min(scored, key=lambda row: getattr(row, metric).value)
    others = [row for row in scored if row is not weakest]
    rest = {name: sum(row.counts[name] for row in others) for name in COUNT_FIELDS}
    mine = weakest.counts
    if metric == "nps":
        change = statistics.nps_change(
            before=(rest["promoters"], rest["passives"], rest["detractors"]),
            after=(mine["promoters"], mine["passives"], mine["detractors"]),
        )
    else:
        change = statistics.share_change(
            before=(rest["csat_satisfied"], rest["csat_n"]), after=(mine["csat_satisfied"], mine["csat_n"])
        )
    return {"touchpoint_id": weakest.touchpoint_id, "gap": change.delta, "significant": change.significant}
