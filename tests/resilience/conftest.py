"""Fixtures of the load and fault tests; what they share otherwise is in scenario.py."""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from vocsite.celery import app as celery_app


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue of the test's own; what the test process enqueues goes there, not in-process."""
    name = f"resilience-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = name
    celery_app.conf.task_always_eager = False
    yield name
    celery_app.conf.task_default_queue = "vocsite"
    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(name)
