"""PostgreSQL restarted under running workers: they recover by themselves, losing nothing.

The restart happens on a cluster of the test's own (never the shared server), which the test
process itself also uses for the while.
"""

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dj_database_url
import psycopg2
import pytest
from django.db import connection, connections

from feedback.models import SurveyResponse
from tests.conftest import make_ten_question_survey
from tests.realparts import ROOT, Beat, PrivatePostgres, SmtpSink, Worker, wait_until
from tests.resilience import scenario
from tests.resilience.scenario import all_done, running, stack_env, submit, work_left

pytestmark = pytest.mark.django_db(transaction=True)

AUDIENCE, CUSTOMERS = 40, 30


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    """A migrated database on a PostgreSQL cluster of the test's own."""
    server = PrivatePostgres().start()
    try:
        admin = psycopg2.connect(server.url("postgres"))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE vocsite")
        admin.close()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            env={**os.environ, "DATABASE_URL": server.url("vocsite")},
            cwd=ROOT,
            check=True,
        )
        yield server
    finally:
        server.remove()


@contextmanager
def connected_to(database_url: str) -> Iterator[None]:
    """Point the test process's own database connection at another server for a while."""
    target = dj_database_url.parse(database_url)
    default = connections["default"]
    saved = {key: default.settings_dict[key] for key in ("NAME", "HOST", "PORT", "USER", "PASSWORD")}
    default.close()
    default.settings_dict.update({key: target[key] for key in saved})
    try:
        yield
    finally:
        default.close()
        default.settings_dict.update(saved)


def first_response_id(tokens: list[str]) -> int:
    return SurveyResponse.objects.get(invitation__token=tokens[0]).pk


def lock_answers(database_url: str, *, response_id: int) -> Any:
    """A connection of its own holding the answers' row locks in an open transaction."""
    locker = psycopg2.connect(database_url)
    with locker.cursor() as cursor:
        cursor.execute("SELECT id FROM feedback_answer WHERE response_id = %s FOR UPDATE", [response_id])
    return locker


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def test_workers_recover_by_themselves_from_a_postgresql_restart_and_finish_every_job_once(
    postgres: PrivatePostgres, queue: str, smtp_sink: SmtpSink
) -> None:
    env = stack_env(
        queue,
        smtp_sink,
        DATABASE_URL=postgres.url("vocsite"),
        TICK_SECONDS="1",
        SEND_BATCH_SIZE="4",
        SEND_LEASE_SECONDS="10",
        SWEEP_GRACE_SECONDS="600",
    )
    # The mail server is slow, so the restart comes while the invitations are going out.
    smtp_sink.rcpt_delay = 0.1
    worker = Worker(env, concurrency=2, name=queue)

    with connected_to(postgres.url("vocsite")):
        survey = make_ten_question_survey()
        tokens = scenario.make_invited(survey, CUSTOMERS, owners=scenario.make_owners(3))
        scenario.make_distribution(survey, AUDIENCE)
        for number in range(CUSTOMERS // 2):
            submit(tokens[number], number)
        # The first response's tagging will wait on this lock when the restart comes: only a
        # retry of its task can finish it (the sweeps' grace is longer than the test).
        locker = lock_answers(postgres.url("vocsite"), response_id=first_response_id(tokens))
        with running(worker, Beat(env, name=queue)):
            assert wait_until(lambda: waiting_on_a_lock() and len(smtp_sink.messages) >= 8, timeout=60)

            postgres.restart()
            received_at_restart = len(smtp_sink.messages)
            locker.close()
            connection.close()  # the test's own connection was cut as well
            for number in range(CUSTOMERS // 2, CUSTOMERS):
                submit(tokens[number], number)

            done = all_done(invitations=AUDIENCE, timeout=120)
            time.sleep(3)  # a duplicate still on its way has time to arrive
            left = work_left(invitations=AUDIENCE)
            follow_ups = scenario.follow_ups_per_response()
            still_running = worker.process.poll() is None

    assert received_at_restart < AUDIENCE, "the invitations were all sent before the restart"
    assert done, left
    assert still_running, "the worker died instead of recovering"
    detractors = sum(scenario.is_detractor(number) for number in range(CUSTOMERS))
    assert follow_ups == Counter({1: detractors})
    assert scenario.twice(smtp_sink) == {}
    assert len(smtp_sink.messages) == AUDIENCE + detractors
