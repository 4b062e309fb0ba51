"""Writes on webhook subscriptions: create, change, rotate the secret, enable again, send a test."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import SUBSCRIBABLE_EVENTS, WebhookEvent, WebhookMessage, WebhookSubscription
from feedback.webhooks import addresses, signing
from feedback.webhooks.outbox import body_dumps, listening_forget, msg_id_new
from surveys.models import Team
from vocsite.queueing import enqueue_after_commit

ROTATION_OVERLAP = timedelta(hours=24)


def webhook_url_check(url: str) -> str:
    """The URL, stripped, when it may receive webhooks; a field error on `url` otherwise."""
    try:
        addresses.target_for(url)
    except addresses.AddressRefused as refused:
        raise ValidationError({"url": str(refused)}) from None
    return url.strip()


def webhook_events_check(events: Iterable[str]) -> list[str]:
    """Known, subscribable event names, each once, in a stable order; a field error otherwise."""
    chosen = list(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in SUBSCRIBABLE_EVENTS]
    if unknown or not chosen:
        names = ", ".join(SUBSCRIBABLE_EVENTS)
        raise ValidationError({"events": _("Choose one or more of: %(events)s.") % {"events": names}})
    return sorted(chosen)


@transaction.atomic
def webhook_subscription_create(
    *, team: Team, url: str, events: list[str], description: str = "", include_personal_data: bool = False, by: Any
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to a team's events; returns the subscription and its secret, shown only now."""
    secret = signing.secret_new()
    subscription = WebhookSubscription.objects.create(
        team=team,
        url=webhook_url_check(url),
        events=webhook_events_check(events),
        description=description,
        include_personal_data=include_personal_data,
        secret_encrypted=signing.encrypt(secret),
        created_by=by if getattr(by, "pk", None) else None,
    )
    listening_forget()
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(*, subscription: WebhookSubscription, **changes: Any) -> WebhookSubscription:
    """Change the URL, events, team, description or personal-data choice (checked like at creation)."""
    if "url" in changes:
        changes["url"] = webhook_url_check(changes["url"])
    if "events" in changes:
        changes["events"] = webhook_events_check(changes["events"])
    for field, value in changes.items():
        setattr(subscription, field, value)
    subscription.save(update_fields=list(changes))
    listening_forget()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its messages and their attempts."""
    subscription.delete()
    listening_forget()


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new secret signs from now on; the old one signs too for 24 hours. Returns the new one, shown once."""
    secret = signing.secret_new()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        secret_encrypted=signing.encrypt(secret),
        previous_secret_encrypted=subscription.secret_encrypted,
        previous_secret_until=timezone.now() + ROTATION_OVERLAP,
    )
    subscription.refresh_from_db()
    return secret


@transaction.atomic
def webhook_subscription_enable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Send again to a disabled subscription: its waiting messages are due at once, the failure count restarts."""
    now = timezone.now()
    if WebhookSubscription.objects.filter(pk=subscription.pk, active=False).update(
        active=True, disabled_at=None, disabled_reason="", disabled_told_at=None, consecutive_failures=0
    ):
        WebhookMessage.objects.filter(subscription=subscription, status=WebhookMessage.Status.PENDING).update(
            next_attempt_at=now
        )
        listening_forget()
    subscription.refresh_from_db()
    return subscription


@transaction.atomic
def webhook_subscription_ping(*, subscription: WebhookSubscription) -> WebhookMessage:
    """Queue a test message (webhook.ping) to the subscription, delivered and logged like any other."""
    from feedback.tasks import deliver_webhook_messages

    now = timezone.now()
    data = {"team": {"id": subscription.team_id}, "subscription": {"id": subscription.pk}}
    message = WebhookMessage.objects.create(
        subscription=subscription,
        event=WebhookEvent.PING,
        msg_id=msg_id_new(),
        body=body_dumps(event=WebhookEvent.PING, at=now, data=data),
        created_at=now,
        next_attempt_at=now,
    )
    enqueue_after_commit(deliver_webhook_messages, [message.pk])
    return message
