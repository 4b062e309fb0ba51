"""The Celery application. Tasks only wake work up; the database holds the truth."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init

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
