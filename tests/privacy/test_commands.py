"""The privacy commands: export, erase and retention by hand."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.models import Contact, ContactErasure
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


def test_contact_export_prints_the_contacts_json() -> None:
    contact = make_contact(email="cmd@example.com", name="Command Line")
    output = StringIO()

    call_command("contact_export", str(contact.pk), stdout=output)

    assert json.loads(output.getvalue())["contact"]["name"] == "Command Line"


def test_contact_erase_needs_yes_and_then_records_who_asked(admin_user: Any) -> None:
    contact = make_contact()
    output = StringIO()

    with pytest.raises(CommandError, match="add --yes"):
        call_command("contact_erase", str(contact.pk))
    call_command("contact_erase", str(contact.pk), "424242", "--yes", "--by", "boss", stdout=output)

    assert output.getvalue().splitlines()[1] == "424242: no such contact"
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert ContactErasure.objects.get().erased_by == admin_user


def test_retention_lists_the_windows_and_what_it_changed(settings: Any) -> None:
    settings.RETENTION_DAYS = {**dict.fromkeys(settings.RETENTION_DAYS, 0), "free_text": 730}
    output = StringIO()

    call_command("retention", stdout=output)

    assert output.getvalue().splitlines() == [
        *(f"{name}: {'730 days' if name == 'free_text' else 'kept'}" for name in settings.RETENTION_DAYS),
        "feedback.Answer.free_text: 0",
    ]
