"""manage.py contact_erase ID [ID ...] --yes: erase contacts, as the admin and API do."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.audit import Action, audit_record
from vocsite.privacy.erasure import contacts_erase


class Command(BaseCommand):
    help = (
        "Erase contacts: scores stay anonymous, everything else about them is redacted, and their "
        "address goes on the suppression list. Cannot be undone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact_ids", type=int, nargs="+")
        parser.add_argument("--yes", action="store_true", help="Confirm: erasing cannot be undone.")
        parser.add_argument("--by", default="", help="Username recorded as having asked for the erasure.")

    def handle(self, *args: Any, contact_ids: list[int], yes: bool, by: str, **options: Any) -> None:
        if not yes:
            raise CommandError("Erasing cannot be undone; add --yes to go ahead.")
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"No user {by!r}.")
        erased = {record.contact_id: record for record in contacts_erase(contact_ids=contact_ids, by=user)}
        for record in erased.values():
            details = {"contact_id": record.contact_id}
            audit_record(actor=user, action=Action.CONTACT_ERASED, target=record, details=details)
        for contact_id in contact_ids:
            record = erased.get(contact_id)
            if record is None:
                self.stdout.write(f"{contact_id}: no such contact")
            else:
                self.stdout.write(f"{contact_id}: erased {record.erased_at:%Y-%m-%d %H:%M}")
