"""Sending invitation emails: enqueue due ones in batches, claim, send over one SMTP connection.

Each email row goes pending -> claimed -> sent (or bounced, failed, skipped). A worker claims a
batch with one conditional UPDATE, so two workers never hold the same row, and records each
message as sent right after the server accepted it, so a worker killed mid-batch leaves only
unsent rows claimed; the sweep hands those back after the lease.
"""

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from surveys.distributions import skip_reason_for
from surveys.emails import InvitationEmailBuilder
from surveys.models import Contact, Distribution, Invitation, InvitationEmail
from surveys.ratelimit import SendRateLimiter
from surveys.suppression import address_normalise, suppressed_among
from vocsite.database import write_through_restart
from vocsite.queueing import enqueue_after_commit

logger = logging.getLogger(__name__)

EmailStatus = InvitationEmail.Status
MAX_ENQUEUED_PER_TICK = 100_000
# Manual resends are numbered from here, apart from the reminder sequence 1, 2, ...
RESEND_SEQUENCE_START = 100

# Failures of the connection itself: nothing about one recipient, so the batch is retried later.
CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError)


class SmtpUnavailable(Exception):
    """The SMTP server could not be reached or dropped us twice; the batch goes back to wait."""


@dataclass
class BatchOutcome:
    sent: list[InvitationEmail] = field(default_factory=list)
    retried: int = 0
    bounced: int = 0
    skipped: int = 0
    failed: int = 0


def emails_enqueue_due(*, now: datetime) -> int:
    """Hand due emails to workers in batches; each batch is one broker message, never one per email."""
    stale = now - timedelta(seconds=settings.SEND_LEASE_SECONDS)
    ids = list(
        InvitationEmail.objects.due(now=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .filter(
            Q(invitation__distribution__isnull=True)
            | Q(invitation__distribution__status__in=Distribution.ACTIVE_STATUSES)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:MAX_ENQUEUED_PER_TICK]
    )
    for start in range(0, len(ids), settings.SEND_BATCH_SIZE):
        batch = ids[start : start + settings.SEND_BATCH_SIZE]
        with transaction.atomic():
            InvitationEmail.objects.filter(pk__in=batch).update(enqueued_at=now)
            invitation_emails_enqueue(email_ids=batch)
    return len(ids)


def invitation_emails_enqueue(*, email_ids: list[int]) -> None:
    """Ask a worker to send these emails once the current transaction commits."""
    from surveys.tasks import send_invitation_batch  # the tasks module imports this one

    enqueue_after_commit(send_invitation_batch, email_ids)


def emails_release_stale_claims(*, now: datetime) -> int:
    """Give back emails claimed by a worker that never finished (killed, or lost its lease)."""
    stale = InvitationEmail.objects.filter(
        status=EmailStatus.CLAIMED, claimed_at__lt=now - timedelta(seconds=settings.SEND_LEASE_SECONDS)
    )
    # An email whose every attempt died with its worker (it crashes the worker, say) stops here.
    stale.filter(attempts__gte=settings.SEND_MAX_ATTEMPTS).update(
        status=EmailStatus.FAILED, last_error="The worker stopped while sending, too many times."
    )
    return stale.update(status=EmailStatus.PENDING, enqueued_at=None)


def reminders_create_due(*, now: datetime) -> int:
    """Queue the next reminder for every sent, unanswered invitation whose day has come."""
    created = 0
    for distribution in Distribution.objects.filter(status=Distribution.Status.SENDING).exclude(reminder_days=[]):
        for number, days in enumerate(distribution.reminder_days, start=1):
            waiting = Invitation.objects.filter(
                distribution=distribution,
                status=Invitation.Status.SENT,
                responded_at__isnull=True,
                reminders_sent=number - 1,
                sent_at__lte=now - timedelta(days=days),
                contact__isnull=False,
                contact__unsubscribed_at__isnull=True,
                contact__bounced_at__isnull=True,
            ).exclude(emails__sequence=number)
            rows = [
                InvitationEmail(invitation_id=pk, sequence=number, due_at=now)
                for pk in waiting.values_list("pk", flat=True)
            ]
            created += len(InvitationEmail.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def invitations_reconcile_sent() -> int:
    """Mark invitations sent whose first email was sent by a worker that died before recording it."""
    first_sent = InvitationEmail.objects.filter(invitation=OuterRef("pk"), sequence=0, status=EmailStatus.SENT).values(
        "sent_at"
    )[:1]
    return (
        Invitation.objects.filter(status=Invitation.Status.PENDING, emails__sequence=0, emails__status=EmailStatus.SENT)
        .annotate(first_sent_at=Subquery(first_sent))
        .update(status=Invitation.Status.SENT, sent_at=F("first_sent_at"))
    )


def invitation_email_send_batch(*, email_ids: list[int]) -> BatchOutcome:
    """Claim these emails and send them over one SMTP connection, recording each result."""
    now = timezone.now()
    emails = _claim(email_ids, now=now)
    outcome = BatchOutcome()
    if not emails:
        return outcome
    limiter = SendRateLimiter(per_minute=settings.SEND_RATE_PER_MINUTE)
    builder = InvitationEmailBuilder()
    smtp = _Smtp()
    remaining = list(emails)
    suppressed = suppressed_among(email.invitation.contact.email for email in emails if email.invitation.contact)
    _relaxed_commits(True)
    try:
        while remaining:
            email = remaining.pop(0)
            _send_one(email, builder=builder, smtp=smtp, limiter=limiter, outcome=outcome, suppressed=suppressed)
    except SmtpUnavailable as error:
        _retry_later([email, *remaining], error=str(error), count_attempt=False)
        raise
    finally:
        smtp.close()
        _relaxed_commits(False)
        _record_sent(outcome.sent)
    return outcome


def _claim(email_ids: Iterable[int], *, now: datetime) -> list[InvitationEmail]:
    with transaction.atomic():
        claimable = list(
            InvitationEmail.objects.filter(pk__in=list(email_ids), status=EmailStatus.PENDING, due_at__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        InvitationEmail.objects.filter(pk__in=claimable).update(
            status=EmailStatus.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(
        InvitationEmail.objects.filter(pk__in=claimable)
        .select_related("invitation__contact", "invitation__survey", "invitation__distribution")
        .order_by("pk")
    )


def _relaxed_commits(on: bool) -> None:
    """Per-message status commits without waiting for the disk (PostgreSQL only).

    A killed worker loses nothing this way: its last commits are already in PostgreSQL's
    memory. Only a crash of the database server itself within a fraction of a second could
    forget a "sent" mark, and that email would then be sent again.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO " + ("off" if on else "DEFAULT"))


def _send_one(
    email: InvitationEmail,
    *,
    builder: InvitationEmailBuilder,
    smtp: "_Smtp",
    limiter: SendRateLimiter,
    outcome: BatchOutcome,
    suppressed: set[str],
) -> None:
    reason = _reason_not_to_send(email, suppressed=suppressed)
    if reason == "paused":
        InvitationEmail.objects.filter(pk=email.pk).update(status=EmailStatus.PENDING, enqueued_at=None)
        return
    if reason:
        _finish(email, status=EmailStatus.SKIPPED, note=reason)
        if email.sequence == 0:
            Invitation.objects.filter(pk=email.invitation_id, status=Invitation.Status.PENDING).update(
                status=Invitation.Status.SKIPPED, skip_reason=reason
            )
        outcome.skipped += 1
        return
    message = builder.build(invitation=email.invitation, sequence=email.sequence)
    message.extra_headers["Message-ID"] = email.message_id()
    limiter.wait()
    try:
        smtp.send(message)
    except smtplib.SMTPRecipientsRefused as refused:
        code, text = next(iter(refused.recipients.values()))
        _after_refusal(email, code=code, text=text, outcome=outcome)
        return
    except smtplib.SMTPResponseException as response:
        _after_refusal(email, code=response.smtp_code, text=response.smtp_error, outcome=outcome)
        if response.smtp_code == 421:
            smtp.close()  # 421 means the server is closing the connection
        return
    # The server took it: a database restart must not lose that, or it would be sent again.
    write_through_restart(lambda: _mark_sent(email))
    outcome.sent.append(email)


def _reason_not_to_send(email: InvitationEmail, *, suppressed: set[str]) -> str:
    """Eligibility is checked again at send time: things change between queueing and sending."""
    invitation = email.invitation
    distribution = invitation.distribution
    if distribution is not None and distribution.status == Distribution.Status.PAUSED:
        return "paused"
    if distribution is not None and distribution.status == Distribution.Status.CANCELLED:
        return Invitation.SkipReason.CANCELLED
    if not invitation.survey.accepts_answers():
        return Invitation.SkipReason.SURVEY_NOT_LIVE
    contact = invitation.contact
    if contact is None:
        # Erased while the email waited.
        return Invitation.SkipReason.SUPPRESSED
    if address_normalise(contact.email) in suppressed:
        return Invitation.SkipReason.SUPPRESSED
    if contact.unsubscribed_at is not None:
        return Invitation.SkipReason.UNSUBSCRIBED
    if contact.bounced_at is not None:
        return Invitation.SkipReason.BOUNCED
    if 0 < email.sequence < RESEND_SEQUENCE_START and invitation.responded_at is not None:
        return "answered"
    if email.sequence == 0 and invitation.kind != Invitation.Kind.RECOVERY:
        # A recovery check follows up on a complaint: it is not survey fatigue.
        return skip_reason_for(contact, survey=invitation.survey, now=timezone.now(), suppressed=suppressed)
    return ""


def _after_refusal(email: InvitationEmail, *, code: int, text: bytes | str, outcome: BatchOutcome) -> None:
    error = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"[:500]
    if code >= 500:
        # A permanent refusal: the address is bad. Never retried, never emailed again.
        now = timezone.now()
        _finish(email, status=EmailStatus.BOUNCED, error=error)
        Invitation.objects.filter(pk=email.invitation_id).update(status=Invitation.Status.BOUNCED)
        # The address is bad for every team that has it, not only for this one.
        Contact.objects.with_address(email.invitation.contact.email).filter(bounced_at__isnull=True).update(
            bounced_at=now
        )
        outcome.bounced += 1
    else:
        retried = _retry_later([email], error=error, count_attempt=True)
        outcome.retried += retried
        outcome.failed += 1 - retried


def _retry_later(emails: list[InvitationEmail], *, error: str, count_attempt: bool) -> int:
    """Put emails back to wait with exponential backoff; give up after SEND_MAX_ATTEMPTS."""
    now = timezone.now()
    retried = 0
    for email in emails:
        attempts = email.attempts if count_attempt else max(email.attempts - 1, 0)
        if attempts >= settings.SEND_MAX_ATTEMPTS:
            _finish(email, status=EmailStatus.FAILED, error=error)
            if email.sequence == 0:
                Invitation.objects.filter(pk=email.invitation_id).update(status=Invitation.Status.FAILED)
            continue
        delay = settings.SEND_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
        InvitationEmail.objects.filter(pk=email.pk, status=EmailStatus.CLAIMED).update(
            status=EmailStatus.PENDING,
            due_at=now + timedelta(seconds=delay),
            enqueued_at=None,
            attempts=attempts,
            last_error=error[:500],
        )
        retried += 1
    return retried


def _mark_sent(email: InvitationEmail) -> None:
    """Record one message as sent: the same conditional UPDATE as _finish, in SQL written once.

    It runs once per message of every bulk send, and the ORM takes several times longer to build
    it than PostgreSQL takes to run it (see bench/dispatch.py).
    """
    table = connection.ops.quote_name(InvitationEmail._meta.db_table)
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, note = '', sent_at = %s WHERE id = %s AND status = %s",  # noqa: S608
            [EmailStatus.SENT.value, sent_at, email.pk, EmailStatus.CLAIMED.value],
        )


def _finish(email: InvitationEmail, *, status: str, error: str = "", note: str = "") -> None:
    changes: dict[str, object] = {"status": status, "note": note}
    if error:
        changes["last_error"] = error[:500]
    if status == EmailStatus.SENT:
        changes["sent_at"] = timezone.now()
    InvitationEmail.objects.filter(pk=email.pk, status=EmailStatus.CLAIMED).update(**changes)


def _record_sent(sent: list[InvitationEmail]) -> None:
    """After the batch: invitation and contact summaries, in a few statements for the batch."""
    if not sent:
        return
    now = timezone.now()
    first = [email for email in sent if email.sequence == 0]
    if first:
        Invitation.objects.filter(pk__in=[e.invitation_id for e in first]).update(
            status=Invitation.Status.SENT, sent_at=now
        )
        Contact.objects.filter(pk__in=[e.invitation.contact_id for e in first]).update(last_surveyed_at=now)
    for sequence in sorted({e.sequence for e in sent if 0 < e.sequence < RESEND_SEQUENCE_START}):
        ids = [e.invitation_id for e in sent if e.sequence == sequence]
        Invitation.objects.filter(pk__in=ids, reminders_sent__lt=sequence).update(reminders_sent=sequence)


class _Smtp:
    """One SMTP connection for the batch, reopened once if the server drops it."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.is_open = False

    def send(self, message: object) -> None:
        for attempt in (1, 2):
            try:
                if not self.is_open:
                    self.backend.open()
                    self.is_open = True
                self.backend.send_messages([message])
                return
            except CONNECTION_ERRORS as error:
                self.close()
                if attempt == 2:
                    raise SmtpUnavailable(str(error) or error.__class__.__name__) from error

    def close(self) -> None:
        if self.is_open:
            try:
                self.backend.close()
            except CONNECTION_ERRORS:
                logger.info("SMTP connection was already gone when closing it")
        self.is_open = False


def invitation_resend(*, invitation: Invitation, now: datetime) -> bool:
    """Queue one more copy of the invitation now, at staff's request (skipped if unreachable)."""
    if invitation.contact is None or not invitation.contact.is_reachable():
        return False
    with transaction.atomic():
        last = invitation.emails.filter(sequence__gte=RESEND_SEQUENCE_START).order_by("-sequence").first()
        sequence = last.sequence + 1 if last else RESEND_SEQUENCE_START
        email = InvitationEmail.objects.create(invitation=invitation, sequence=sequence, due_at=now, note="resend")
        invitation_emails_enqueue(email_ids=[email.pk])
    return True
