"""Marking accounts and contacts whose health must be recomputed, and waking the refresh up.

The services that change an input (a response completed, a follow-up opened, moved or closed)
call health_mark in their own transaction, so the mark is as durable as the change; the
refresh runs after commit, and the periodic tick picks up any mark whose message was lost.
"""

from collections.abc import Iterable

from feedback.models import HealthDirty
from vocsite.queueing import enqueue_after_commit


def health_mark(*, contact_ids: Iterable[int | None] = (), account_ids: Iterable[int | None] = ()) -> int:
    """Mark these contacts and accounts dirty (one INSERT; already marked ones are left as they are)."""
    rows = [HealthDirty(contact_id=pk) for pk in {pk for pk in contact_ids if pk is not None}]
    rows += [HealthDirty(account_id=pk) for pk in {pk for pk in account_ids if pk is not None}]
    if rows:
        HealthDirty.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def health_refresh_later() -> None:
    """Recompute the marked health scores once the transaction commits."""
    from feedback.tasks import refresh_health  # the tasks module imports the services that import this one

    enqueue_after_commit(refresh_health)


def health_mark_and_refresh(*, contact_ids: Iterable[int | None] = (), account_ids: Iterable[int | None] = ()) -> None:
    """Mark, then recompute after commit."""
    if health_mark(contact_ids=contact_ids, account_ids=account_ids):
        health_refresh_later()
