"""Personal data in survey design and distribution, for the privacy registry (vocsite.privacy).

Loaded by SurveysConfig.ready. Contacts are the people whose data is exported and erased: their
own row, their invitations and the emails sent to them, and their rows in uploaded CSV files.
"""

import csv
import io
from datetime import datetime

from django.db.models import Q

from surveys.models import Contact, ContactErasure, ContactImport, Invitation, InvitationEmail
from surveys.suppression import addresses_suppress
from vocsite.privacy import registry
from vocsite.privacy.erasure import contacts_erase
from vocsite.privacy.registry import DataClass, Erase, ModelPrivacy, fields

DESIGN = "written by staff for every respondent, about no one in particular"


def contact_erase_hook(batch: registry.ErasureBatch) -> int:
    """Keep the addresses only as hashes on the suppression list; remove their rows from stored imports."""
    suppressed = addresses_suppress(addresses=batch.emails) if batch.suppress else 0
    return suppressed + contact_imports_forget(addresses=batch.emails)


def contact_imports_forget(*, addresses: list[str]) -> int:
    """Drop the rows of these addresses from finished imports' files and error reports."""
    if not addresses:
        return 0
    wanted = {address.lower() for address in addresses}
    changed = []
    finished = ContactImport.objects.filter(status__in=[ContactImport.Status.DONE, ContactImport.Status.FAILED])
    candidates = finished.exclude(content=b"", errors=[]).only("pk", "content", "errors")
    for contact_import in candidates.iterator(chunk_size=1):
        content, dropped = _without_rows(bytes(contact_import.content), wanted)
        errors = [entry for entry in contact_import.errors if str(entry.get("email", "")).lower() not in wanted]
        if dropped or len(errors) != len(contact_import.errors):
            contact_import.content, contact_import.errors = content, errors
            changed.append(contact_import)
    ContactImport.objects.bulk_update(changed, ["content", "errors"])
    return len(changed)


def _without_rows(content: bytes, addresses: set[str]) -> tuple[bytes, bool]:
    """The CSV without rows mentioning one of the addresses; a file that cannot be read is emptied."""
    try:
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error):
        return b"", bool(content)
    kept = [row for row in rows if not any(address in cell.lower() for cell in row for address in addresses)]
    if len(kept) == len(rows):
        return content, False
    output = io.StringIO()
    csv.writer(output).writerows(kept)
    return output.getvalue().encode(), True


def invitation_erase_hook(batch: registry.ErasureBatch) -> int:
    """Nothing more is sent for these invitations: waiting emails and invitations are skipped."""
    ids = batch.rows.get("surveys.invitation", [])
    waiting = InvitationEmail.objects.filter(
        invitation_id__in=ids, status__in=[InvitationEmail.Status.PENDING, InvitationEmail.Status.CLAIMED]
    ).update(status=InvitationEmail.Status.SKIPPED, note=Invitation.SkipReason.SUPPRESSED)
    Invitation.objects.filter(pk__in=ids, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.SKIPPED, skip_reason=Invitation.SkipReason.SUPPRESSED
    )
    return waiting


def inactive_contacts_erase(cutoff: datetime, batch_size: int) -> int:
    """Retention: erase one batch of contacts with no activity since the cutoff (not suppressed: nobody asked)."""
    ids = list(
        Contact.objects.filter(created_at__lt=cutoff, updated_at__lt=cutoff)
        .filter(Q(last_surveyed_at__isnull=True) | Q(last_surveyed_at__lt=cutoff))
        .exclude(invitations__opened_at__gte=cutoff)
        .exclude(invitations__responded_at__gte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    if ids:
        contacts_erase(contact_ids=ids, by=None, reason=ContactErasure.Reason.RETENTION)
    return len(ids)


registry.register(
    ModelPrivacy(
        "surveys.Contact",
        personal=fields(DataClass.CONTACT_IDENTITY, Erase.HASH, "email")
        + fields(DataClass.CONTACT_IDENTITY, Erase.DELETE, "name", "external_id")
        + fields(DataClass.CONTACT_ATTRIBUTES, Erase.DELETE, "attributes"),
        contact_path="pk",
        export_as="contact",
        export_related=("account_owner__username",),
        delete_rows=True,
        erase_hook=contact_erase_hook,
    ),
    ModelPrivacy(
        "surveys.Invitation",
        personal=fields(DataClass.CONTACT_LINK, Erase.NULL, "contact")
        + fields(DataClass.CREDENTIAL, Erase.ROTATE, "token", export=False)
        + fields(DataClass.INTEGRATION_KEY, Erase.NULL, "idempotency_key"),
        contact_path="contact",
        export_as="invitations",
        export_related=("survey__name",),
        erased_at_fields=("erased_at",),
        erase_hook=invitation_erase_hook,
    ),
    ModelPrivacy(
        "surveys.InvitationEmail",
        personal=fields(DataClass.DELIVERY_ERRORS, Erase.BLANK, "last_error"),
        not_personal={"note": "a reason code such as 'resend' or 'unsubscribed'"},
        contact_path="invitation__contact",
        export_as="emails",
        export_parent=("surveys.Invitation", "invitation_id"),
        age_field="due_at",
        in_use=Q(status__in=[InvitationEmail.Status.PENDING, InvitationEmail.Status.CLAIMED]),
    ),
    ModelPrivacy(
        "surveys.ContactImport",
        # Emptied after the window; an erased contact's rows go at once (contact_erase_hook).
        personal=fields(DataClass.IMPORT_FILES, Erase.BLANK, "file_name", "content", "errors", "failure"),
        age_field="created_at",
        in_use=Q(status__in=[ContactImport.Status.PENDING, ContactImport.Status.RUNNING]),
    ),
    ModelPrivacy(
        "surveys.Survey",
        not_personal={
            "name": DESIGN,
            "intro_en": DESIGN,
            "intro_zh": DESIGN,
            "thank_you_en": DESIGN,
            "thank_you_zh": DESIGN,
            "anonymous_token": "one link shared by everyone; it identifies the survey, not a person",
        },
    ),
    ModelPrivacy(
        "surveys.Question",
        not_personal={
            "text_en": DESIGN,
            "text_zh": DESIGN,
            "choices": DESIGN,
            "show_if_values": "choice values of the survey's own questions",
        },
    ),
    ModelPrivacy(
        "surveys.Segment",
        not_personal={"name": DESIGN, "rules": "conditions on attributes, such as plan = gold; about no one person"},
    ),
    ModelPrivacy(
        "surveys.Distribution",
        # The link rows are deleted with the contact.
        personal=fields(DataClass.CONTACT_LINK, Erase.DELETE, "contacts"),
        not_personal={"name": DESIGN, "reminder_days": "numbers of days"},
    ),
    ModelPrivacy("surveys.Team", not_personal={"name": "the name of a group of staff"}),
    ModelPrivacy("surveys.ApiToken", not_personal={"name": "what the token is for, such as 'CRM sync'"}),
    ModelPrivacy(
        "surveys.Account",
        not_personal={
            "name": "a company's name, not a person's",
            "attributes": "what a CRM knows about a company (plan, region); no person's data goes here",
        },
    ),
    ModelPrivacy("surveys.Touchpoint", not_personal={"name": DESIGN, "name_zh": DESIGN}),
    ModelPrivacy(
        "surveys.SuppressedAddress",
        not_personal={"address_hash": "a keyed hash: it cannot be turned back into the address"},
    ),
    ModelPrivacy("surveys.ContactErasure", not_personal={"summary": "counts of rows changed"}),
    ModelPrivacy(
        "surveys.AuditEvent",
        # Staff, never customers: the record of who did what must outlive an erasure, so it
        # names no customer (ids and counts only) and is never rewritten (append-only).
        not_personal={
            "actor_name": "the username of the staff member who acted",
            "ip_address": "where a staff member acted from (never a respondent's address)",
            "details": "ids and counts only, never names or addresses",
        },
    ),
)
registry.register_retention_step(DataClass.CONTACT_IDENTITY, inactive_contacts_erase)
