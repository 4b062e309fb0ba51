"""The Celery application. Tasks only wake work up; the database holds the truth."""

import logging
import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocsite.settings")

app = Celery("vocsite")
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
