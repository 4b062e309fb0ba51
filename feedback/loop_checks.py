"""Invariants of the closed loop, as reads: what must never exist."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from feedback.models import Answer, FollowUp, RoutingRule, SurveyResponse
from feedback.routing import UNHAPPY


def loop_problems(*, now: datetime, grace_minutes: int = 10) -> dict[str, list[int]]:
    """Ids breaking each invariant; every list is empty in a healthy system."""
    grace = now - timedelta(minutes=grace_minutes)
    unhappy_answer = Q()
    for kind, scores in UNHAPPY.items():
        unhappy_answer |= Q(question__kind=kind, number__in=list(scores))
    exempt = RoutingRule.objects.filter(active=True, creates_follow_up=False).exists()
    unhappy = (
        SurveyResponse.objects.completed()
        .filter(completed_at__lt=grace)
        .filter(Exists(Answer.objects.filter(unhappy_answer, response=OuterRef("pk"))))
        .filter(follow_up__isnull=True, attached_to__isnull=True)
    )
    if exempt:
        # Rules may exempt some responses on purpose; only those never routed are a problem then.
        unhappy = unhappy.filter(routed_at__isnull=True)
    open_follow_ups = FollowUp.objects.open()
    return {
        "unhappy responses without a follow-up": list(unhappy.values_list("pk", flat=True)[:1000]),
        "open follow-ups without owner or due time": list(
            open_follow_ups.filter(Q(owner__isnull=True) | Q(due_at__isnull=True)).values_list("pk", flat=True)[:1000]
        ),
        "overdue follow-ups never escalated": list(
            open_follow_ups.filter(due_at__lt=grace, escalation_level=0).values_list("pk", flat=True)[:1000]
        ),
    }
