"""Changing the health formula's weights: every score is recomputed with the new ones."""

from django.db import transaction
from django.utils import timezone

from feedback.health.marks import health_refresh_later
from feedback.health.services import health_mark_all
from feedback.models import HealthWeight


@transaction.atomic
def health_weight_set(*, weight: HealthWeight, points: int) -> HealthWeight:
    """Give one input of the formula new points; marks every score and recomputes them after commit."""
    if points == weight.points:
        return weight
    HealthWeight.objects.filter(pk=weight.pk).update(points=points, edited_at=timezone.now())
    # Scores from before are not comparable with later ones: all are computed again.
    health_mark_all()
    health_refresh_later()
    weight.refresh_from_db()
    return weight
