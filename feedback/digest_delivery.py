"""Delivering digests: a periodic fan-out records one delivery per subscription and period,
workers send them in chunks, and a rerun, a second beat or a killed worker never sends twice.
"""

import logging
from datetime import date, datetime, timedelta
from email.mime.image import MIMEImage
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from feedback import digest_charts
from feedback.digests import DigestFilters, digest_content, period_for
from feedback.models import DigestDelivery, DigestSubscription
from vocsite.database import write_through_restart
from vocsite.queueing import enqueue_after_commit

logger = logging.getLogger(__name__)

CHUNK = 50
CLAIM_LEASE = timedelta(minutes=15)
ARCHIVE_SALT = "vocsite.digest.archive"


def archive_url(subscription: DigestSubscription) -> str:
    """A signed link to a subscriber's archive; no login, no ids in the clear."""
    signed = signing.dumps(subscription.pk, salt=ARCHIVE_SALT)
    return settings.SITE_URL + reverse("feedback:digest_archive", args=[signed])


def unsubscribe_url(subscription: DigestSubscription) -> str:
    return settings.SITE_URL + reverse("feedback:digest_unsubscribe", args=[subscription.token])


def digests_fan_out(*, now: datetime) -> int:
    """Record the due delivery of every active subscription and enqueue them in chunks."""
    today = timezone.localtime(now).date()
    rows = []
    for subscription in DigestSubscription.objects.filter(active=True):
        start, end = period_for(subscription, today=today)
        rows.append(DigestDelivery(subscription=subscription, period_start=start, period_end=end))
    DigestDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    stale = now - CLAIM_LEASE
    waiting = list(
        DigestDelivery.objects.filter(status=DigestDelivery.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .values_list("pk", flat=True)
    )
    from feedback.tasks import send_digests  # the tasks module imports this one

    for index in range(0, len(waiting), CHUNK):
        enqueue_after_commit(send_digests, waiting[index : index + CHUNK])
    return len(waiting)


def digest_deliver(*, delivery_id: int) -> str:
    """Claim one delivery, build it from stored tags, send it; returns the resulting status."""
    now = timezone.now()
    claimed = DigestDelivery.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE),
        pk=delivery_id,
        status=DigestDelivery.Status.PENDING,
    ).update(claimed_at=now, attempts=1)
    if claimed != 1:
        return "skipped"
    delivery = DigestDelivery.objects.select_related("subscription__user").get(pk=delivery_id)
    subscription = delivery.subscription
    content = digest_content(
        filters=DigestFilters.of(subscription), start=delivery.period_start, end=delivery.period_end
    )
    if not content["complaints"] and not subscription.send_when_empty:
        DigestDelivery.objects.filter(pk=delivery_id).update(status=DigestDelivery.Status.EMPTY, content=content)
        return DigestDelivery.Status.EMPTY
    try:
        digest_email(subscription=subscription, content=content).send()
    except OSError as error:
        DigestDelivery.objects.filter(pk=delivery_id).update(claimed_at=None, last_error=str(error)[:500])
        logger.warning("Digest %s not sent: %s", delivery_id, error)
        return "retry"
    # The server took it: a database restart must not lose that, or it would be sent again.
    write_through_restart(
        lambda: DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DigestDelivery.Status.SENT, sent_at=timezone.now(), content=content
        )
    )
    return DigestDelivery.Status.SENT


def digest_email(*, subscription: DigestSubscription, content: dict[str, Any]) -> EmailMultiAlternatives:
    """The digest email: text and HTML with inline PNG charts that carry text alternatives."""
    language = subscription.language
    with translation.override(language):
        context = digest_context(content, language=language)
        if subscription.pk:  # a digest sent by hand has no archive and nothing to unsubscribe from
            context.update(archive_url=archive_url(subscription), unsubscribe_url=unsubscribe_url(subscription))
        images = digest_pngs(content, language=language)
        context["images"] = {name: f"cid:{name}@vocsite" for name in images}
        subject = _("Customer complaints, %(start)s to %(end)s") % {"start": context["start"], "end": context["end"]}
        text = render_to_string("feedback/digest/digest.txt", context)
        html = render_to_string("feedback/digest/digest.html", {**context, "email": True})
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.recipient()],
    )
    if subscription.pk:
        message.extra_headers["List-Unsubscribe"] = f"<{unsubscribe_url(subscription)}>"
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach_alternative(html, "text/html")
    message.mixed_subtype = "related"
    for name, png in images.items():
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{name}@vocsite>")
        image.add_header("Content-Disposition", "inline", filename=f"{name}.png")
        message.attach(image)
    return message


def digest_context(content: dict[str, Any], *, language: str) -> dict[str, Any]:
    """Template context for any rendering of a digest (email, web archive, terminal)."""
    chinese = language == "zh-hans"
    themes = [
        {**row, "label": (row["name_zh"] if chinese and row["name_zh"] else row["name"])} for row in content["themes"]
    ]
    for row in themes:
        row["causes"] = [
            {**cause, "label": cause["name_zh"] if chinese and cause["name_zh"] else cause["name"]}
            for cause in row["root_causes"]
        ]
    touchpoints = [
        {**row, "label": row["name_zh"] if chinese and row["name_zh"] else row["name"]}
        for row in content.get("touchpoints", [])  # digests archived before touchpoints have none
    ]
    return {
        **content,
        "themes": themes,
        "touchpoints": touchpoints,
        "new_theme_labels": [row["label"] for row in themes if row["new"]],
        "start": date.fromisoformat(content["start"]),
        "end": date.fromisoformat(content["end"]) - timedelta(days=1),
        "language": language,
    }


def digest_pngs(content: dict[str, Any], *, language: str) -> dict[str, bytes]:
    """The two charts as PNG bytes, titled in the digest's language."""
    trend = content["trend"]
    chinese = language == "zh-hans"
    names = {
        str(row["theme_id"]): (row["name_zh"] or row["name"]) if chinese else row["name"] for row in content["themes"]
    }
    volumes = {names.get(pk, pk): counts for pk, counts in trend["volumes"].items()}
    return {
        "themes": digest_charts.theme_volume_png(trend["labels"], volumes, title=_("Complaints by theme")),
        "nps": digest_charts.score_trend_png(
            trend["labels"],
            [point["value"] for point in trend["nps"]],
            [point["low"] for point in trend["nps"]],
            [point["high"] for point in trend["nps"]],
            # xgettext:no-python-format
            title=_("NPS with its 95% margin of error"),
        ),
    }


def digest_unsubscribe(*, token: str) -> DigestSubscription | None:
    """One-click unsubscribe from a digest."""
    subscription = DigestSubscription.objects.filter(token=token).first()
    if subscription is not None:
        DigestSubscription.objects.filter(pk=subscription.pk).update(active=False)
    return subscription
