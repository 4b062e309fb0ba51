"""Celery tasks of distribution: thin wrappers that take ids and call one service."""

import logging

from celery import shared_task
from django.utils import timezone

from surveys import periodic, sending
from surveys.contact_tasks import contact_import_run_task, contact_import_sweep_task

logger = logging.getLogger(__name__)

__all__ = ["contact_import_run_task", "contact_import_sweep_task", "distribution_tick", "send_invitation_batch"]


@shared_task(acks_late=True)
def distribution_tick() -> dict[str, int]:
    """The beat's periodic tick (see settings.CELERY_BEAT_SCHEDULE)."""
    return periodic.periodic_tick(now=timezone.now())


@shared_task(acks_late=True)
def send_invitation_batch(email_ids: list[int]) -> dict[str, int]:
    """Send one batch of invitation emails over one SMTP connection.

    Retries live in the database, not in Celery: an email that could not be sent waits with a
    due time (backoff), and the tick enqueues it again then.
    """
    try:
        outcome = sending.invitation_email_send_batch(email_ids=email_ids)
    except sending.SmtpUnavailable as error:
        logger.warning("SMTP unavailable, batch put back to wait: %s", error)
        return {"unavailable": len(email_ids)}
    return {
        "sent": len(outcome.sent),
        "retried": outcome.retried,
        "bounced": outcome.bounced,
        "skipped": outcome.skipped,
        "failed": outcome.failed,
    }
