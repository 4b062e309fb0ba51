"""manage.py contact_export ID: everything stored about one contact, as JSON."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.audit import Action, audit_record
from surveys.models import Contact
from vocsite.privacy.export import exports_json


class Command(BaseCommand):
    help = "Print everything stored about a contact as JSON (tokens left out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact_id", type=int)

    def handle(self, *args: Any, contact_id: int, **options: Any) -> None:
        contact = Contact.objects.filter(pk=contact_id).first()
        if contact is None:
            raise CommandError(f"No contact {contact_id}: it may have been erased already.")
        audit_record(actor=None, action=Action.CONTACT_EXPORTED, target=contact)
        self.stdout.write(exports_json([contact]))
