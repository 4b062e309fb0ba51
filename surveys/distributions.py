"""Distribution lifecycle: schedule, pause, resume, cancel, materialise invitations, figures.

Materialising turns a due distribution into one invitation per contact in its audience, in
one transaction under a row lock taken with skip_locked, so two ticks never do it twice and a
killed worker leaves nothing half-done. Every contact that will not be emailed is recorded
with its reason.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys import segments, signals
from surveys.models import Contact, Distribution, Invitation, InvitationEmail, Segment, Survey
from surveys.suppression import address_normalise, suppressed_among

logger = logging.getLogger(__name__)

MATERIALISE_CHUNK = 2000
Status = Distribution.Status
SkipReason = Invitation.SkipReason


def frequency_days(survey: Survey) -> int:
    """How many days a contact rests between two surveys, for this survey."""
    if survey.min_days_between_surveys is not None:
        return survey.min_days_between_surveys
    return settings.CONTACT_FREQUENCY_DAYS


# The contact fields skip_reason_for reads; materialising loads only these.
SKIP_REASON_FIELDS = ("pk", "email", "unsubscribed_at", "bounced_at", "last_surveyed_at")


def skip_reason_for(contact: Contact, *, survey: Survey, now: datetime, suppressed: set[str]) -> str:
    """Why this contact must not get this survey now, or "" when they may.

    suppressed: the addresses found on the suppression list (surveys.suppression.suppressed_among).
    """
    if address_normalise(contact.email) in suppressed:
        return SkipReason.SUPPRESSED
    if contact.unsubscribed_at is not None:
        return SkipReason.UNSUBSCRIBED
    if contact.bounced_at is not None:
        return SkipReason.BOUNCED
    days = frequency_days(survey)
    if days and contact.last_surveyed_at is not None and contact.last_surveyed_at > now - timedelta(days=days):
        return SkipReason.RECENTLY_SURVEYED
    return ""


def distribution_audience(*, distribution: Distribution) -> QuerySet[Contact]:
    """The contacts a distribution addresses: its segment and its listed contacts, of the survey's team."""
    audience = Q(pk__in=distribution.contacts.values("pk"))
    if distribution.segment is not None:
        audience |= Q(pk__in=segments.segment_contacts(segment=distribution.segment).values("pk"))
    # Forms and the API refuse another team's contacts; this keeps it true whatever wrote the rows.
    team_id = distribution.survey.team_id
    return Contact.objects.filter(audience, Q(team_id=team_id) if team_id else Q(team__isnull=True))


def distribution_audience_validate(*, survey: Survey, segment: Segment | None, contacts: Iterable[Contact]) -> None:
    """Refuse a segment or contacts of another team than the survey's (a field message for each)."""
    errors = {}
    if segment is not None and segment.team_id != survey.team_id:
        errors["segment"] = _("This segment belongs to another team than the survey.")
    if any(contact.team_id != survey.team_id for contact in contacts):
        errors["contacts"] = _("Some of these contacts belong to another team than the survey.")
    if errors:
        raise ValidationError(errors)


def distribution_schedule(*, distribution: Distribution, at: datetime | None = None) -> Distribution:
    """Schedule a draft (or paused, never materialised) distribution to go out at a time."""
    if not distribution.survey.accepts_answers():
        raise ValidationError(_("The survey must be live before it can be sent."))
    if not distribution.segment_id and not distribution.contacts.exists():
        raise ValidationError(_("Choose a segment or at least one contact."))
    _change_status(distribution, to=Status.SCHEDULED, allowed_from=[Status.DRAFT], scheduled_at=at or timezone.now())
    return distribution


def distribution_pause(*, distribution: Distribution) -> Distribution:
    """Stop sending; emails not yet sent wait until the distribution is resumed."""
    _change_status(distribution, to=Status.PAUSED, allowed_from=list(Distribution.ACTIVE_STATUSES))
    return distribution


def distribution_resume(*, distribution: Distribution) -> Distribution:
    """Continue a paused distribution where it stopped."""
    target = Status.SENDING if distribution.materialized_at else Status.SCHEDULED
    _change_status(distribution, to=target, allowed_from=[Status.PAUSED])
    # Waiting emails are enqueued again by the next tick.
    InvitationEmail.objects.filter(invitation__distribution=distribution, status=InvitationEmail.Status.PENDING).update(
        enqueued_at=None
    )
    return distribution


@transaction.atomic
def distribution_cancel(*, distribution: Distribution) -> Distribution:
    """Cancel for good: nothing more is sent, and what was waiting is recorded as skipped."""
    _change_status(
        distribution,
        to=Status.CANCELLED,
        allowed_from=[Status.DRAFT, Status.SCHEDULED, Status.SENDING, Status.PAUSED],
        finished_at=timezone.now(),
    )
    InvitationEmail.objects.filter(invitation__distribution=distribution, status=InvitationEmail.Status.PENDING).update(
        status=InvitationEmail.Status.SKIPPED, note=SkipReason.CANCELLED
    )
    Invitation.objects.filter(distribution=distribution, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.SKIPPED, skip_reason=SkipReason.CANCELLED
    )
    return distribution


def _change_status(distribution: Distribution, *, to: str, allowed_from: list[str], **changes: Any) -> None:
    updated = Distribution.objects.filter(pk=distribution.pk, status__in=allowed_from).update(status=to, **changes)
    if updated != 1:
        current = Distribution.objects.filter(pk=distribution.pk).values_list("status", flat=True).first()
        raise ValidationError(
            _("This distribution is %(status)s and cannot become %(target)s.")
            % {"status": Status(current or distribution.status).label, "target": Status(to).label}
        )
    distribution.status = to
    for field, value in changes.items():
        setattr(distribution, field, value)


def distributions_materialise_due(*, now: datetime) -> list[int]:
    """Materialise every due distribution; returns the ids of those done by this call."""
    due = Distribution.objects.filter(
        Q(status=Status.SCHEDULED, scheduled_at__lte=now) | Q(status=Status.SENDING, materialized_at__isnull=True)
    ).values_list("pk", flat=True)
    return [pk for pk in due if distribution_materialise(distribution_id=pk, now=now)]


@transaction.atomic
def distribution_materialise(*, distribution_id: int, now: datetime) -> bool:
    """Create one invitation per audience contact, with a first email for each eligible one."""
    distribution = (
        Distribution.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("survey", "segment")
        .filter(pk=distribution_id, materialized_at__isnull=True, status__in=Distribution.ACTIVE_STATUSES)
        .first()
    )
    if distribution is None:
        return False
    survey_live = distribution.survey.accepts_answers()
    # Only what skip_reason_for reads: a bulk send walks every contact of the audience.
    audience = distribution_audience(distribution=distribution).only(*SKIP_REASON_FIELDS).order_by("pk")
    for contacts in _chunks(audience):
        rows = []
        suppressed = suppressed_among(contact.email for contact in contacts)
        for contact in contacts:
            if survey_live:
                reason = skip_reason_for(contact, survey=distribution.survey, now=now, suppressed=suppressed)
            else:
                reason = SkipReason.SURVEY_NOT_LIVE
            rows.append(
                Invitation(
                    survey_id=distribution.survey_id,
                    contact=contact,
                    distribution=distribution,
                    status=Invitation.Status.SKIPPED if reason else Invitation.Status.PENDING,
                    skip_reason=reason,
                )
            )
        Invitation.objects.bulk_create(rows, ignore_conflicts=True)
    _first_emails_create(distribution=distribution, now=now)
    Distribution.objects.filter(pk=distribution.pk).update(status=Status.SENDING, materialized_at=now)
    logger.info("Distribution %s materialised", distribution.pk)
    return True


def _first_emails_create(*, distribution: Distribution, now: datetime) -> None:
    """A first email for every waiting invitation, in one INSERT ... SELECT.

    The database copies the invitation ids itself, so no row passes through Python: for a bulk
    send that is most of the time the tick spends before workers can start (bench/dispatch.py).
    Every other column gets the model's default, computed once from an unsaved row.
    """
    quote = connection.ops.quote_name
    template = InvitationEmail(sequence=0, due_at=now)
    fields = [field for field in InvitationEmail._meta.concrete_fields if field.name not in {"id", "invitation"}]
    values = [field.get_db_prep_save(field.pre_save(template, add=True), connection) for field in fields]
    # Table and column names come from the models; every value is a parameter.
    statement = (
        f"INSERT INTO {quote(InvitationEmail._meta.db_table)} "  # noqa: S608
        f"(invitation_id, {', '.join(quote(field.column) for field in fields)}) "
        f"SELECT invitation.id, {', '.join(['%s'] * len(values))} "
        f"FROM {quote(Invitation._meta.db_table)} invitation "
        "WHERE invitation.distribution_id = %s AND invitation.status = %s AND NOT EXISTS ("
        f"SELECT 1 FROM {quote(InvitationEmail._meta.db_table)} email "
        "WHERE email.invitation_id = invitation.id AND email.sequence = 0"
        ") ORDER BY invitation.id ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*values, distribution.pk, Invitation.Status.PENDING.value])


def _chunks(queryset: QuerySet[Any]) -> Iterator[list[Any]]:
    """Rows in lists of MATERIALISE_CHUNK, streamed so memory stays flat whatever the size."""
    chunk: list[Any] = []
    for row in queryset.iterator(chunk_size=MATERIALISE_CHUNK):
        chunk.append(row)
        if len(chunk) == MATERIALISE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def distributions_finish(*, now: datetime) -> int:
    """Mark sending distributions finished once nothing is waiting and no reminder remains."""
    finished = 0
    for distribution in Distribution.objects.filter(status=Status.SENDING, materialized_at__isnull=False):
        open_emails = InvitationEmail.objects.filter(
            invitation__distribution=distribution,
            status__in=[InvitationEmail.Status.PENDING, InvitationEmail.Status.CLAIMED],
        )
        reminders_left = Invitation.objects.filter(
            distribution=distribution,
            status=Invitation.Status.SENT,
            responded_at__isnull=True,
            reminders_sent__lt=len(distribution.reminder_days),
            contact__isnull=False,
            contact__unsubscribed_at__isnull=True,
            contact__bounced_at__isnull=True,
        )
        if open_emails.exists() or reminders_left.exists():
            continue
        finished += _finish(distribution, now=now)
    return finished


@transaction.atomic
def _finish(distribution: Distribution, *, now: datetime) -> int:
    """Mark one distribution finished (once) and tell the receivers of distribution_finished."""
    if not Distribution.objects.filter(pk=distribution.pk, status=Status.SENDING).update(
        status=Status.FINISHED, finished_at=now
    ):
        return 0
    distribution.status, distribution.finished_at = Status.FINISHED, now
    if signals.distribution_finished.has_listeners():
        figures = distribution_figures(distribution=distribution)
        signals.distribution_finished.send(sender=Distribution, distribution=distribution, figures=figures)
    return 1


def distribution_figures(*, distribution: Distribution) -> dict[str, Any]:
    """Eligible, skipped by reason, sent, bounced, opened, responded and the response rate."""
    invitations = Invitation.objects.filter(distribution=distribution)
    totals = invitations.aggregate(
        audience=Count("pk"),
        skipped=Count("pk", filter=Q(status=Invitation.Status.SKIPPED)),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        bounced=Count("pk", filter=Q(status=Invitation.Status.BOUNCED)),
        failed=Count("pk", filter=Q(status=Invitation.Status.FAILED)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        responded=Count("pk", filter=Q(responded_at__isnull=False)),
    )
    by_reason = dict(
        invitations.filter(status=Invitation.Status.SKIPPED)
        .values_list("skip_reason")
        .annotate(count=Count("pk"))
        .values_list("skip_reason", "count")
    )
    totals["eligible"] = totals["audience"] - totals["skipped"]
    totals["skipped_by_reason"] = by_reason
    totals["response_rate"] = round(totals["responded"] / totals["sent"], 4) if totals["sent"] else None
    return totals


def contact_unsubscribe(*, token: str) -> Contact | None:
    """Unsubscribe the address an invitation was sent to, in every team; None when the token is unknown."""
    invitation = Invitation.objects.select_related("contact").filter(token=token, contact__isnull=False).first()
    if invitation is None:
        return None
    now = timezone.now()
    # "Stop emailing me" holds for every team's list the address is on.
    Contact.objects.with_address(invitation.contact.email).filter(unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    invitation.contact.refresh_from_db(fields=["unsubscribed_at"])
    return invitation.contact


@transaction.atomic
def survey_send_to_contact(
    *,
    survey: Survey,
    email: str,
    idempotency_key: str,
    name: str = "",
    language: str | None = None,
    external_id: str = "",
    attributes: dict[str, Any] | None = None,
    delay: timedelta = timedelta(0),
) -> tuple[Invitation, bool]:
    """Send a survey to one contact (created if new) now or after a delay, once per key.

    Returns the invitation and whether this call created it; a repeated key returns the first.
    """
    existing = Invitation.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    contact = _contact_upsert(
        team_id=survey.team_id,
        email=email,
        name=name,
        language=language,
        external_id=external_id,
        attributes=attributes or {},
    )
    now = timezone.now()
    if survey.accepts_answers():
        reason = skip_reason_for(contact, survey=survey, now=now, suppressed=suppressed_among([contact.email]))
    else:
        reason = SkipReason.SURVEY_NOT_LIVE
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                survey=survey,
                contact=contact,
                idempotency_key=idempotency_key,
                status=Invitation.Status.SKIPPED if reason else Invitation.Status.PENDING,
                skip_reason=reason,
            )
    except IntegrityError:
        # The same key arrived twice at once; the first one won.
        return Invitation.objects.get(idempotency_key=idempotency_key), False
    if not reason:
        first = InvitationEmail.objects.create(invitation=invitation, sequence=0, due_at=now + delay)
        if not delay:
            from surveys.sending import invitation_emails_enqueue  # sending imports this module

            invitation_emails_enqueue(email_ids=[first.pk])
    return invitation, True


def _contact_upsert(
    *, team_id: int | None, email: str, name: str, language: str | None, external_id: str, attributes: dict[str, Any]
) -> Contact:
    """The survey team's contact with this external id or address, created or brought up to date."""
    contacts = Contact.objects.filter(Q(team_id=team_id) if team_id else Q(team__isnull=True))
    match = Q(external_id=external_id) if external_id else Q(email__iexact=email)
    contact = contacts.select_for_update().filter(match).first()
    if contact is None:
        contact = contacts.filter(email__iexact=email).select_for_update().first()
    if contact is None:
        return Contact.objects.create(
            team_id=team_id,
            email=email,
            name=name,
            language=language or "en",
            external_id=external_id,
            attributes=attributes,
        )
    contact.email = email
    contact.name = name or contact.name
    contact.language = language or contact.language
    contact.external_id = external_id or contact.external_id
    contact.attributes = {**contact.attributes, **attributes}
    contact.save()
    return contact
