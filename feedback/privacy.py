"""Personal data in responses, the closed loop and digests, for the privacy registry (vocsite.privacy).

Loaded by FeedbackConfig.ready. Erasing a contact keeps their scores, choices, sentiment and
themes, detached from them, so every figure stays the same; what they wrote, what staff wrote
about them and the emails about their case are redacted.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from feedback.digests import scrub
from feedback.models import Answer, DigestDelivery, FollowUp, FollowUpEvent, FollowUpNotification, WebhookMessage
from feedback.webhooks.outbox import body_redact
from vocsite.privacy import registry
from vocsite.privacy.registry import DataClass, Erase, ModelPrivacy, PersonalField, fields

CONFIGURATION = "set up by staff; about no customer"
COUNTS = "counts per day, about no one"
HEALTH_FIGURES = "points and counts of the health formula"
CASE_PATH = "response__invitation__contact"


def _quote_form(text: str) -> str:
    """An answer as a digest quotes it (see feedback.digests._quotes), for comparison."""
    return scrub(" ".join(text.split())).lower()


def answer_erase_hook(batch: registry.ErasureBatch) -> int:
    """Remove these answers where stored digests quote them."""
    rows = (
        Answer.objects.filter(pk__in=batch.rows.get("feedback.answer", []))
        .exclude(text="")
        .values_list("text", "response__completed_at")
    )
    quoted = {_quote_form(text): completed_at for text, completed_at in rows if completed_at is not None}
    if not quoted:
        return 0
    moments = list(quoted.values())
    earliest, latest = min(moments).date(), max(moments).date()
    # A digest quotes only answers completed within its own period (a day of margin for time zones).
    deliveries = DigestDelivery.objects.filter(
        period_start__lte=latest + timedelta(days=1), period_end__gt=earliest - timedelta(days=1)
    ).only("pk", "content")
    changed = []
    for delivery in deliveries:
        content, removed = _without_quotes(delivery.content, lambda quote: quote["text"].lower() in quoted)
        if removed:
            delivery.content = content
            changed.append(delivery)
    DigestDelivery.objects.bulk_update(changed, ["content"])
    return len(changed)


def _without_quotes(content: dict[str, Any], remove: Any) -> tuple[dict[str, Any], int]:
    removed = 0
    for theme in content.get("themes", []):
        quotes = theme.get("quotes", [])
        kept = [quote for quote in quotes if not remove(quote)]
        removed += len(quotes) - len(kept)
        theme["quotes"] = kept
    return content, removed


def digest_quotes_expire(cutoff: datetime, batch_size: int) -> int:
    """Retention: drop every quote from one batch of digests stored before the cutoff."""
    old = list(
        DigestDelivery.objects.filter(created_at__lt=cutoff, content__has_key="themes")
        .exclude(content__has_key="quotes_removed")
        .only("pk", "content")
        .order_by("pk")[:batch_size]
    )
    for delivery in old:
        delivery.content, _removed = _without_quotes(delivery.content, lambda quote: True)
        delivery.content["quotes_removed"] = True
    DigestDelivery.objects.bulk_update(old, ["content"])
    return len(old)


def notification_erase_hook(batch: registry.ErasureBatch) -> int:
    """Emails about the erased contacts' cases that were still waiting are never sent."""
    return FollowUpNotification.objects.filter(
        pk__in=batch.rows.get("feedback.followupnotification", []), status=FollowUpNotification.Status.PENDING
    ).update(status=FollowUpNotification.Status.FAILED)


def webhook_message_erase_hook(batch: registry.ErasureBatch) -> int:
    """Remove the erased contacts' names, addresses and words from webhook payloads not yet purged."""
    messages = list(WebhookMessage.objects.filter(pk__in=batch.rows.get("feedback.webhookmessage", [])).only("body"))
    for message in messages:
        message.body = body_redact(message.body)
    WebhookMessage.objects.bulk_update(messages, ["body"])
    return len(messages)


registry.register(
    ModelPrivacy(
        "feedback.SurveyResponse",
        personal=fields(DataClass.CONTACT_LINK, Erase.NULL, "contact"),
        contact_path="invitation__contact",
        export_as="responses",
        export_related=("survey__name",),
    ),
    ModelPrivacy(
        "feedback.Answer",
        personal=fields(DataClass.FREE_TEXT, Erase.BLANK, "text", "key_phrases"),
        not_personal={"choices": "values of the options the survey offered", "text_language": "a language code"},
        contact_path="response__invitation__contact",
        export_as="answers",
        export_parent=("feedback.SurveyResponse", "response_id"),
        export_related=("question__key", "question__text_en"),
        age_field="answered_at",
        erase_hook=answer_erase_hook,
    ),
    ModelPrivacy(
        "feedback.AnswerTheme",
        contact_path="answer__response__invitation__contact",
        export_as="themes",
        export_parent=("feedback.Answer", "answer_id"),
        export_related=("theme__name",),
    ),
    ModelPrivacy(
        "feedback.FollowUp",
        personal=fields(DataClass.CONTACT_LINK, Erase.NULL, "contact")
        + fields(DataClass.STAFF_NOTES, Erase.REDACT, "resolution_note", "shared_note"),
        contact_path=CASE_PATH,
        export_as="follow_ups",
        export_related=("owner__username", "root_cause__name"),
        age_field="created_at",
        in_use=Q(status__in=FollowUp.OPEN_STATUSES),
    ),
    ModelPrivacy(
        "feedback.FollowUpEvent",
        personal=(
            # Notes staff wrote; a "created" event's note is the name of the routing rule.
            PersonalField("note", DataClass.STAFF_NOTES, Erase.REDACT, where=~Q(kind=FollowUpEvent.Kind.CREATED)),
            # An email event keeps the subject staff wrote to the customer; others a status or a username.
            PersonalField("to_value", DataClass.STAFF_NOTES, Erase.REDACT, where=Q(kind=FollowUpEvent.Kind.EMAIL)),
        ),
        contact_path=f"follow_up__{CASE_PATH}",
        export_as="events",
        export_parent=("feedback.FollowUp", "follow_up_id"),
        export_related=("actor__username",),
        age_field="at",
        in_use=Q(follow_up__status__in=FollowUp.OPEN_STATUSES),
    ),
    ModelPrivacy(
        "feedback.FollowUpNotification",
        personal=fields(DataClass.EMAIL_CONTENT, Erase.BLANK, "recipient", "reply_to")
        + fields(DataClass.EMAIL_CONTENT, Erase.REDACT, "subject", "body")
        + fields(DataClass.DELIVERY_ERRORS, Erase.BLANK, "last_error"),
        contact_path=f"follow_up__{CASE_PATH}",
        export_as="emails",
        export_parent=("feedback.FollowUp", "follow_up_id"),
        age_field="created_at",
        in_use=Q(status=FollowUpNotification.Status.PENDING),
        erase_hook=notification_erase_hook,
    ),
    ModelPrivacy(
        "feedback.DigestSubscription",
        # Designers' subscriptions, not customers': deleted in admin when the subscriber leaves.
        personal=fields(DataClass.SUBSCRIBER_IDENTITY, Erase.DELETE, "name", "email")
        + fields(DataClass.CREDENTIAL, Erase.DELETE, "token", export=False),
        not_personal={"answer_languages": "language codes"},
    ),
    ModelPrivacy(
        "feedback.DigestDelivery",
        personal=(
            # Quotes of answers: removed when their author is erased (answer_erase_hook) and after
            # the retention window (digest_quotes_expire); the counts and themes stay.
            PersonalField("content", DataClass.DIGEST_QUOTES, Erase.HOOK),
            PersonalField("last_error", DataClass.DELIVERY_ERRORS, Erase.BLANK),
        ),
        age_field="created_at",
        in_use=Q(status=DigestDelivery.Status.PENDING),
    ),
    ModelPrivacy(
        "feedback.Theme", not_personal={"name": CONFIGURATION, "name_zh": CONFIGURATION, "keywords": CONFIGURATION}
    ),
    ModelPrivacy(
        "feedback.BusinessCalendar",
        not_personal={"name": CONFIGURATION, "workdays": CONFIGURATION, "holidays": CONFIGURATION},
    ),
    ModelPrivacy("feedback.RootCause", not_personal={"name": CONFIGURATION, "name_zh": CONFIGURATION}),
    ModelPrivacy("feedback.RoutingRule", not_personal={"name": CONFIGURATION}),
    # A contact's health is derived from their answers: exported with them, and deleted with their
    # row (the foreign keys cascade); an account's health is about a company.
    ModelPrivacy(
        "feedback.HealthScore",
        personal=fields(DataClass.CONTACT_LINK, Erase.DELETE, "contact"),
        not_personal={"breakdown": HEALTH_FIGURES, "moved": HEALTH_FIGURES},
        contact_path="contact",
        export_as="health",
    ),
    ModelPrivacy(
        "feedback.HealthHistory",
        personal=fields(DataClass.CONTACT_LINK, Erase.DELETE, "contact"),
        not_personal={"breakdown": HEALTH_FIGURES},
        contact_path="contact",
        export_as="health_history",
    ),
    ModelPrivacy(
        "feedback.HealthDirty",
        personal=fields(DataClass.CONTACT_LINK, Erase.DELETE, "contact"),
    ),
    ModelPrivacy("feedback.AlertRule", not_personal={"name": CONFIGURATION}),
    # Webhooks: only messages of subscriptions that opted into personal data name a customer (and
    # are tied to them); erasing the customer redacts those payloads. Every message and attempt is
    # deleted after WEBHOOK_RETENTION_DAYS (feedback.webhooks.delivery.webhook_messages_purge).
    ModelPrivacy(
        "feedback.WebhookSubscription",
        not_personal={
            "events": "event names",
            "secret_encrypted": "a receiver's signing key, encrypted; about no person",
            "previous_secret_encrypted": "a receiver's previous signing key, encrypted",
        },
    ),
    ModelPrivacy(
        "feedback.WebhookMessage",
        personal=fields(DataClass.CONTACT_LINK, Erase.NULL, "contact")
        + fields(DataClass.FREE_TEXT, Erase.HOOK, "body"),
        contact_path="contact",
        export_as="webhook_messages",
        age_field="created_at",
        in_use=Q(status=WebhookMessage.Status.PENDING),
        erase_hook=webhook_message_erase_hook,
    ),
    ModelPrivacy(
        "feedback.WebhookAttempt",
        # A receiver's answer could quote anything it was sent.
        personal=fields(DataClass.DELIVERY_ERRORS, Erase.BLANK, "error", "response_excerpt"),
        age_field="at",
    ),
    ModelPrivacy("feedback.HealthAlert", not_personal={"details": "the numbers that made a rule fire for a company"}),
    ModelPrivacy("feedback.ResponseRollup", not_personal={"nps_histogram": COUNTS}),
    ModelPrivacy("feedback.SurveySummary", not_personal={"figures": "a survey's figures by month, added up"}),
    ModelPrivacy(
        "feedback.LoopRollup",
        not_personal={"first_action_buckets": COUNTS, "resolution_buckets": COUNTS, "root_causes": COUNTS},
    ),
)
registry.register_retention_step(DataClass.DIGEST_QUOTES, digest_quotes_expire)
