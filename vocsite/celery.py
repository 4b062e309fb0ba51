"""The Celery application. Tasks only wake work up; the database holds the truth."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocsite.settings")

app = Celery("vocsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
