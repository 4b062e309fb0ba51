"""Retention: personal data older than its class's window is redacted, in batches, nightly.

Each batch is one UPDATE of at most batch_size rows (a subquery picks them), and touches only
rows that still hold something to remove, so a rerun, a second beat or an interrupted run
simply carries on. Windows come from settings.RETENTION_DAYS (0: keep for ever).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from vocsite.privacy.erasure import FIELD_ACTIONS, erased_value, not_erased
from vocsite.privacy.registry import DataClass, Erase, ModelPrivacy, PersonalField, policies, retention_steps

Batch = Callable[[datetime, int], int]


@dataclass
class RetentionReport:
    changed: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    finished: bool = True


def retention_run(
    *, now: datetime, batch_size: int | None = None, max_batches: int = 1000, windows: dict[str, int] | None = None
) -> RetentionReport:
    """Apply every retention window; stops after max_batches (finished=False) so a run stays short."""
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    windows = settings.RETENTION_DAYS if windows is None else windows
    report = RetentionReport()
    for data_class, days in windows.items():
        if not days:
            continue
        cutoff = now - timedelta(days=days)
        for name, batch in retention_batches(DataClass(data_class)):
            while True:
                if report.batches >= max_batches:
                    report.finished = False
                    return report
                changed = batch(cutoff, batch_size)
                report.batches += 1
                report.changed[name] = report.changed.get(name, 0) + changed
                if changed < batch_size:
                    break
    return report


def retention_batches(data_class: DataClass) -> list[tuple[str, Batch]]:
    """The batch functions of one data class: one per model holding it, then the registered steps."""
    found: list[tuple[str, Batch]] = []
    for policy in policies():
        entries = [
            entry
            for entry in policy.personal
            if entry.data_class == data_class and entry.erase in FIELD_ACTIONS and entry.erase != Erase.ROTATE
        ]
        if entries and policy.age_field:
            found.append((f"{policy.label}.{data_class}", _field_batch(policy, entries)))
    for step in retention_steps().get(data_class, []):
        found.append((f"{step.__module__}.{step.__name__}", step))
    return found


def _field_batch(policy: ModelPrivacy, entries: list[PersonalField]) -> Batch:
    model = policy.model
    changes = {entry.name: erased_value(model, entry) for entry in entries}
    pending = Q()
    for entry in entries:
        pending |= not_erased(model, entry)

    def batch(cutoff: datetime, batch_size: int) -> int:
        stale = model.objects.filter(pending, **{f"{policy.age_field}__lt": cutoff})
        if policy.in_use is not None:
            stale = stale.exclude(policy.in_use)
        chosen = stale.order_by("pk").values("pk")[:batch_size]
        return model.objects.filter(pk__in=chosen).update(**changes)

    return batch
