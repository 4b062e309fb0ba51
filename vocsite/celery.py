"""The Celery application. Tasks only wake work up; the database holds the truth."""

import logging
import os

from celery import Celery, Task
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init, worker_init
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocsite.settings")


class VocsiteTask(Task):
    """The base of every task: what it does when the database or its own worker goes away.

    The settings make a message acknowledged only after its task ran (acks_late) and send it
    again when the pool process running it dies (retry_on_worker_lost, reject_on_worker_lost).
    Both kinds of repeat count against max_retries, which caps how often a message that kills
    its worker comes back; after that the periodic sweeps, which read the database, own the work.
    """

    # A restarted or failed-over PostgreSQL breaks the connection the task holds: a transient
    # error, not wrong work. The Django fixup closes the connection after the task, so the
    # retry starts on a new one. Every task is idempotent, so running it again is safe.
    autoretry_for = (OperationalError, InterfaceError)
    # 2, 4, 8, 16, 32 s: about a minute of patience, enough for a restart or a failover. No
    # jitter, which could spend every retry within a second of each other.
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = False
    max_retries = 5
    # The countdown before a task whose worker died runs again.
    default_retry_delay = 5


app = Celery("vocsite", task_cls=VocsiteTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_without_secret(**kwargs: object) -> None:
    """A worker or beat started without SECRET_KEY stops at once with a clear message."""
    from vocsite.startup import require_secret_key

    require_secret_key()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_personal_data(logger: logging.Logger, **kwargs: object) -> None:
    """Celery replaces the handlers Django's LOGGING set up; its own ones mask personal data too."""
    from vocsite.privacy.logs import mask_handlers

    mask_handlers(logger)
