"""Enqueueing Celery work after commit, without ever letting a broker outage fail or hang a request.

A message the broker does not take goes to the outbox (a table), and the periodic
`outbox_publish` task sends it once the broker is back, so work stranded by an outage starts
within one tick of the broker's return instead of waiting for the sweeps' grace. The sweeps
still find work whose message was lost any other way (a worker killed, a broker that lost data).
"""

import logging
import time
from datetime import timedelta
from typing import Any

import redis
from celery import Task
from django.conf import settings
from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from vocsite.celery import app
from vocsite.models import OutboxMessage

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, RedisError, ConnectionError, TimeoutError)
# After a failed publish this process sends work straight to the outbox, and only tries the
# broker again after this many seconds and a quick ping: a hung broker must not make every
# request wait for a socket timeout.
BROKER_RETRY_AFTER_SECONDS = 5.0
BROKER_PING_TIMEOUT_SECONDS = 0.2
OUTBOX_BATCH = 1000

_broker_failed_at: float | None = None


def enqueue_after_commit(task: Task, *args: Any) -> None:
    """Publish the task once the transaction commits; on a broker outage, keep it in the outbox."""
    transaction.on_commit(lambda: task_publish(task=task, args=list(args)))


def task_publish(*, task: Task, args: list[Any]) -> bool:
    """Publish now, or store the message in the outbox when the broker is down; True if published."""
    global _broker_failed_at
    if task.app.conf.task_always_eager:
        task.apply_async(args)  # runs here and now: no broker to be down
        return True
    if _broker_failed_at is not None:
        if time.monotonic() - _broker_failed_at < BROKER_RETRY_AFTER_SECONDS or not _broker_answers():
            _broker_failed_at = time.monotonic()
            _outbox_store(task=task, args=args, error="the broker did not answer a moment ago")
            return False
        _broker_failed_at = None
    try:
        # One attempt: the connection and socket timeouts in settings bound it.
        task.apply_async(args, retry=False)
    except BROKER_ERRORS as error:
        _broker_failed_at = time.monotonic()
        _outbox_store(task=task, args=args, error=str(error))
        return False
    return True


def _broker_answers() -> bool:
    """A ping with a short timeout: cheaper than a publish that waits for the socket timeout."""
    if not settings.REDIS_URL:
        return True
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=BROKER_PING_TIMEOUT_SECONDS,
        socket_connect_timeout=BROKER_PING_TIMEOUT_SECONDS,
    )
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


def _outbox_store(*, task: Task, args: list[Any], error: str) -> None:
    try:
        OutboxMessage.objects.create(task=task.name, args=args)
    except DatabaseError:
        # Never fail the request after its commit; the periodic sweeps find the work.
        logger.exception("Could not keep %s in the outbox either; the periodic sweeps will find the work.", task.name)
        return
    logger.warning("Could not enqueue %s: %s. Kept in the outbox for the next tick.", task.name, error)


def sweep_grace() -> timedelta:
    """How young the periodic sweeps leave work alone: its own message is most likely on its way."""
    return timedelta(seconds=settings.SWEEP_GRACE_SECONDS)


def outbox_publish(*, limit: int = OUTBOX_BATCH) -> int:
    """Publish what the broker did not take earlier, oldest first; stops at the first failure."""
    published: list[int] = []
    with transaction.atomic():
        waiting = OutboxMessage.objects.select_for_update(skip_locked=True).order_by("pk")[:limit]
        for message in waiting:
            task = app.tasks.get(message.task)
            if task is not None:
                try:
                    task.apply_async(message.args, retry=False)
                except BROKER_ERRORS as error:
                    logger.warning("The broker is still not taking messages: %s", error)
                    break
            else:
                logger.error("Outbox message %s names no known task (%s); dropped.", message.pk, message.task)
            published.append(message.pk)
        OutboxMessage.objects.filter(pk__in=published).delete()
    return len(published)
