"""Enqueueing Celery work after commit, without ever letting a broker outage fail a request."""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, RedisError, ConnectionError, TimeoutError)


def enqueue_after_commit(task: Task, *args: Any) -> None:
    """Publish the task once the transaction commits; on a broker outage, log and move on.

    The database is the source of truth: the periodic tick finds the work whose message was
    lost and enqueues it again.
    """

    def publish() -> None:
        try:
            task.delay(*args)
        except BROKER_ERRORS as error:
            logger.warning("Could not enqueue %s: %s. The periodic tick will pick the work up.", task.name, error)

    transaction.on_commit(publish)
