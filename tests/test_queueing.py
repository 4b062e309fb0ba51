"""Publishing after commit: a broker outage never fails the caller, and nothing is forgotten."""

from typing import Any

import pytest

from feedback.tasks import tag_answers
from vocsite import queueing
from vocsite.celery import app as celery_app
from vocsite.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_message_the_broker_refuses_waits_in_the_outbox(
    unreachable_broker: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_after_commit(tag_answers, [11, 12])
        queueing.enqueue_after_commit(tag_answers, [13])

    kept = OutboxMessage.objects.order_by("pk").values_list("task", "args")
    assert list(kept) == [("feedback.tasks.tag_answers", [[11, 12]]), ("feedback.tasks.tag_answers", [[13]])]


def test_the_outbox_is_published_and_emptied_once_the_broker_takes_messages_again() -> None:
    OutboxMessage.objects.create(task="feedback.tasks.tag_answers", args=[[11, 12]])
    OutboxMessage.objects.create(task="feedback.tasks.tag_answers", args=[[13]])
    celery_app.conf.task_always_eager = True  # the broker is back; here, tasks run in-process

    published = queueing.outbox_publish()

    assert (published, OutboxMessage.objects.count()) == (2, 0)


def test_publishing_stops_at_the_first_refusal_and_keeps_the_rest(unreachable_broker: None) -> None:
    OutboxMessage.objects.create(task="feedback.tasks.tag_answers", args=[[11]])

    published = queueing.outbox_publish()

    assert (published, OutboxMessage.objects.count()) == (0, 1)
