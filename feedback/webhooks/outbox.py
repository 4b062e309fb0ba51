"""Writing webhook messages in the transaction of the change they report: the outbox.

One INSERT ... SELECT writes a message for every active subscription of the team to the event,
each with the body its subscription opted into, and a worker is woken after commit (the sweep in
feedback.webhooks.delivery finds any whose wake-up was lost). A cache of which teams listen to
which events lets the survey submission skip even that statement when nobody listens; the cache
is refilled each tick and trusted only while no subscription has changed since it was read.
"""

# ruff: noqa: S608 - table and column names in the f-string come from the models; every value is a parameter.

import contextlib
import json
import secrets
import uuid
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from feedback.models import WebhookMessage, WebhookSubscription
from vocsite.privacy.registry import REDACTED
from vocsite.queueing import enqueue_after_commit
from vocsite.rows import default_columns

LISTENING_KEY = "webhooks:listening"
GENERATION_KEY = "webhooks:generation"
LISTENING_SECONDS = 600
CACHE_ERRORS = (RedisError, ConnectionError, TimeoutError, OSError)


def body_dumps(*, event: str, at: datetime, data: dict[str, Any]) -> str:
    """The exact JSON a message sends (Standard Webhooks' type / timestamp / data)."""
    payload = {"type": event, "timestamp": at, "data": data}
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


PERSONAL_KEYS = ("contact", "answers", "texts", "resolution_note")


def body_redact(body: str) -> str:
    """The body without the personal data an opted-in subscription received (erasure)."""
    payload = json.loads(body)
    data = payload.get("data", {})
    for key in PERSONAL_KEYS:
        if key in data:
            data[key] = REDACTED if isinstance(data[key], str) else None
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def msg_id_new() -> str:
    return "msg_" + secrets.token_hex(16)


def event_record(
    *,
    team_id: int | None,
    event: str,
    data: dict[str, Any],
    personal: dict[str, Any] | None = None,
    contact_id: int | None = None,
    at: datetime | None = None,
) -> list[int]:
    """Record one event for every subscription of the team to it; returns the new messages' ids.

    `personal` (the customer's name, address, what they wrote) is added to the data only for
    subscriptions that opted into personal data; only those messages are tied to the contact.
    """
    if team_id is None or not might_listen(team_id=team_id, event=event):
        return []
    at = at or timezone.now()
    plain = body_dumps(event=event, at=at, data=data)
    full = body_dumps(event=event, at=at, data={**data, **personal}) if personal else plain
    ids = _insert(team_id=team_id, event=event, plain=plain, full=full, contact_id=contact_id, at=at)
    if ids:
        from feedback.tasks import deliver_webhook_messages  # late: tasks import this module

        enqueue_after_commit(deliver_webhook_messages, ids)
    return ids


def _insert(*, team_id: int, event: str, plain: str, full: str, contact_id: int | None, at: datetime) -> list[int]:
    if connection.vendor != "postgresql":
        return _insert_one_by_one(team_id=team_id, event=event, plain=plain, full=full, contact_id=contact_id, at=at)
    given = ["subscription_id", "event", "msg_id", "body", "contact_id", "created_at", "next_attempt_at"]
    other_names, other_placeholders, other_values = default_columns(WebhookMessage, given=given)
    sql = f"""
        INSERT INTO {WebhookMessage._meta.db_table} ({", ".join([*given, *other_names])})
        SELECT s.id, %s, 'msg_' || replace(gen_random_uuid()::text, '-', ''),
               CASE WHEN s.include_personal_data THEN %s ELSE %s END,
               CASE WHEN s.include_personal_data THEN %s::bigint END,
               %s, %s{"".join(", " + placeholder for placeholder in other_placeholders)}
        FROM {WebhookSubscription._meta.db_table} s
        WHERE s.team_id = %s AND s.active AND s.events @> %s::jsonb
        RETURNING id
    """
    params = [event, full, plain, contact_id, at, at, *other_values, team_id, json.dumps([event])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _insert_one_by_one(
    *, team_id: int, event: str, plain: str, full: str, contact_id: int | None, at: datetime
) -> list[int]:
    """The same rows through the ORM, for the embedded SQLite (no jsonb containment there)."""
    subscriptions = WebhookSubscription.objects.filter(team_id=team_id, active=True)
    messages = [
        WebhookMessage(
            subscription=subscription,
            event=event,
            msg_id=msg_id_new(),
            body=full if subscription.include_personal_data else plain,
            contact_id=contact_id if subscription.include_personal_data else None,
            created_at=at,
            next_attempt_at=at,
        )
        for subscription in subscriptions
        if event in subscription.events
    ]
    return [message.pk for message in WebhookMessage.objects.bulk_create(messages)]


def might_listen(*, team_id: int, event: str) -> bool:
    """False only when the cache knows for sure that no subscription of the team wants the event."""
    teams = listening_teams(event=event)
    return teams is None or team_id in teams


def listening_teams(*, event: str) -> frozenset[int] | None:
    """The teams with an active subscription to the event, by the cache; None when it does not know."""
    try:
        found = cache.get_many([LISTENING_KEY, GENERATION_KEY])
    except CACHE_ERRORS:
        return None  # the INSERT finds out, at the cost of one statement
    listening, generation = found.get(LISTENING_KEY), found.get(GENERATION_KEY)
    if not listening or generation is None or listening.get("generation") != generation:
        return None
    return frozenset(listening["teams"].get(event, ()))


def listening_refresh() -> None:
    """Store which teams listen to which events (each tick), stamped with the generation it read."""
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            generation = uuid.uuid4().hex
            cache.add(GENERATION_KEY, generation, None)
            generation = cache.get(GENERATION_KEY)
        teams: dict[str, list[int]] = {}
        for team_id, events in WebhookSubscription.objects.filter(active=True).values_list("team_id", "events"):
            for event in events:
                teams.setdefault(event, []).append(team_id)
        cache.set(LISTENING_KEY, {"generation": generation, "teams": teams}, LISTENING_SECONDS)
    except CACHE_ERRORS:
        pass  # every event then runs its INSERT: slower, never wrong


def listening_forget() -> None:
    """Subscriptions changed: the cache is not trusted until the next refresh (now and after commit)."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    except CACHE_ERRORS:
        # The old stamp stays trusted for at most LISTENING_SECONDS: drop the map instead.
        with contextlib.suppress(*CACHE_ERRORS):
            cache.delete(LISTENING_KEY)
