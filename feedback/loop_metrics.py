"""Closed-loop metrics: how well unhappy customers are followed up.

Counts and duration medians come from the daily loop rollups when the window is whole days
(medians are then read from hour buckets: "within N hours"); open follow-ups are always
counted live, since there are few of them and they change by the minute.
"""

import statistics as pystats
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from feedback import routing, statistics
from feedback.metrics import MetricFilters
from feedback.models import FollowUp, LoopRollup, RootCause, SurveyResponse
from feedback.models.rollups import empty_buckets
from feedback.rollup_sums import array_from_sums, array_sums, median_hours


def loop_metrics(*, filters: MetricFilters, totals: dict[str, Any] | None = None) -> dict[str, Any]:
    """Closed-loop rate, time to first action and to resolution, SLA attainment, open by owner,
    top root causes and recovery rate, for follow-ups of responses created in the window (proactive
    follow-ups of health alerts belong to no survey and are counted with accounts instead).

    `totals` are the rollup totals of the window when the caller has them already (a survey summary)."""
    follow_ups = FollowUp.objects.of_responses()
    if filters.survey_id:
        follow_ups = follow_ups.filter(survey_id=filters.survey_id)
    if filters.survey_ids is not None:
        follow_ups = follow_ups.filter(survey_id__in=filters.survey_ids)
    if filters.touchpoint_id:
        follow_ups = follow_ups.filter(survey__touchpoint_id=filters.touchpoint_id)
    if filters.since:
        follow_ups = follow_ups.filter(created_at__gte=filters.since)
    if filters.until:
        follow_ups = follow_ups.filter(created_at__lt=filters.until)
    if totals is None and filters.use_rollups():
        totals = loop_totals_from_rollups(filters)
    figures = _from_totals(totals) if totals is not None else _live(follow_ups)
    figures["open_by_owner"] = list(
        follow_ups.filter(status__in=FollowUp.OPEN_STATUSES)
        .values(owner_name=F("owner__username"))
        .annotate(n=Count("pk"))
        .order_by("-n", "owner_name")
    )
    figures["open"] = sum(row["n"] for row in figures["open_by_owner"])
    figures["recovery_rate"] = _recovery(follow_ups).as_dict()
    return figures


def _summary(total: int, resolved: int, in_time: int, causes: dict[int, int]) -> dict[str, Any]:
    named = RootCause.objects.in_bulk(list(causes))
    ranked = sorted(causes.items(), key=lambda item: (-item[1], named[item[0]].name))[:10]
    return {
        "follow_ups": total,
        "closed_loop_rate": statistics.share(successes=resolved, n=total).as_dict(),
        "sla_attainment": statistics.share(successes=in_time, n=resolved).as_dict(),
        "top_root_causes": [
            {"cause": named[pk].name, "cause_zh": named[pk].name_zh, "n": n} for pk, n in ranked if pk in named
        ],
    }


def loop_totals_from_rollups(filters: MetricFilters) -> dict[str, Any]:
    """Follow-ups created, resolved and resolved in time, duration buckets and root causes, summed
    over the window's loop rollups (a JSON-ready dict)."""
    rows = filters.rollups(LoopRollup, by_language=False)
    buckets = len(empty_buckets())
    sums = rows.aggregate(
        created=Sum("created"),
        resolved=Sum("resolved"),
        in_time=Sum("resolved_in_time"),
        **array_sums("first_action_buckets", buckets),
        **array_sums("resolution_buckets", buckets),
    )
    causes: dict[str, int] = {}
    for counts in rows.exclude(root_causes={}).values_list("root_causes", flat=True):
        for cause, n in counts.items():
            causes[cause] = causes.get(cause, 0) + n
    return {
        "created": sums["created"] or 0,
        "resolved": sums["resolved"] or 0,
        "in_time": sums["in_time"] or 0,
        "first_action_buckets": array_from_sums(sums, "first_action_buckets", buckets),
        "resolution_buckets": array_from_sums(sums, "resolution_buckets", buckets),
        "root_causes": causes,
    }


def _from_totals(totals: dict[str, Any]) -> dict[str, Any]:
    causes = {int(cause): n for cause, n in totals["root_causes"].items()}
    figures = _summary(totals["created"], totals["resolved"], totals["in_time"], causes)
    figures["median_hours_to_first_action"] = median_hours(totals["first_action_buckets"])
    figures["median_hours_to_resolution"] = median_hours(totals["resolution_buckets"])
    figures["medians_are_bucketed"] = True
    return figures


def _live(follow_ups: QuerySet[FollowUp]) -> dict[str, Any]:
    counts = follow_ups.aggregate(
        total=Count("pk"),
        resolved=Count("pk", filter=Q(status=FollowUp.Status.RESOLVED)),
        in_time=Count("pk", filter=Q(status=FollowUp.Status.RESOLVED, resolved_at__lte=F("due_at"))),
    )
    causes = dict(
        follow_ups.filter(status=FollowUp.Status.RESOLVED, root_cause__isnull=False)
        .values("root_cause")
        .annotate(n=Count("pk"))
        .values_list("root_cause", "n")
    )
    figures = _summary(counts["total"], counts["resolved"], counts["in_time"], causes)
    first_action = _hours(follow_ups.filter(first_action_at__isnull=False).values_list("created_at", "first_action_at"))
    resolution = _hours(follow_ups.filter(resolved_at__isnull=False).values_list("created_at", "resolved_at"))
    figures["median_hours_to_first_action"] = pystats.median(first_action) if first_action else None
    figures["median_hours_to_resolution"] = pystats.median(resolution) if resolution else None
    figures["medians_are_bucketed"] = False
    return figures


def _hours(pairs: Any) -> list[float]:
    return [(end - start).total_seconds() / 3600 for start, end in pairs]


def _recovery(follow_ups: QuerySet[FollowUp]) -> statistics.Estimate:
    """Of recovery checks answered, the share no longer unhappy (passive or promoter)."""
    answered = SurveyResponse.objects.completed().filter(
        invitation__in=follow_ups.filter(recovery_invitation__isnull=False).values("recovery_invitation")
    )
    groups = [routing.score_group("nps", score) for score in answered.values_list("score", flat=True)]
    recovered = sum(1 for group in groups if group in {"passive", "promoter"})
    return statistics.share(successes=recovered, n=len(groups))
