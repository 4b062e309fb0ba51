"""Receivers of surveys' signals (surveys may not import feedback, so it signals instead)."""

from typing import Any

from feedback.webhooks import events
from surveys.models import Distribution


def distribution_finished(*, distribution: Distribution, figures: dict[str, Any], **kwargs: Any) -> None:
    """Record distribution.finished in the transaction that finished it."""
    events.distribution_finished(distribution=distribution, figures=figures)
