"""The registry of personal data: for each model, which fields are personal and what to do with them.

Each app describes its own models in its `privacy` module, loaded by its AppConfig.ready. Export,
erasure and retention read only this registry, and tests/privacy/test_registry.py fails when a
model of the project has a field that looks personal and is not described here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q


class DataClass(StrEnum):
    """Kinds of personal data; each retention window applies to one kind."""

    CONTACT_IDENTITY = "contact_identity"  # address, name, external id of a customer
    CONTACT_ATTRIBUTES = "contact_attributes"  # what a CRM knows about them
    CONTACT_LINK = "contact_link"  # a reference that ties a row to a customer
    FREE_TEXT = "free_text"  # what a respondent wrote
    STAFF_NOTES = "staff_notes"  # what staff wrote about a customer's case
    EMAIL_CONTENT = "email_content"  # addresses, subjects and bodies of emails sent
    DELIVERY_ERRORS = "delivery_errors"  # mail servers' replies, which quote addresses
    IMPORT_FILES = "import_files"  # uploaded contact files and their error reports
    DIGEST_QUOTES = "digest_quotes"  # answers quoted in stored digests
    CREDENTIAL = "credential"  # link tokens: whoever holds one can read and answer
    INTEGRATION_KEY = "integration_key"  # keys chosen by an integrating system
    SUBSCRIBER_IDENTITY = "subscriber_identity"  # digest readers without a login


class Erase(StrEnum):
    """What erasure (and retention) does to a personal field."""

    BLANK = "blank"  # the field's empty value: "", [], {}, b""
    REDACT = "redact"  # non-empty text becomes REDACTED, so a reader sees that something was removed
    NULL = "null"
    ROTATE = "rotate"  # a fresh random token: links sent before open nothing
    HASH = "hash"  # kept only as a keyed hash (the suppression list), then the row is deleted
    DELETE = "delete"  # the whole row is deleted
    HOOK = "hook"  # done by the model's erase hook (described where it is registered)


REDACTED = "[…]"


@dataclass(frozen=True)
class PersonalField:
    name: str
    data_class: DataClass
    erase: Erase
    # Only rows matching this are personal in this field (e.g. events that are emails).
    where: Q | None = None
    # Credentials are not handed out in an export.
    export: bool = True


def fields(
    data_class: DataClass, erase: Erase, *names: str, where: Q | None = None, export: bool = True
) -> tuple[PersonalField, ...]:
    """Several fields of one class that erasure treats alike."""
    return tuple(PersonalField(name, data_class, erase, where=where, export=export) for name in names)


@dataclass(frozen=True)
class ErasureBatch:
    """What an erase hook is told: the contacts, and the rows of every model that are theirs."""

    contact_ids: list[int]
    emails: list[str]
    rows: dict[str, list[int]]
    now: datetime
    suppress: bool


@dataclass(frozen=True)
class ModelPrivacy:
    """The privacy description of one model."""

    label: str  # "app_label.ModelName"
    personal: tuple[PersonalField, ...] = ()
    # Fields that look personal but are not, each with the reason.
    not_personal: dict[str, str] = field(default_factory=dict)
    # The lookup from this model to a contact's id; empty when rows never belong to a contact.
    contact_path: str = ""
    # Export: the section (or nested key) name, and the foreign key to nest the rows under.
    export_as: str = ""
    export_parent: tuple[str, str] | None = None  # (parent label, foreign key attname)
    export_related: tuple[str, ...] = ()  # extra lookups that make a row readable, e.g. the question
    # Retention: how old a row is, and which rows are still in use and never aged out.
    age_field: str = ""
    in_use: Q | None = None
    # Erasure: fields set to the erasure time; extra work for this model's rows.
    erased_at_fields: tuple[str, ...] = ()
    delete_rows: bool = False
    erase_hook: Callable[[ErasureBatch], int] | None = None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    def personal_field(self, name: str) -> PersonalField | None:
        return next((entry for entry in self.personal if entry.name == name), None)


_registry: dict[str, ModelPrivacy] = {}
RetentionStep = Callable[[datetime, int], int]
_retention_steps: dict[DataClass, list[RetentionStep]] = {}


def register(*described: ModelPrivacy) -> None:
    """Describe models (called from an app's privacy module)."""
    for policy in described:
        _registry[policy.label.lower()] = policy


def register_retention_step(data_class: DataClass, step: RetentionStep) -> None:
    """Retention work that is not a field update: step(cutoff, batch_size) -> rows changed in one batch."""
    steps = _retention_steps.setdefault(data_class, [])
    if step not in steps:
        steps.append(step)


def policies() -> list[ModelPrivacy]:
    return list(_registry.values())


def policy_for(model: type[models.Model]) -> ModelPrivacy | None:
    return _registry.get(model._meta.label_lower)


def retention_steps() -> dict[DataClass, list[RetentionStep]]:
    return {data_class: list(steps) for data_class, steps in _retention_steps.items()}


# Field names that suggest a person: anything named like contact data, free text or metadata.
PERSONAL_NAME = re.compile(
    r"e_?mail|name|phone|mobile|address|(?:^|_)ip(?:_|$)|agent|note|comment|text|body|subject|message"
    r"|recipient|reply|token|attribute|external|birth|city|street|postcode|zip"
)
PERSONAL_TYPES = (
    models.EmailField,
    models.GenericIPAddressField,
    models.TextField,
    models.JSONField,
    models.BinaryField,
    models.FileField,
)


def looks_personal(model_field: Any) -> bool:
    """Could this field hold personal data? Free text, JSON, addresses, links to a contact, names."""
    if isinstance(model_field, PERSONAL_TYPES):
        return True
    if model_field.is_relation:
        target = model_field.related_model
        # A lazy reference ("surveys.Contact") until the model registry resolves it.
        label = target.lower() if isinstance(target, str) else target._meta.label_lower
        return label == "surveys.contact"
    return bool(PERSONAL_NAME.search(model_field.name))


def project_models() -> list[type[models.Model]]:
    """Every concrete model of the project's own apps (not Django's or third parties')."""
    from django.conf import settings

    root = str(settings.BASE_DIR)
    found = []
    for config in apps.get_app_configs():
        if not str(config.path).startswith(root) or "site-packages" in str(config.path):
            continue
        found += [model for model in config.get_models() if not model._meta.abstract and not model._meta.proxy]
    return found
