"""Delivering webhook messages at least once: one attempt at a time, retried on a schedule of about a day.

An attempt is claimed with a conditional UPDATE on the message's attempt count, so two workers
(or a worker and the sweep's task) never send the same attempt; the claim also pushes the due
time past the attempt's timeout, so a worker killed mid-attempt only delays the next one. Every
attempt is logged. A 2xx answer delivers; anything else (a redirect, which is never followed, a
timeout, a refused address) fails the attempt. A message that fails the whole schedule is
failed, and a subscription whose messages keep failing is disabled and its team told by email.
"""

import logging
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from feedback.models import WebhookAttempt, WebhookMessage, WebhookSubscription
from feedback.notifications import staff_language
from feedback.webhooks import addresses, signing
from feedback.webhooks.outbox import listening_refresh
from surveys.emails import one_line
from surveys.models import Role
from vocsite.queueing import enqueue_after_commit, sweep_grace

logger = logging.getLogger(__name__)

# Seconds before each attempt, counted from the failure of the one before (Standard Webhooks /
# Svix): at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; about 28 hours in all.
SCHEDULE_SECONDS = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
JITTER = 0.1
TASK_BATCH = 10  # a task sends at most this many messages, each bounded by the timeout
SWEEP_LIMIT = 2000
Status = WebhookMessage.Status


def retry_delay(*, attempts: int) -> timedelta | None:
    """How long after a failed attempt (the n-th) the next one is due; None after the last."""
    if attempts >= len(SCHEDULE_SECONDS):
        return None
    seconds = SCHEDULE_SECONDS[attempts]
    return timedelta(seconds=seconds * random.uniform(1 - JITTER, 1 + JITTER))


def attempt_lease() -> timedelta:
    """How long a claimed attempt is left to its worker before the sweep may take it over."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)


def message_deliver(*, message_id: int) -> str:
    """Make the next attempt at one message if it is due; returns delivered / retrying / failed / skipped."""
    now = timezone.now()
    message = WebhookMessage.objects.select_related("subscription").filter(pk=message_id).first()
    if message is None or message.status != Status.PENDING or not message.subscription.active:
        return "skipped"
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return "skipped"
    attempt = message.attempts + 1
    claimed = WebhookMessage.objects.filter(
        pk=message.pk, status=Status.PENDING, attempts=message.attempts, next_attempt_at__lte=now
    ).update(attempts=attempt, next_attempt_at=now + attempt_lease())
    if claimed != 1:
        return "skipped"  # another worker has this attempt
    answer = _send(message, now=now)
    return _attempt_record(message, attempt=attempt, answer=answer, at=now)


def _send(message: WebhookMessage, *, now: datetime) -> addresses.Answer:
    subscription = message.subscription
    try:
        target = addresses.target_for(subscription.url)
        keys = subscription_secrets(subscription, now=now)
    except addresses.AddressRefused as refused:
        return addresses.Answer(None, str(refused), "", 0)
    except InvalidToken:
        unreadable = _("The signing secret cannot be read (was WEBHOOK_ENCRYPTION_KEY changed?).")
        return addresses.Answer(None, unreadable, "", 0)
    headers = signing.headers(secrets_=keys, msg_id=message.msg_id, timestamp=int(now.timestamp()), body=message.body)
    return addresses.post(target, body=message.body.encode(), headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


def subscription_secrets(subscription: WebhookSubscription, *, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during a rotation's overlap."""
    keys = [signing.decrypt(subscription.secret_encrypted)]
    if subscription.signs_with_previous_secret(now=now):
        keys.append(signing.decrypt(subscription.previous_secret_encrypted))
    return keys


@transaction.atomic
def _attempt_record(message: WebhookMessage, *, attempt: int, answer: addresses.Answer, at: datetime) -> str:
    WebhookAttempt.objects.create(
        message=message,
        at=at,
        status_code=answer.status_code,
        error=answer.error[:500],
        duration_ms=answer.duration_ms,
        response_excerpt=answer.excerpt[:500],
    )
    mine = WebhookMessage.objects.filter(pk=message.pk, attempts=attempt, status=Status.PENDING)
    now = timezone.now()
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        mine.update(status=Status.DELIVERED, delivered_at=now, next_attempt_at=None)
        WebhookSubscription.objects.filter(pk=message.subscription_id, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
        return "delivered"
    delay = retry_delay(attempts=attempt)
    if delay is not None:
        mine.update(next_attempt_at=now + delay)
        return "retrying"
    if mine.update(status=Status.FAILED, next_attempt_at=None):
        _failed_for_good(message.subscription_id, last=answer, now=now)
    return "failed"


def _failed_for_good(subscription_id: int, *, last: addresses.Answer, now: datetime) -> None:
    """One more message failed every attempt; past the threshold the subscription is disabled."""
    subscriptions = WebhookSubscription.objects.filter(pk=subscription_id)
    subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
    reason = f"HTTP {last.status_code}" if last.status_code is not None else last.error
    disabled = subscriptions.filter(
        active=True, consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER_FAILED_MESSAGES
    ).update(active=False, disabled_at=now, disabled_reason=reason[:300])
    if disabled:
        from feedback.webhooks.outbox import listening_forget

        listening_forget()
        transaction.on_commit(lambda: subscription_disabled_tell(subscription_id=subscription_id))


def subscription_disabled_tell(*, subscription_id: int) -> int:
    """Email the team's managers (administrators when it has none) that its webhook was disabled.

    The subscription is claimed first (disabled_told_at), so the tick and the commit hook never
    both send; if no email went out, the claim is given back and the next tick tries again.
    """
    untold = WebhookSubscription.objects.filter(pk=subscription_id, active=False, disabled_told_at__isnull=True)
    if not untold.update(disabled_told_at=timezone.now()):
        return 0
    subscription = WebhookSubscription.objects.select_related("team").get(pk=subscription_id)
    sent = 0
    link = settings.SITE_URL + reverse("admin:feedback_webhooksubscription_change", args=[subscription.pk])
    people = _people_to_tell(team_id=subscription.team_id)
    for person in people:
        with translation.override(staff_language(person)):
            text = render_to_string(
                "feedback/email/webhook_disabled.txt", {"subscription": subscription, "link": link, "person": person}
            )
        subject, _blank, body = text.partition("\n\n")
        try:
            EmailMessage(one_line(subject), body.strip(), to=[person.email]).send()
            sent += 1
        except OSError:
            logger.exception("Could not tell %s that webhook subscription %s was disabled", person.pk, subscription_id)
    if people and not sent:
        WebhookSubscription.objects.filter(pk=subscription_id).update(disabled_told_at=None)
    return sent


def subscriptions_disabled_tell_pending() -> int:
    """Tell the teams of disabled subscriptions whose notice has not gone out yet (an SMTP outage)."""
    untold = WebhookSubscription.objects.filter(
        active=False, disabled_at__isnull=False, disabled_told_at__isnull=True
    ).values_list("pk", flat=True)
    return sum(subscription_disabled_tell(subscription_id=pk) for pk in list(untold[:SWEEP_LIMIT]))


def _people_to_tell(*, team_id: int) -> list:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    managers = list(users.filter(memberships__team_id=team_id, memberships__role=Role.MANAGER).distinct())
    if managers:
        return managers
    administrators = Q(is_superuser=True) | Q(memberships__team__isnull=True, memberships__role=Role.ADMINISTRATOR)
    return list(users.filter(administrators).distinct())


def webhooks_tick(*, now: datetime) -> int:
    """The sweep: refresh who listens, hand due messages to workers, drop old secrets and old messages."""
    from feedback.tasks import deliver_webhook_messages

    listening_refresh()
    due = list(
        WebhookMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now, subscription__active=True)
        # A first attempt's own wake-up is most likely on its way: leave young messages to it.
        .filter(Q(attempts__gt=0) | Q(created_at__lt=now - sweep_grace()))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    for chunk in _chunks(due):
        with transaction.atomic():
            enqueue_after_commit(deliver_webhook_messages, chunk)
    WebhookSubscription.objects.filter(previous_secret_until__lte=now).update(
        previous_secret_encrypted="", previous_secret_until=None
    )
    webhook_messages_purge(now=now)
    subscriptions_disabled_tell_pending()
    return len(due)


def webhook_messages_purge(*, now: datetime) -> int:
    """Delete delivered and failed messages (and their attempts) past the retention window."""
    cutoff = now - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    old = WebhookMessage.objects.filter(created_at__lt=cutoff).exclude(status=Status.PENDING).values("pk")[:5000]
    deleted, _counts = WebhookMessage.objects.filter(pk__in=old).delete()
    return deleted


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), TASK_BATCH):
        yield ids[start : start + TASK_BATCH]
