"""Celery tasks of the project itself: the nightly retention job and the outbox."""

import logging

from celery import shared_task
from django.utils import timezone

from vocsite import queueing
from vocsite.privacy.retention import retention_run

logger = logging.getLogger(__name__)

MAX_BATCHES_PER_RUN = 200


@shared_task(acks_late=True)
def privacy_retention() -> dict[str, int]:
    """Redact personal data past its retention window; a long backlog continues in a follow-on task."""
    report = retention_run(now=timezone.now(), max_batches=MAX_BATCHES_PER_RUN)
    logger.info("Retention: %s in %s batches", report.changed, report.batches)
    if not report.finished:
        privacy_retention.delay()
    return report.changed


@shared_task(acks_late=True)
def outbox_publish() -> int:
    """The beat's periodic publishing of messages a broker outage left in the outbox."""
    return queueing.outbox_publish()
