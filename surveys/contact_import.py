"""Importing contacts from a CSV file: accept the upload, then upsert it in chunks in a worker.

The file lives in the database (ContactImport.content), so any worker can run or resume it.
A run claims the import with a conditional UPDATE, and every chunk of rows commits together
with the progress that records it, so a crashed run resumes exactly where it stopped.
"""

import contextlib
import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from surveys.models import Account, Contact, ContactImport, Language, Team
from vocsite.queueing import enqueue_after_commit

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
CHUNK_SIZE = 1000
MAX_REPORTED_ERRORS = 1000
PENDING_GRACE = timedelta(minutes=1)
STANDARD_COLUMNS = ("email", "name", "language", "external_id", "account")
LANGUAGE_SPELLINGS = {
    **dict.fromkeys(["en", "english", "en-us", "en-gb", "英文", "英语"], Language.ENGLISH),
    **dict.fromkeys(
        ["zh-hans", "zh", "zh-cn", "zh-sg", "zh-hans-cn", "chinese", "simplified chinese", "中文", "简体中文"],
        Language.CHINESE,
    ),
}

# A data row of the file: its line number and its cells by header (extra cells under None).
Record = tuple[int, dict[str | None, Any]]


def contact_import_create(
    *, file_name: str, content: bytes, by: AbstractBaseUser | AnonymousUser | None, team: Team | None = None
) -> ContactImport:
    """Check an uploaded CSV, store it, and enqueue its import into a team's list after commit."""
    total_rows = _check_file(content)
    contact_import = ContactImport.objects.create(
        team=team,
        file_name=file_name[:255],
        content=content,
        total_rows=total_rows,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    _enqueue_run(import_id=contact_import.pk)
    return contact_import


def contact_import_run(*, import_id: int) -> None:
    """Claim an import and upsert its remaining rows chunk by chunk; a no-op if another run holds it."""
    if not _claim(import_id=import_id):
        return
    contact_import = ContactImport.objects.get(pk=import_id)
    run = _Run(contact_import=contact_import)
    try:
        run.process()
    except (OperationalError, InterfaceError):
        # The database went away: leave the import running so the sweep resumes it later.
        raise
    except _LeaseLost:
        logger.warning("Contact import %s was taken over by another run; stopping this one.", import_id)
    except Exception as error:
        logger.exception("Contact import %s failed.", import_id)
        ContactImport.objects.filter(pk=import_id, status=ContactImport.Status.RUNNING).update(
            status=ContactImport.Status.FAILED, failure=f"{type(error).__name__}: {error}", finished_at=timezone.now()
        )


def contact_import_sweep() -> int:
    """Re-enqueue imports whose message was lost or whose worker died; returns how many."""
    now = timezone.now()
    lease = _lease()
    claimable = _claimable(now=now, lease=lease, pending_before=now - PENDING_GRACE)
    import_ids = list(ContactImport.objects.filter(claimable).values_list("pk", flat=True))
    for import_id in import_ids:
        _enqueue_run(import_id=import_id)
    return len(import_ids)


def _lease() -> timedelta:
    """How long a running import may go without a heartbeat before another run takes it over."""
    return timedelta(seconds=getattr(settings, "CONTACT_IMPORT_LEASE_SECONDS", 300))


def _claimable(*, now: datetime, lease: timedelta, pending_before: datetime) -> Q:
    stalled = Q(heartbeat_at__lt=now - lease) | Q(heartbeat_at__isnull=True, created_at__lt=now - lease)
    pending = Q(status=ContactImport.Status.PENDING, created_at__lt=pending_before)
    return pending | (Q(status=ContactImport.Status.RUNNING) & stalled)


def _claim(*, import_id: int) -> bool:
    now = timezone.now()
    lease = _lease()
    # Any pending import may be claimed at once (the enqueued message is the usual way in).
    claimed = (
        ContactImport.objects.filter(pk=import_id)
        .filter(_claimable(now=now, lease=lease, pending_before=now + timedelta(days=1)))
        .update(status=ContactImport.Status.RUNNING, heartbeat_at=now)
    )
    return claimed == 1


def _enqueue_run(*, import_id: int) -> None:
    # Imported here: the task module imports this one.
    from surveys.contact_tasks import contact_import_run_task

    enqueue_after_commit(contact_import_run_task, import_id)


def _reader(content: bytes) -> csv.DictReader:
    # utf-8-sig drops the byte-order mark spreadsheets put in front of "CSV UTF-8" files.
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    return csv.DictReader(text)


def _records(reader: csv.DictReader) -> Iterator[Record]:
    """Data rows with their line number in the file (the header is line 1); blank rows are skipped."""
    for row in reader:
        if any(isinstance(value, str) and value.strip() for value in row.values()):
            yield reader.line_num, row


def _columns(fieldnames: list[str] | None) -> dict[str, str]:
    """Map each header as written to the column it fills: a standard column or an attribute key."""
    columns: dict[str, str] = {}
    seen: set[str] = set()
    for position, header in enumerate(fieldnames or [], start=1):
        name = header.strip()
        if not name:
            raise ValidationError(
                _("Column %(position)s has no name in the header row."), params={"position": position}
            )
        normalised = name.lower().replace(" ", "_").replace("-", "_")
        target = normalised if normalised in STANDARD_COLUMNS else name
        if target.lower() in seen:
            raise ValidationError(_("The column %(name)s appears twice in the header row."), params={"name": name})
        seen.add(target.lower())
        columns[header] = target
    if "email" not in columns.values():
        raise ValidationError(
            _("The first row must be a header with an email column (found: %(found)s)."),
            params={"found": ", ".join(fieldnames or []) or "-"},
        )
    return columns


def _check_file(content: bytes) -> int:
    if not content:
        raise ValidationError(_("The file is empty."))
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB."), params={"mb": MAX_FILE_BYTES // (1024 * 1024)})
    if b"\x00" in content:
        raise ValidationError(_("This is not a CSV text file. Save it from your spreadsheet as “CSV UTF-8”."))
    try:
        reader = _reader(content)
        _columns(reader.fieldnames)
        total = sum(1 for _record in _records(reader))
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.")) from None
    except csv.Error as error:
        raise ValidationError(_("The file is not a readable CSV file: %(error)s"), params={"error": error}) from None
    if total == 0:
        raise ValidationError(_("The file has a header but no rows of contacts."))
    return total


class _LeaseLost(Exception):
    """Another run advanced this import; this run's chunk is rolled back."""


class _RowError(Exception):
    """A row that cannot be imported; the message goes into the error report."""


@dataclass
class _Row:
    line: int
    email: str
    name: str
    language: str
    external_id: str
    attributes: dict[str, str]
    account: str = ""


@dataclass
class _Run:
    contact_import: ContactImport
    columns: dict[str, str] = field(default_factory=dict)
    seen_emails: set[str] = field(default_factory=set)
    seen_external_ids: set[str] = field(default_factory=set)

    def process(self) -> None:
        state = self.contact_import
        reader = _reader(bytes(state.content))
        self.columns = _columns(reader.fieldnames)
        chunk: list[Record] = []
        for index, record in enumerate(_records(reader)):
            if index < state.processed_rows:
                # Already imported before a crash: only remember its keys, for duplicate checks.
                with contextlib.suppress(_RowError):
                    self._parse(*record)
                continue
            chunk.append(record)
            if len(chunk) == CHUNK_SIZE:
                self._process_chunk(chunk)
                chunk = []
        if chunk:
            self._process_chunk(chunk)
        finished = ContactImport.objects.filter(
            pk=state.pk, status=ContactImport.Status.RUNNING, processed_rows=state.processed_rows
        ).update(status=ContactImport.Status.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now())
        if finished != 1:
            raise _LeaseLost

    def _parse(self, line: int, raw: dict[str | None, Any]) -> _Row:
        """Validate one record without touching the database; registers its keys when valid."""
        values: dict[str, str] = {}
        for header, value in raw.items():
            if header is None:
                if any(extra.strip() for extra in value):
                    raise _RowError(gettext_now("The row has more cells than the header has columns."))
                continue
            if value is not None and value.strip():
                values[self.columns[header]] = value
        email = values.pop("email", "").strip()
        name = values.pop("name", "").strip()
        external_id = values.pop("external_id", "").strip()
        language_text = values.pop("language", "").strip()
        account = " ".join(values.pop("account", "").split())
        row = _Row(
            line=line, email=email, name=name, language="", external_id=external_id, attributes=values, account=account
        )
        if not email:
            raise _RowError(gettext_now("The email is missing."))
        try:
            validate_email(email)
        except ValidationError:
            raise _RowError(gettext_now("This is not a valid email address.")) from None
        if len(email) > 254:
            raise _RowError(gettext_now("The email is longer than 254 characters."))
        if len(name) > 200:
            raise _RowError(gettext_now("The name is longer than 200 characters."))
        if len(external_id) > 100:
            raise _RowError(gettext_now("The external id is longer than 100 characters."))
        if len(account) > 200:
            raise _RowError(gettext_now("The account name is longer than 200 characters."))
        if language_text:
            language = LANGUAGE_SPELLINGS.get(language_text.lower().replace("_", "-"))
            if language is None:
                raise _RowError(
                    gettext_now("Unknown language “%(language)s”; use en or zh-hans.") % {"language": language_text}
                )
            row.language = language
        if email.lower() in self.seen_emails:
            raise _RowError(gettext_now("This email already appears on an earlier row of the file."))
        if external_id and external_id in self.seen_external_ids:
            raise _RowError(gettext_now("This external id already appears on an earlier row of the file."))
        self.seen_emails.add(email.lower())
        if external_id:
            self.seen_external_ids.add(external_id)
        return row

    def _process_chunk(self, chunk: list[Record]) -> None:
        rows: list[_Row] = []
        errors: list[tuple[int, str, str]] = []
        for line, raw in chunk:
            try:
                rows.append(self._parse(line, raw))
            except _RowError as error:
                errors.append((line, str(raw.get(self._email_header()) or "").strip(), str(error)))
        try:
            with transaction.atomic():
                created, updated, conflicts = _upsert(rows, team_id=self.contact_import.team_id)
                self._record(chunk_size=len(chunk), created=created, updated=updated, errors=errors + conflicts)
        except IntegrityError:
            # Someone else wrote one of these contacts meanwhile: redo the chunk a row at a time,
            # so only the rows that really conflict are reported.
            with transaction.atomic():
                created, updated, conflicts = _upsert_one_by_one(rows, team_id=self.contact_import.team_id)
                self._record(chunk_size=len(chunk), created=created, updated=updated, errors=errors + conflicts)

    def _email_header(self) -> str | None:
        return next((header for header, target in self.columns.items() if target == "email"), None)

    def _record(self, *, chunk_size: int, created: int, updated: int, errors: list[tuple[int, str, str]]) -> None:
        state = self.contact_import
        before = state.processed_rows
        room = max(MAX_REPORTED_ERRORS - len(state.errors), 0)
        new = [{"row": line, "email": email, "error": text} for line, email, text in sorted(errors)[:room]]
        changes = {
            "processed_rows": before + chunk_size,
            "created_count": state.created_count + created,
            "updated_count": state.updated_count + updated,
            "error_count": state.error_count + len(errors),
            "errors": [*state.errors, *new],
            "heartbeat_at": timezone.now(),
        }
        # Conditional on the progress this run last saw: if another run took over, roll back.
        saved = ContactImport.objects.filter(
            pk=state.pk, status=ContactImport.Status.RUNNING, processed_rows=before
        ).update(**changes)
        if saved != 1:
            raise _LeaseLost
        for name, value in changes.items():
            setattr(state, name, value)


def _upsert_one_by_one(rows: list[_Row], *, team_id: int | None) -> tuple[int, int, list[tuple[int, str, str]]]:
    """The slow path after a conflict: each row in its own savepoint."""
    created, updated, conflicts = 0, 0, []
    for row in rows:
        try:
            with transaction.atomic():
                row_created, row_updated, row_conflicts = _upsert([row], team_id=team_id)
        except IntegrityError:
            row_created, row_updated = 0, 0
            row_conflicts = [
                (row.line, row.email, gettext_now("Another contact already has this email or external id."))
            ]
        created, updated, conflicts = created + row_created, updated + row_updated, conflicts + row_conflicts
    return created, updated, conflicts


def _accounts_by_name(names: list[str], *, team_id: int | None) -> dict[str, int]:
    """The team's account ids by lower-cased name; accounts named in the file that do not exist yet are created.

    Nothing is queried for a file without an account column.
    """
    if not names:
        return {}
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.lower(), name)  # a new account takes the first spelling in the file
    Account.objects.bulk_create(
        [Account(team_id=team_id, name=name) for name in wanted.values()], ignore_conflicts=True
    )
    team_accounts = Account.objects.filter(Q(team_id=team_id) if team_id else Q(team__isnull=True))
    found = team_accounts.annotate(name_lower=Lower("name")).filter(name_lower__in=list(wanted))
    return dict(found.values_list("name_lower", "pk"))


def _upsert(rows: list[_Row], *, team_id: int | None) -> tuple[int, int, list[tuple[int, str, str]]]:
    """Create or update the team's contacts of valid rows in bulk; returns created, matched and the conflicts."""
    external_ids = [row.external_id for row in rows if row.external_id]
    emails = [row.email.lower() for row in rows]
    team_contacts = Contact.objects.filter(Q(team_id=team_id) if team_id else Q(team__isnull=True))
    existing = (
        team_contacts.annotate(email_lower=Lower("email")).filter(
            Q(external_id__in=external_ids) | Q(email_lower__in=emails)
        )
        if rows
        else Contact.objects.none()
    )
    by_external_id = {contact.external_id: contact for contact in existing if contact.external_id}
    by_email = {contact.email.lower(): contact for contact in existing}
    accounts = _accounts_by_name([row.account for row in rows if row.account], team_id=team_id)
    to_create: list[Contact] = []
    to_update: dict[int, Contact] = {}
    changed_fields: set[str] = set()
    matched = 0
    conflicts: list[tuple[int, str, str]] = []
    now = timezone.now()
    for row in rows:
        owner = by_email.get(row.email.lower())
        contact = by_external_id.get(row.external_id) if row.external_id else owner
        if contact is None and owner is not None:
            if owner.external_id:
                conflicts.append(
                    (row.line, row.email, gettext_now("This email belongs to a contact with another external id."))
                )
                continue
            contact = owner  # link an existing contact, found by email, to its external id
        if contact is not None and owner is not None and owner is not contact:
            conflicts.append((row.line, row.email, gettext_now("Another contact already has this email.")))
            continue
        account_id = accounts[row.account.lower()] if row.account else None
        if contact is None:
            contact = Contact(
                team_id=team_id, email=row.email, name=row.name, external_id=row.external_id, attributes=row.attributes
            )
            contact.language = row.language or Language.ENGLISH
            contact.account_id = account_id
            to_create.append(contact)
        else:
            matched += 1
            by_email.pop(contact.email.lower(), None)
            values = {
                "email": row.email,
                "name": row.name or contact.name,
                "language": row.language or contact.language,
                "external_id": row.external_id or contact.external_id,
                "attributes": {**(contact.attributes or {}), **row.attributes},
                "account_id": account_id or contact.account_id,
            }
            changed = {name for name, value in values.items() if getattr(contact, name) != value}
            for name in changed:
                setattr(contact, name, values[name])
            if changed:
                contact.updated_at = now
                to_update[contact.pk] = contact
                changed_fields |= changed
        by_email[row.email.lower()] = contact
    # Updates first: a contact may be giving up an email that a new contact in this chunk takes.
    # Written as INSERT .. ON CONFLICT (id) DO UPDATE of the changed columns: one linear statement,
    # where bulk_update builds a CASE per row and column and spends seconds per chunk doing so.
    if to_update:
        Contact.objects.bulk_create(
            to_update.values(),
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=[*sorted(changed_fields), "updated_at"],
        )
    Contact.objects.bulk_create(to_create)
    return len(to_create), matched, conflicts
