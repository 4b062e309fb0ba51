"""Everything about a contact as plain data (JSON), read from every model the registry links to contacts."""

import json
from collections import defaultdict
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from surveys.models import Contact
from vocsite.privacy.masking import mask_tokens
from vocsite.privacy.registry import ModelPrivacy, policies

EXPORT_FORMAT = "vocsite.contact-export"
EXPORT_VERSION = 1


def contact_export(*, contact: Contact) -> dict[str, Any]:
    """The contact and every row that is theirs (one query per model), nested the way it reads.

    Tokens are left out, and masked where stored emails quote a link: they are credentials, not
    data about the person, and an export file travels.
    """
    linked = [policy for policy in policies() if policy.contact_path]
    rows: dict[str, list[dict[str, Any]]] = {policy.label.lower(): _rows(policy, contact.pk) for policy in linked}
    sections: dict[str, Any] = {}
    for policy in linked:
        own = rows[policy.label.lower()]
        if policy.export_parent is None:
            sections[policy.export_as] = own
            continue
        parent_label, foreign_key = policy.export_parent
        parents = {row["id"]: row for row in rows[parent_label.lower()]}
        children: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in own:
            children[row[foreign_key]].append(row)
        for parent_id, parent in parents.items():
            parent[policy.export_as] = children.get(parent_id, [])
    person = sections.pop("contact")
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now(),
        "contact": person[0] if person else None,
        **sections,
    }


def exports_json(contacts: list[Contact]) -> str:
    """One contact's export, or a list of several, as indented JSON text (UTF-8 kept readable)."""
    exports = [contact_export(contact=contact) for contact in contacts]
    return json.dumps(exports[0] if len(exports) == 1 else exports, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def _rows(policy: ModelPrivacy, contact_id: int) -> list[dict[str, Any]]:
    model = policy.model
    fields = [field.attname for field in model._meta.concrete_fields if _exported(policy, field)]
    queryset = model.objects.filter(**{policy.contact_path: contact_id}).order_by("pk")
    return [_plain(row) for row in queryset.values(*fields, *policy.export_related)]


def _exported(policy: ModelPrivacy, model_field: models.Field) -> bool:
    entry = policy.personal_field(model_field.name)
    return entry is None or entry.export


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Links in stored emails lose their tokens; bytes (none today) become hex, so the export stays JSON."""
    plain = {}
    for key, value in row.items():
        if isinstance(value, str):
            value = mask_tokens(value)
        elif isinstance(value, bytes | memoryview):
            value = bytes(value).hex()
        plain[key] = value
    return plain
