"""The Celery settings that keep work from being lost or done twice when processes die."""

import os
import time
from pathlib import Path

import pytest
import redis
from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from tests.realparts import SmtpSink, Worker, wait_until
from tests.resilience.scenario import running, stack_env
from vocsite.celery import VocsiteTask
from vocsite.celery import app as celery_app


def project_tasks() -> dict[str, Task]:
    celery_app.loader.import_default_modules()
    return {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}


def hard_limit(task: Task) -> float:
    return task.time_limit or celery_app.conf.task_time_limit


def soft_limit(task: Task) -> float:
    return task.soft_time_limit or celery_app.conf.task_soft_time_limit


def test_every_task_is_acknowledged_after_it_ran_and_sent_again_a_few_times_when_its_worker_dies() -> None:
    tasks = project_tasks()

    assert {"feedback.tasks.response_completed", "surveys.tasks.send_invitation_batch"} <= set(tasks)
    for name, task in tasks.items():
        assert isinstance(task, VocsiteTask), name
        assert (task.acks_late, task.reject_on_worker_lost, task.retry_on_worker_lost) == (True, True, True), name
        assert (task.max_retries, task.default_retry_delay) == (5, 5), name


def test_tasks_retry_broken_database_connections_with_backoff_and_nothing_else() -> None:
    assert VocsiteTask.autoretry_for == (OperationalError, InterfaceError)
    assert (VocsiteTask.retry_backoff, VocsiteTask.retry_backoff_max, VocsiteTask.retry_jitter) == (2, 60, False)


def test_a_worker_takes_one_message_at_a_time_and_speaks_json_only() -> None:
    conf = celery_app.conf

    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_serializer, conf.result_serializer, conf.accept_content) == ("json", "json", ["json"])


def test_every_task_has_a_soft_time_limit_below_its_hard_one() -> None:
    for name, task in project_tasks().items():
        assert 0 < soft_limit(task) < hard_limit(task), name
    assert (settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT) == (240, 300)


def test_redis_gives_a_message_to_another_worker_only_after_any_task_and_countdown_would_have_ended() -> None:
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    longest_task = max(hard_limit(task) for task in project_tasks().values())
    longest_countdown = max(VocsiteTask.retry_backoff_max, VocsiteTask.default_retry_delay)

    assert visibility == 7200
    assert visibility > longest_task + longest_countdown


def test_publishing_to_a_broker_that_does_not_answer_gives_up_within_a_second() -> None:
    options = celery_app.conf.broker_transport_options

    assert (options["socket_connect_timeout"], options["socket_timeout"]) == (1, 0.5)
    assert celery_app.conf.broker_connection_timeout == 1
    assert celery_app.conf.broker_connection_max_retries is None


def test_the_beat_runs_the_ticks_and_the_outbox_every_thirty_seconds() -> None:
    schedule = {name: (entry["task"], entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}

    assert {name: schedule[name] for name in ("distribution-tick", "feedback-tick", "outbox-publish")} == {
        "distribution-tick": ("surveys.tasks.distribution_tick", 30),
        "feedback-tick": ("feedback.tasks.feedback_tick", 30),
        "outbox-publish": ("vocsite.tasks.outbox_publish", 30),
    }
    assert {task for task, _ in schedule.values()} <= set(project_tasks())


@pytest.mark.django_db(transaction=True)
def test_a_message_that_kills_its_worker_every_time_runs_three_times_and_never_again(
    queue: str, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    record = tmp_path / "deliveries"
    record.touch()
    worker = Worker(stack_env(queue, smtp_sink), include="tests.resilience.worker_tasks")

    with running(worker):
        assert wait_until(lambda: celery_app.control.ping(destination=[worker.name], timeout=0.5), timeout=30)
        celery_app.send_task("tests.resilience.worker_tasks.die_with_the_worker", args=[str(record)])
        assert wait_until(lambda: len(record.read_text().split()) == 3, timeout=60)
        time.sleep(5)  # a fourth delivery, 1 s after the third, would have come by now

        assert record.read_text().split() == ["0", "1", "2"]
        assert celery_app.control.ping(destination=[worker.name], timeout=2)
        assert redis.Redis.from_url(os.environ["REDIS_URL"]).llen(queue) == 0
