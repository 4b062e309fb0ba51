"""Closed-loop metrics: how well unhappy customers are followed up."""

import statistics as pystats
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q

from feedback import routing, statistics
from feedback.models import FollowUp, SurveyResponse


def loop_metrics(
    *, survey_id: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Closed-loop rate, time to first action and to resolution, SLA attainment, open by owner,
    top root causes and recovery rate, for follow-ups created in the window."""
    follow_ups = FollowUp.objects.all()
    if survey_id:
        follow_ups = follow_ups.filter(survey_id=survey_id)
    if since:
        follow_ups = follow_ups.filter(created_at__gte=since)
    if until:
        follow_ups = follow_ups.filter(created_at__lt=until)
    counts = follow_ups.aggregate(
        total=Count("pk"),
        resolved=Count("pk", filter=Q(status=FollowUp.Status.RESOLVED)),
        resolved_in_time=Count("pk", filter=Q(status=FollowUp.Status.RESOLVED, resolved_at__lte=F("due_at"))),
        closed=Count("pk", filter=Q(status=FollowUp.Status.CLOSED)),
        open=Count("pk", filter=Q(status__in=FollowUp.OPEN_STATUSES)),
    )
    first_action = _hours(follow_ups.filter(first_action_at__isnull=False).values_list("created_at", "first_action_at"))
    resolution = _hours(follow_ups.filter(resolved_at__isnull=False).values_list("created_at", "resolved_at"))
    return {
        "follow_ups": counts["total"],
        "open": counts["open"],
        "closed_loop_rate": statistics.share(successes=counts["resolved"], n=counts["total"]).as_dict(),
        "sla_attainment": statistics.share(successes=counts["resolved_in_time"], n=counts["resolved"]).as_dict(),
        "median_hours_to_first_action": pystats.median(first_action) if first_action else None,
        "median_hours_to_resolution": pystats.median(resolution) if resolution else None,
        "open_by_owner": list(
            follow_ups.filter(status__in=FollowUp.OPEN_STATUSES)
            .values(owner_name=F("owner__username"))
            .annotate(n=Count("pk"))
            .order_by("-n", "owner_name")
        ),
        "top_root_causes": list(
            follow_ups.filter(root_cause__isnull=False)
            .values(cause=F("root_cause__name"), cause_zh=F("root_cause__name_zh"))
            .annotate(n=Count("pk"))
            .order_by("-n", "cause")[:10]
        ),
        "recovery_rate": _recovery(follow_ups).as_dict(),
    }


def _hours(pairs: Any) -> list[float]:
    return [(end - start).total_seconds() / 3600 for start, end in pairs]


def _recovery(follow_ups: Any) -> statistics.Estimate:
    """Of recovery checks answered, the share no longer unhappy (passive or promoter)."""
    answered = SurveyResponse.objects.completed().filter(
        invitation__in=follow_ups.filter(recovery_invitation__isnull=False).values("recovery_invitation")
    )
    groups = [routing.score_group("nps", score) for score in answered.values_list("score", flat=True)]
    recovered = sum(1 for group in groups if group in {"passive", "promoter"})
    return statistics.share(successes=recovered, n=len(groups))
