"""Personal data in responses, the closed loop and digests, for the privacy registry (vocsite.privacy).

Loaded by FeedbackConfig.ready. Erasing a contact keeps their scores, choices, sentiment and
themes, detached from them, so every figure stays the same; what they wrote, what staff wrote
about them and the emails about their case are redacted.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from feedback.digests import scrub
from feedback.models import Answer, DigestDelivery, FollowUp, FollowUpEvent, FollowUpNotification
from vocsite.privacy.registry import (
    DataClass,
    Erase,
    ErasureBatch,
    ModelPrivacy,
    PersonalField,
    register,
    register_retention_step,
)

CONFIGURATION = "set up by staff; about no customer"
COUNTS = "counts per day, about no one"
CASE_PATH = "response__invitation__contact"


def _quote_form(text: str) -> str:
    """An answer as a digest quotes it (see feedback.digests._quotes), for comparison."""
    return scrub(" ".join(text.split())).lower()


def answer_erase_hook(batch: ErasureBatch) -> int:
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


def notification_erase_hook(batch: ErasureBatch) -> int:
    """Emails about the erased contacts' cases that were still waiting are never sent."""
    return FollowUpNotification.objects.filter(
        pk__in=batch.rows.get("feedback.followupnotification", []), status=FollowUpNotification.Status.PENDING
    ).update(status=FollowUpNotification.Status.FAILED)


register(
    ModelPrivacy(
        "feedback.SurveyResponse",
        personal=(PersonalField("contact", DataClass.CONTACT_LINK, Erase.NULL),),
        contact_path="invitation__contact",
        export_as="responses",
        export_related=("survey__name",),
    )
)
register(
    ModelPrivacy(
        "feedback.Answer",
        personal=(
            PersonalField("text", DataClass.FREE_TEXT, Erase.BLANK),
            PersonalField("key_phrases", DataClass.FREE_TEXT, Erase.BLANK),
        ),
        not_personal={
            "choices": "values of the options the survey offered",
            "text_language": "a language code",
        },
        contact_path="response__invitation__contact",
        export_as="answers",
        export_parent=("feedback.SurveyResponse", "response_id"),
        export_related=("question__key", "question__text_en"),
        age_field="answered_at",
        erase_hook=answer_erase_hook,
    )
)
register(
    ModelPrivacy(
        "feedback.AnswerTheme",
        contact_path="answer__response__invitation__contact",
        export_as="themes",
        export_parent=("feedback.Answer", "answer_id"),
        export_related=("theme__name",),
    )
)
register(
    ModelPrivacy(
        "feedback.FollowUp",
        personal=(
            PersonalField("contact", DataClass.CONTACT_LINK, Erase.NULL),
            PersonalField("resolution_note", DataClass.STAFF_NOTES, Erase.REDACT),
            PersonalField("shared_note", DataClass.STAFF_NOTES, Erase.REDACT),
        ),
        contact_path=CASE_PATH,
        export_as="follow_ups",
        export_related=("owner__username", "root_cause__name"),
        age_field="created_at",
        in_use=Q(status__in=FollowUp.OPEN_STATUSES),
    )
)
register(
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
    )
)
register(
    ModelPrivacy(
        "feedback.FollowUpNotification",
        personal=(
            PersonalField("recipient", DataClass.EMAIL_CONTENT, Erase.BLANK),
            PersonalField("reply_to", DataClass.EMAIL_CONTENT, Erase.BLANK),
            PersonalField("subject", DataClass.EMAIL_CONTENT, Erase.REDACT),
            PersonalField("body", DataClass.EMAIL_CONTENT, Erase.REDACT),
            PersonalField("last_error", DataClass.DELIVERY_ERRORS, Erase.BLANK),
        ),
        contact_path=f"follow_up__{CASE_PATH}",
        export_as="emails",
        export_parent=("feedback.FollowUp", "follow_up_id"),
        age_field="created_at",
        in_use=Q(status=FollowUpNotification.Status.PENDING),
        erase_hook=notification_erase_hook,
    )
)
register(
    ModelPrivacy(
        "feedback.DigestSubscription",
        # Designers' subscriptions, not customers': deleted in admin when the subscriber leaves.
        personal=(
            PersonalField("name", DataClass.SUBSCRIBER_IDENTITY, Erase.DELETE),
            PersonalField("email", DataClass.SUBSCRIBER_IDENTITY, Erase.DELETE),
            PersonalField("token", DataClass.CREDENTIAL, Erase.DELETE, export=False),
        ),
        not_personal={"answer_languages": "language codes"},
    )
)
register(
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
    )
)
register_retention_step(DataClass.DIGEST_QUOTES, digest_quotes_expire)
register(
    ModelPrivacy(
        "feedback.Theme", not_personal={"name": CONFIGURATION, "name_zh": CONFIGURATION, "keywords": CONFIGURATION}
    )
)
register(
    ModelPrivacy(
        "feedback.BusinessCalendar",
        not_personal={"name": CONFIGURATION, "workdays": CONFIGURATION, "holidays": CONFIGURATION},
    )
)
register(ModelPrivacy("feedback.RootCause", not_personal={"name": CONFIGURATION, "name_zh": CONFIGURATION}))
register(ModelPrivacy("feedback.RoutingRule", not_personal={"name": CONFIGURATION}))
register(ModelPrivacy("feedback.ResponseRollup", not_personal={"nps_histogram": COUNTS}))
register(ModelPrivacy("feedback.SurveySummary", not_personal={"figures": "a survey's figures by month, added up"}))
register(
    ModelPrivacy(
        "feedback.LoopRollup",
        not_personal={"first_action_buckets": COUNTS, "resolution_buckets": COUNTS, "root_causes": COUNTS},
    )
)
