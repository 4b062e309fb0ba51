"""Closed-loop metrics: how well unhappy customers are followed up.

Counts and duration medians come from the daily loop rollups when the window is whole days
(medians are then read from hour buckets: "within N hours"); open follow-ups are always
counted live, since there are few of them and they change by the minute.
"""

import statistics as pystats
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from feedback import routing, statistics
from feedback.metrics import MetricFilters
from feedback.models import FollowUp, LoopRollup, RootCause, SurveyResponse
from feedback.rollups import median_hours


def loop_metrics(*, filters: MetricFilters) -> dict[str, Any]:
    """Closed-loop rate, time to first action and to resolution, SLA attainment, open by owner,
    top root causes and recovery rate, for follow-ups created in the window."""
    follow_ups = FollowUp.objects.all()
    if filters.survey_id:
        follow_ups = follow_ups.filter(survey_id=filters.survey_id)
    if filters.since:
        follow_ups = follow_ups.filter(created_at__gte=filters.since)
    if filters.until:
        follow_ups = follow_ups.filter(created_at__lt=filters.until)
    figures = _from_rollups(filters) if filters.use_rollups() else _live(follow_ups)
    open_follow_ups = follow_ups.filter(status__in=FollowUp.OPEN_STATUSES)
    figures["open"] = open_follow_ups.count()
    figures["open_by_owner"] = list(
        open_follow_ups.values(owner_name=F("owner__username")).annotate(n=Count("pk")).order_by("-n", "owner_name")
    )
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


def _from_rollups(filters: MetricFilters) -> dict[str, Any]:
    rows = list(filters.rollups(LoopRollup, by_language=False))
    causes: dict[int, int] = {}
    first_action = [0] * len(rows[0].first_action_buckets) if rows else []
    resolution = list(first_action)
    for row in rows:
        for cause, n in row.root_causes.items():
            causes[int(cause)] = causes.get(int(cause), 0) + n
        first_action = [a + b for a, b in zip(first_action, row.first_action_buckets, strict=True)]
        resolution = [a + b for a, b in zip(resolution, row.resolution_buckets, strict=True)]
    figures = _summary(
        sum(row.created for row in rows),
        sum(row.resolved for row in rows),
        sum(row.resolved_in_time for row in rows),
        causes,
    )
    figures["median_hours_to_first_action"] = median_hours(first_action) if rows else None
    figures["median_hours_to_resolution"] = median_hours(resolution) if rows else None
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
