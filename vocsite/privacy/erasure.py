"""Erasing contacts, as the registry describes: one transaction, the same few statements for any number.

What stays is anonymous: scores, choices, sentiment, themes and every date that metrics count,
no longer linked to anyone. Free text and notes are redacted, tokens rotated (links sent before
open nothing), and the contact row deleted; on request, the address is kept only as a keyed
hash on the suppression list, so distribution never emails it again.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from surveys.models import Contact, ContactErasure, new_token
from surveys.suppression import address_normalise
from vocsite.privacy.registry import REDACTED, Erase, ErasureBatch, ModelPrivacy, PersonalField, policies

# What erasure writes itself; the rest of a personal field's fate belongs to a hook or the row.
FIELD_ACTIONS = (Erase.BLANK, Erase.REDACT, Erase.NULL, Erase.ROTATE)


@transaction.atomic
def contacts_erase(
    *, contact_ids: Iterable[int], by: AbstractBaseUser | None, reason: str = ContactErasure.Reason.REQUEST
) -> list[ContactErasure]:
    """Erase these contacts; already erased ones are left as they are. Returns their erasure records."""
    ids = sorted(set(contact_ids))
    contacts = list(Contact.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "email"))
    if contacts:
        _erase(contacts, by=by, reason=reason)
    return list(ContactErasure.objects.filter(contact_id__in=ids).order_by("contact_id"))


def contact_erase(*, contact_id: int, by: AbstractBaseUser | None) -> ContactErasure | None:
    """Erase one contact on request (idempotent); None when no such contact ever existed."""
    erased = contacts_erase(contact_ids=[contact_id], by=by)
    return erased[0] if erased else None


def _erase(contacts: list[tuple[int, str]], *, by: AbstractBaseUser | None, reason: str) -> None:
    now = timezone.now()
    contact_ids = [pk for pk, _email in contacts]
    linked = [policy for policy in policies() if policy.contact_path]
    owners: dict[str, list[tuple[int, int]]] = {
        policy.label.lower(): _rows_of(policy, contact_ids) for policy in linked
    }
    batch = ErasureBatch(
        contact_ids=contact_ids,
        emails=[address_normalise(email) for _pk, email in contacts],
        rows={label: [pk for pk, _owner in rows] for label, rows in owners.items()},
        now=now,
        suppress=reason == ContactErasure.Reason.REQUEST,
    )
    # Hooks first, while every row still reads as it did; then the fields; rows go last.
    for policy in linked:
        if policy.erase_hook is not None:
            policy.erase_hook(batch)
    for policy in linked:
        if not policy.delete_rows:
            _erase_fields(policy, batch.rows[policy.label.lower()], now=now)
    for policy in linked:
        if policy.delete_rows:
            policy.model.objects.filter(pk__in=batch.rows[policy.label.lower()]).delete()
    summaries: dict[int, Counter[str]] = defaultdict(Counter)
    for label, rows in owners.items():
        for _pk, owner in rows:
            summaries[owner][label] += 1
    ContactErasure.objects.bulk_create(
        [
            ContactErasure(contact_id=pk, reason=reason, erased_by=by, erased_at=now, summary=dict(summaries[pk]))
            for pk in contact_ids
        ],
        ignore_conflicts=True,
    )


def _rows_of(policy: ModelPrivacy, contact_ids: list[int]) -> list[tuple[int, int]]:
    """(row id, contact id) of every row of this model that belongs to one of the contacts."""
    path = policy.contact_path
    return list(policy.model.objects.filter(**{f"{path}__in": contact_ids}).values_list("pk", path).order_by("pk"))


def _erase_fields(policy: ModelPrivacy, pks: list[int], *, now: Any) -> int:
    """One UPDATE for the model's rows (one batched bulk update when tokens are rotated)."""
    if not pks:
        return 0
    model = policy.model
    entries = [entry for entry in policy.personal if entry.erase in FIELD_ACTIONS]
    changes: dict[str, Any] = {
        entry.name: erased_value(model, entry) for entry in entries if entry.erase != Erase.ROTATE
    }
    changes.update(dict.fromkeys(policy.erased_at_fields, now))
    rotated = [entry.name for entry in entries if entry.erase == Erase.ROTATE]
    if not rotated:
        return model.objects.filter(pk__in=pks).update(**changes) if changes else 0
    rows = []
    for pk in pks:
        row = model(pk=pk)
        for name, value in changes.items():
            setattr(row, model._meta.get_field(name).attname, value)
        for name in rotated:
            setattr(row, name, new_token())
        rows.append(row)
    return model.objects.bulk_update(rows, [*changes, *rotated], batch_size=1000)


def erased_value(model: type[models.Model], entry: PersonalField) -> Any:
    """The value (or expression) an erased field takes; rows outside entry.where keep theirs."""
    model_field = model._meta.get_field(entry.name)
    if entry.erase == Erase.NULL:
        value: Any = Value(None, output_field=model_field)
    elif entry.erase == Erase.BLANK:
        value = Value(model_field.get_default(), output_field=model_field)
    elif entry.erase == Erase.REDACT:
        # Empty text stays empty: only what was written is marked as removed.
        value = Case(When(**{entry.name: ""}, then=Value("")), default=Value(REDACTED), output_field=model_field)
    else:
        raise ValueError(f"{entry.erase} is not a field update")
    if entry.where is None:
        return value
    return Case(When(entry.where, then=value), default=F(entry.name), output_field=model_field)


def not_erased(model: type[models.Model], entry: PersonalField) -> Q:
    """Rows whose field still holds something erasure would remove."""
    model_field = model._meta.get_field(entry.name)
    if entry.erase == Erase.NULL:
        pending = Q(**{f"{entry.name}__isnull": False})
    elif entry.erase == Erase.BLANK:
        pending = ~Q(**{entry.name: model_field.get_default()})
    else:
        pending = ~Q(**{entry.name: ""}) & ~Q(**{entry.name: REDACTED})
    return pending if entry.where is None else pending & entry.where
