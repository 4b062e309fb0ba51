"""Emails about follow-ups, each recorded before it is sent and sent at most once per step.

A notification row is created in the same transaction as the change it reports; the unique
(follow-up, kind, step) constraint makes a second beat, a retried task or a rerun a no-op.
Sending happens after commit in a worker, which claims the row with a conditional UPDATE.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from feedback.models import FollowUp, FollowUpNotification, StaffProfile
from surveys.emails import one_line
from surveys.models import Language
from vocsite.database import write_through_restart
from vocsite.queueing import enqueue_after_commit, sweep_grace

logger = logging.getLogger(__name__)

Kind = FollowUpNotification.Kind
MAX_ATTEMPTS = 8


def claim_lease() -> timedelta:
    """How long a claimed email stays with its worker before the sweep hands it to another."""
    return timedelta(seconds=settings.SEND_LEASE_SECONDS)


def staff_language(user: AbstractBaseUser) -> str:
    profile = StaffProfile.objects.filter(user=user).first()
    return profile.language if profile else Language.ENGLISH


def follow_up_admin_url(follow_up: FollowUp) -> str:
    return settings.SITE_URL + reverse("admin:feedback_followup_change", args=[follow_up.pk])


def _record(
    follow_up: FollowUp,
    *,
    kind: str,
    step: int,
    recipient: str,
    language: str,
    template: str,
    context: dict[str, object],
    reply_to: str = "",
) -> FollowUpNotification | None:
    """Render and store one notification; None when this step was already recorded."""
    if not recipient:
        logger.warning("Follow-up %s: no address for the %s email, step %s", follow_up.pk, kind, step)
        return None
    with translation.override(language):
        body = render_to_string(f"feedback/email/{template}.txt", {"follow_up": follow_up, **context})
    subject, _blank, text = body.partition("\n\n")
    notification = FollowUpNotification(
        follow_up=follow_up,
        kind=kind,
        step=step,
        recipient=recipient,
        reply_to=reply_to,
        subject=one_line(subject)[:300],
        body=text.strip(),
        language=language,
    )
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        # Recorded before, by a second beat, a retried task or a rerun. (An INSERT that ignores
        # conflicts cannot tell: Django hands back the row either way.)
        return None
    notification_send_later(notification_id=notification.pk)
    return notification


def notify_assigned(*, follow_up: FollowUp, step: int) -> FollowUpNotification | None:
    """Tell the owner a follow-up is theirs (step counts the assignments)."""
    owner = follow_up.owner
    return _record(
        follow_up,
        kind=Kind.ASSIGNED,
        step=step,
        recipient=owner.email,
        language=staff_language(owner),
        template="assigned",
        context={"link": follow_up_admin_url(follow_up), "owner": owner},
    )


def notify_reminder(*, follow_up: FollowUp) -> FollowUpNotification | None:
    """Remind the owner before the due time (once)."""
    owner = follow_up.owner
    return _record(
        follow_up,
        kind=Kind.REMINDER,
        step=0,
        recipient=owner.email,
        language=staff_language(owner),
        template="reminder",
        context={"link": follow_up_admin_url(follow_up), "owner": owner},
    )


def notify_escalation(*, follow_up: FollowUp, level: int, to: AbstractBaseUser) -> FollowUpNotification | None:
    """Tell the next person up the chain that a follow-up is overdue (once per level)."""
    return _record(
        follow_up,
        kind=Kind.ESCALATION,
        step=level,
        recipient=to.email,
        language=staff_language(to),
        template="escalation",
        context={"link": follow_up_admin_url(follow_up), "level": level, "recipient": to},
    )


def notify_customer_resolution(*, follow_up: FollowUp, status_url: str) -> FollowUpNotification | None:
    """ "You told us, here is what we did", in the customer's language (once)."""
    contact = follow_up.contact
    if contact is None:
        return None
    return _record(
        follow_up,
        kind=Kind.CUSTOMER,
        step=0,
        recipient=contact.email,
        language=contact.language,
        template="customer_resolution",
        context={"contact": contact, "status_url": status_url, "quote": _quote(follow_up)},
        reply_to=follow_up.owner.email,
    )


def notify_customer_message(
    *, follow_up: FollowUp, step: int, subject: str, message: str
) -> FollowUpNotification | None:
    """A message from staff to the customer; replies go to the owner."""
    contact = follow_up.contact
    if contact is None:
        return None
    return _record(
        follow_up,
        kind=Kind.CUSTOMER_MESSAGE,
        step=step,
        recipient=contact.email,
        language=contact.language,
        template="customer_message",
        context={"subject": subject, "message": message},
        reply_to=follow_up.owner.email,
    )


def _quote(follow_up: FollowUp) -> str:
    if follow_up.response is None:
        return ""
    texts = follow_up.response.answers.exclude(text="").order_by("question__page").values_list("text", flat=True)
    first = next(iter(texts), "")
    return first[:300]


def notification_send_later(*, notification_id: int) -> None:
    from feedback.tasks import send_follow_up_notification  # the tasks module imports this one

    enqueue_after_commit(send_follow_up_notification, notification_id)


def notification_send(*, notification_id: int) -> bool:
    """Claim and send one notification; True when this call sent it."""
    now = timezone.now()
    claimed = FollowUpNotification.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_lease()),
        pk=notification_id,
        status=FollowUpNotification.Status.PENDING,
    ).update(claimed_at=now)
    if claimed != 1:
        return False
    notification = FollowUpNotification.objects.get(pk=notification_id)
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        reply_to=[notification.reply_to] if notification.reply_to else None,
    )
    try:
        message.send()
    except OSError as error:  # smtplib errors and connection failures are all OSError
        attempts = notification.attempts + 1
        status = FollowUpNotification.Status.FAILED if attempts >= MAX_ATTEMPTS else FollowUpNotification.Status.PENDING
        FollowUpNotification.objects.filter(pk=notification_id).update(
            attempts=attempts, status=status, claimed_at=None, last_error=str(error)[:500]
        )
        logger.warning("Follow-up email %s not sent (attempt %s): %s", notification_id, attempts, error)
        return False
    # The server took it: a database restart must not lose that, or it would be sent again.
    write_through_restart(
        lambda: FollowUpNotification.objects.filter(pk=notification_id).update(
            status=FollowUpNotification.Status.SENT, sent_at=timezone.now(), attempts=notification.attempts + 1
        )
    )
    return True


def notifications_sweep(*, now: datetime) -> int:
    """Enqueue notifications whose task was lost, and retry failed sends with backoff."""
    ids = list(
        FollowUpNotification.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_lease()),
            status=FollowUpNotification.Status.PENDING,
            created_at__lt=now - sweep_grace(),
        ).values_list("pk", flat=True)[:1000]
    )
    with transaction.atomic():
        for pk in ids:
            notification_send_later(notification_id=pk)
    return len(ids)
