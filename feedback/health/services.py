"""Keeping health current: recompute what was marked, store it with its history, let time decay it.

Marks come from the services that change an input: the completion task of a response (after
tagging and routing, so the comment's sentiment and any new follow-up count; the routing sweep
marks the responses whose task was lost), and every follow-up of an answer that opens, becomes
overdue or closes (routing, loop).

A refresh claims dirty rows with skip_locked (two workers never recompute the same account at
once), reads the inputs of the whole batch in a fixed number of queries, writes the scores in
one upsert per kind of subject and a history row for each that changed, then runs the alert
rules over the accounts. The periodic tick marks whatever time alone may have moved (every
score once a day) and accounts edited without telling us (surveys never imports feedback).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from feedback.health import formula, inputs
from feedback.health.marks import health_mark, health_mark_and_refresh
from feedback.models import HealthDirty, HealthHistory, HealthScore, HealthWeight, SurveyResponse
from surveys.models import Account

TREND_DAYS = 30
DECAY_EVERY = timedelta(days=1)
MAX_BATCHES_PER_TICK = 20


def health_settings() -> formula.Settings:
    """The formula's settings: baseline, window and bands from settings, weights from the database."""
    weights = dict(HealthWeight.objects.values_list("key", "points"))
    return formula.Settings(
        baseline=settings.HEALTH_BASELINE,
        window_days=settings.HEALTH_WINDOW_DAYS,
        bands=formula.Bands(healthy_from=settings.HEALTH_HEALTHY_FROM, critical_below=settings.HEALTH_CRITICAL_BELOW),
    ).with_weights(weights)


@dataclass(frozen=True)
class AccountHealth:
    """An account's new health after a recompute, with what the alert rules look at."""

    account_id: int
    health: formula.Health
    before: int | None
    before_at: datetime | None
    facts: formula.Facts
    members: tuple[int, ...]


def health_recompute(
    *, account_ids: Iterable[int] = (), contact_ids: Iterable[int] = (), now: datetime | None = None
) -> list[AccountHealth]:
    """Recompute and store the health of these accounts and contacts as of `now` (default: now)."""
    now = now or timezone.now()
    account_ids, contact_ids = sorted(set(account_ids)), sorted(set(contact_ids))
    if not account_ids and not contact_ids:
        return []
    config = health_settings()
    batch = inputs.health_inputs(
        account_ids=account_ids, contact_ids=contact_ids, now=now, window_days=config.window_days
    )
    subject_filter = Q(account_id__in=account_ids) | Q(contact_id__in=contact_ids)
    previous = {(row.account_id, row.contact_id): row for row in HealthScore.objects.filter(subject_filter)}
    today = timezone.localtime(now).date()
    then = _scores_on(subject_filter, day=today - timedelta(days=TREND_DAYS))
    scores: list[HealthScore] = []
    history: list[HealthHistory] = []
    explained: set[tuple[int | None, int | None]] = set()
    changes: list[AccountHealth] = []
    subjects = [("account", pk, batch.accounts[pk]) for pk in account_ids]
    subjects += [("contact", pk, batch.contacts[pk]) for pk in contact_ids]
    for kind, pk, subject_inputs in subjects:
        key = (pk, None) if kind == "account" else (None, pk)
        health = formula.health(subject_inputs, now=now, settings=config)
        old = previous.get(key)
        breakdown = health.breakdown()
        changed = old is None or old.score != health.score or old.band != health.band
        moved = formula.what_moved(old.breakdown, breakdown) if changed and old else []
        if changed:
            explained.add(key)
        earlier = then.get(key)
        scores.append(
            HealthScore(
                **{f"{kind}_id": pk},
                score=health.score,
                band=health.band,
                breakdown=breakdown,
                moved=[{"key": name, "points": points} for name, points in moved],
                change_30d=None if earlier is None else health.score - earlier,
                computed_at=now,
                changed_at=now if changed or old is None else old.changed_at,
            )
        )
        if changed:
            history.append(
                HealthHistory(
                    **{f"{kind}_id": pk}, day=today, score=health.score, band=health.band, breakdown=breakdown
                )
            )
        if kind == "account":
            changes.append(
                AccountHealth(
                    account_id=pk,
                    health=health,
                    before=old.score if old else None,
                    before_at=old.computed_at if old else None,
                    facts=subject_inputs.facts,
                    members=tuple(batch.members.get(pk, ())),
                )
            )
    _store(scores, history, explained)
    return changes


def _scores_on(subjects: Q, *, day: date) -> dict[tuple[int | None, int | None], int]:
    """Each subject's score as it stood on `day`: its last history row up to then, else its first (2 queries)."""
    found: dict[tuple[int | None, int | None], int] = {}
    for rows, order in (
        (HealthHistory.objects.filter(subjects, day__lte=day).order_by(), F("day").desc()),
        (HealthHistory.objects.filter(subjects).order_by(), F("day").asc()),
    ):
        ranked = (
            rows.annotate(rank=Window(RowNumber(), partition_by=[F("account_id"), F("contact_id")], order_by=order))
            .filter(rank=1)
            .values_list("account_id", "contact_id", "score")
        )
        for account_id, contact_id, score in ranked:
            found.setdefault((account_id, contact_id), score)
    return found


def _store(
    scores: list[HealthScore], history: list[HealthHistory], explained: set[tuple[int | None, int | None]]
) -> None:
    fields = ["score", "band", "breakdown", "change_30d", "computed_at", "changed_at"]
    for subject in ("account", "contact"):
        rows = [row for row in scores if getattr(row, f"{subject}_id") is not None]
        # "moved" keeps the explanation of the last change while the score stands still.
        moving = [row for row in rows if (row.account_id, row.contact_id) in explained]
        still = [row for row in rows if (row.account_id, row.contact_id) not in explained]
        for group, update in ((moving, [*fields, "moved"]), (still, fields)):
            if group:
                HealthScore.objects.bulk_create(
                    group, update_conflicts=True, unique_fields=[subject], update_fields=update
                )
        days = [row for row in history if getattr(row, f"{subject}_id") is not None]
        if days:
            HealthHistory.objects.bulk_create(
                days,
                update_conflicts=True,
                unique_fields=[subject, "day"],
                update_fields=["score", "band", "breakdown"],
            )


def health_refresh_dirty(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Recompute one batch of marked accounts and contacts, then run the alert rules on the accounts."""
    from feedback.health.alerts import health_alerts_check  # alerts import this module

    now = now or timezone.now()
    with transaction.atomic():
        dirty = list(
            HealthDirty.objects.select_for_update(skip_locked=True)
            .order_by("marked_at")
            .values_list("pk", "account_id", "contact_id")[: limit or settings.HEALTH_BATCH_SIZE]
        )
        if not dirty:
            return 0
        changes = health_recompute(
            account_ids=[account for _pk, account, _contact in dirty if account is not None],
            contact_ids=[contact for _pk, _account, contact in dirty if contact is not None],
            now=now,
        )
        # Unmarked before the rules run, so whatever they change is marked afresh for the next refresh.
        HealthDirty.objects.filter(pk__in=[pk for pk, _account, _contact in dirty]).delete()
        health_alerts_check(changes=changes, now=now)
    return len(dirty)


def health_mark_due(*, now: datetime, limit: int | None = None) -> int:
    """Mark what time alone may have moved, or others changed: stale scores, new and edited accounts."""
    limit = limit or settings.HEALTH_BATCH_SIZE
    stale = list(
        HealthScore.objects.stale(before=now - DECAY_EVERY)
        .order_by("computed_at")
        .values_list("account_id", "contact_id")[:limit]
    )
    unscored = list(Account.objects.filter(health__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit])
    # Edited since their score (a renewal date, say): the alert rules must see it. A contact moving
    # between accounts is caught by the daily recompute (surveys cannot tell us, and scanning
    # contacts every minute would cost more than it saves).
    edited = list(
        Account.objects.filter(updated_at__gte=now - DECAY_EVERY, updated_at__gt=F("health__computed_at")).values_list(
            "pk", flat=True
        )[:limit]
    )
    return health_mark(
        account_ids=[account for account, _contact in stale] + unscored + edited,
        contact_ids=[contact for _account, contact in stale],
    )


def health_tick(*, now: datetime) -> dict[str, int]:
    """The periodic part: mark what is due, then refresh marked rows batch by batch."""
    marked = health_mark_due(now=now)
    refreshed = 0
    for _batch in range(MAX_BATCHES_PER_TICK):
        done = health_refresh_dirty(now=now)
        refreshed += done
        if done < settings.HEALTH_BATCH_SIZE:
            break
    return {"health_marked": marked, "health_refreshed": refreshed}


def health_mark_response(*, response_id: int) -> None:
    """Mark the contact (and account) of a completed response, and recompute after commit."""
    row = SurveyResponse.objects.filter(pk=response_id).values_list("contact_id", "contact__account_id").first()
    if row is not None and row[0] is not None:
        health_mark_and_refresh(contact_ids=[row[0]], account_ids=[row[1]])


def health_rebuild_history(*, account_ids: Iterable[int], days: int, step: int = 7, now: datetime | None = None) -> int:
    """Recompute accounts as of past days (every `step` days over `days`), filling their trend line.

    For a new install or a demo: answers, invitations and follow-ups are read as they stood on
    each day, so the history shows how health would have moved. Alerts do not fire for the past.
    """
    now = now or timezone.now()
    account_ids = list(account_ids)
    steps = 0
    for back in range(days, 0, -step):
        health_recompute(account_ids=account_ids, now=now - timedelta(days=back))
        steps += 1
    health_recompute(account_ids=account_ids, now=now)
    return steps + 1


def health_mark_all() -> int:
    """Mark every account and every scored contact (the formula's weights changed), in chunks."""
    marked = 0
    for model, field in ((Account, "pk"), (HealthScore, "contact_id")):
        rows = model.objects.all() if model is Account else model.objects.filter(contact__isnull=False)
        chunk: list[int] = []
        for pk in rows.values_list(field, flat=True).iterator(chunk_size=5000):
            chunk.append(pk)
            if len(chunk) == 5000:
                marked += _mark_chunk(model, chunk)
                chunk = []
        marked += _mark_chunk(model, chunk)
    return marked


def _mark_chunk(model: type, ids: list[int]) -> int:
    if model is Account:
        return health_mark(account_ids=ids)
    return health_mark(contact_ids=ids)
