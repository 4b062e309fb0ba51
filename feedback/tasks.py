"""Celery tasks of feedback: thin wrappers that take ids and call one service."""

import logging
from collections import Counter
from collections.abc import Iterable

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from feedback import digest_delivery, loop, notifications, rollups, routing, tagging
from feedback.health import services as health
from feedback.webhooks import delivery as webhooks

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def response_completed(response_id: int) -> dict[str, int | None]:
    """After a response is completed: tag its free text, then route it (follow-up or not).

    An unhappy customer must not wait on the analyser: if tagging fails, routing still runs
    (on scores and whatever is known) and the sweep tags the answers later.
    """
    try:
        tagged = tagging.response_tag(response_id=response_id)
    except (OperationalError, InterfaceError):
        raise  # the database went away: routing cannot run either, and the task is retried
    except Exception:
        logger.exception("Tagging response %s failed; routing it anyway", response_id)
        tagged = 0
    follow_up = routing.response_route(response_id=response_id)
    rollups.rollup_mark_responses(response_ids=[response_id])
    # Last: the customer's health sees the answer's sentiment and any follow-up just opened.
    health.health_mark_response(response_id=response_id)
    return {"tagged": tagged, "follow_up": follow_up.pk if follow_up else None}


@shared_task(acks_late=True)
def tag_answers(answer_ids: list[int]) -> int:
    """Tag a batch of answers found by the sweep."""
    return tagging.answers_tag(answer_ids=answer_ids)


@shared_task(acks_late=True)
def send_follow_up_notification(notification_id: int) -> bool:
    """Send one follow-up email (owner, escalation or customer)."""
    return notifications.notification_send(notification_id=notification_id)


@shared_task(acks_late=True)
def send_digests(delivery_ids: list[int]) -> dict[str, int]:
    """Send a chunk of digest deliveries (each claimed on its own, so a rerun skips the sent)."""
    return _tally(digest_delivery.digest_deliver(delivery_id=delivery_id) for delivery_id in delivery_ids)


@shared_task(acks_late=True)
def deliver_webhook_messages(message_ids: list[int]) -> dict[str, int]:
    """Make the due attempt at each of these webhook messages (a message not due is skipped)."""
    return _tally(webhooks.message_deliver(message_id=message_id) for message_id in message_ids)


def _tally(outcomes: Iterable[str]) -> dict[str, int]:
    """How many times each outcome came up (a task's result, for the logs)."""
    return dict(Counter(outcomes))


@shared_task(acks_late=True)
def refresh_health() -> int:
    """Recompute a batch of marked health scores (and run the alert rules on them)."""
    return health.health_refresh_dirty()


@shared_task(acks_late=True)
def feedback_tick() -> dict[str, int]:
    """The beat's periodic work: lost tagging and routing, reminders, escalations, lost emails, health."""
    now = timezone.now()
    return {
        "untagged": tagging.answers_sweep_untagged(now=now),
        "routed": routing.responses_route_unrouted(now=now),
        "reminded": loop.follow_ups_remind_due(now=now),
        "escalated": loop.follow_ups_escalate_due(now=now),
        "emails": notifications.notifications_sweep(now=now),
        "marked": rollups.rollups_mark_recent_invitations(now=now),
        "rollups": rollups.rollups_refresh_dirty(),
        "digests": digest_delivery.digests_fan_out(now=now),
        "webhooks": webhooks.webhooks_tick(now=now),
        **health.health_tick(now=now),
    }
