"""Webhooks: a team's subscriptions, one message per event and subscription, and every attempt to send it.

The messages are the outbox: each is written in the transaction of the change it reports, with
its body frozen as the exact bytes every attempt sends (feedback/webhooks/).
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Contact, Team


class WebhookEvent(models.TextChoices):
    RESPONSE_COMPLETED = "response.completed", _("Response completed")
    RESPONSE_TAGGED = "response.tagged", _("Response tagged")
    FOLLOW_UP_CREATED = "follow_up.created", _("Follow-up created")
    FOLLOW_UP_ESCALATED = "follow_up.escalated", _("Follow-up escalated")
    FOLLOW_UP_RESOLVED = "follow_up.resolved", _("Follow-up resolved")
    DISTRIBUTION_FINISHED = "distribution.finished", _("Distribution finished")
    # Sent on request ("send a test"), never subscribed to.
    PING = "webhook.ping", _("Test message")


SUBSCRIBABLE_EVENTS = [event for event in WebhookEvent if event != WebhookEvent.PING]


class WebhookSubscription(models.Model):
    """A receiver's URL and the events of one team it wants, signed with its own secret."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="+")
    url = models.CharField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    include_personal_data = models.BooleanField(
        _("include personal data"),
        default=False,
        help_text=_("Send the customer's name and address and what they wrote. Off: ids, scores and themes only."),
    )
    # Fernet tokens (feedback.webhooks.signing): a database dump alone does not reveal a secret.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True, db_index=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True, editable=False)
    # When the team was told it was disabled; the tick tells it again until an email went out.
    disabled_told_at = models.DateTimeField(_("team told at"), null=True, blank=True, editable=False)
    # Messages in a row that failed every attempt; any delivery resets it.
    consecutive_failures = models.PositiveIntegerField(_("failed messages in a row"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.description or self.url

    def signs_with_previous_secret(self, *, now: datetime) -> bool:
        """During the overlap after a rotation, the old secret signs too, so receivers can switch."""
        return (
            bool(self.previous_secret_encrypted)
            and self.previous_secret_until is not None
            and (now < self.previous_secret_until)
        )


class WebhookMessage(models.Model):
    """One event for one subscription: the body every attempt sends, and where delivery stands."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="messages")
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices, db_index=True)
    msg_id = models.CharField(_("message id"), max_length=40, unique=True)
    # The exact JSON sent, byte for byte, on every attempt (erasure may redact it).
    body = models.TextField(_("payload"))
    # The customer the body names (only when it names one): erasing them redacts the body.
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # When the next attempt is due; while an attempt runs, when it may be taken over.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhookmessage_due")]

    def __str__(self) -> str:
        return f"{self.event} {self.msg_id}"


class WebhookAttempt(models.Model):
    """One try at sending a message: what the receiver answered, or why nothing was sent."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(db_index=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_excerpt = models.CharField(_("response (start)"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
