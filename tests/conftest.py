"""Shared fixtures and small make_* helpers. The suite runs on PostgreSQL, never SQLite."""

import os
import socket
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.utils import translation

from surveys import services
from surveys.models import Contact, Invitation, Survey
from tests.realparts import SmtpSink, Worker, service_env, wait_until
from tests.survey_data import TEN_QUESTIONS
from vocsite import queueing
from vocsite.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _require_postgresql(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", (
            "The test suite runs on PostgreSQL: set DATABASE_URL (tests/run.sh does)."
        )


def make_survey(*, template: str = "nps", live: bool = True, **changes: Any) -> Survey:
    survey = services.survey_create_from_template(template=template)
    for field, value in changes.items():
        setattr(survey, field, value)
    if changes:
        survey.save()
    if live:
        services.survey_publish(survey=survey)
    return survey


_contact_number = iter(range(1, 1_000_000))


def make_contact(*, language: str = "en", **fields: Any) -> Contact:
    number = next(_contact_number)
    defaults = {"email": f"person{number}@example.com", "name": f"Person {number}", "language": language}
    return Contact.objects.create(**{**defaults, **fields})


def make_invitation(*, survey: Survey | None = None, contact: Contact | None = None) -> Invitation:
    return services.invitation_create_personal(survey=survey or make_survey(), contact=contact or make_contact())


@pytest.fixture
def admin_user(db: Any) -> AbstractUser:
    return get_user_model().objects.create_superuser("boss", "boss@example.com", "a-long-password-1")


@pytest.fixture
def admin_client(client: Any, admin_user: AbstractUser) -> Any:
    client.force_login(admin_user)
    return client


def make_ten_question_survey() -> Survey:
    questions = [{"position": index, **question} for index, question in enumerate(TEN_QUESTIONS)]
    survey = services.survey_create(name="Ten", content={"title_en": "Ten questions"}, questions=questions)
    services.survey_publish(survey=survey)
    return survey


@pytest.fixture(autouse=True)
def _english_by_default() -> Any:
    """Each test starts in English; a request handled in Chinese must not leak into the next."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _tasks_in_process(request: pytest.FixtureRequest) -> Any:
    """Tasks run in-process unless the test runs a real worker (see tests/realparts.py)."""
    if "celery_worker" in request.fixturenames:
        yield
        return
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def smtp_sink() -> Any:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def worker_settings() -> dict[str, str]:
    """Settings (environment variables) of the celery_worker fixture's worker; a test module may override it."""
    return {}


@pytest.fixture
def celery_worker(smtp_sink: SmtpSink, settings: Any, worker_settings: dict[str, str]) -> Any:
    """A real `celery worker` process on Redis and the test database, sending to smtp_sink."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = service_env(
        database_name=connection.settings_dict["NAME"],
        redis_url=os.environ["REDIS_URL"],
        smtp_port=smtp_sink.port,
        queue=queue,
        SEND_RETRY_BASE_SECONDS="1",
        **worker_settings,
    )
    celery_app.conf.task_default_queue = queue
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    worker = Worker(env).start()
    assert wait_until(lambda: celery_app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=0.5)), (
        "the Celery worker did not start; see var/test-worker-*.log"
    )
    yield worker
    worker.stop()
    celery_app.conf.task_default_queue = "vocsite"


@pytest.fixture
def unreachable_broker(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Publishing fails: the broker's address answers nothing. Tasks do not run in-process."""
    conf = celery_app.conf
    before = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:9/0"
    celery_app._after_fork()  # drop pooled connections so the new broker URL is used
    # This process's memory of the failure must not outlive the test.
    monkeypatch.setattr(queueing, "_broker_failed_at", None)
    yield
    conf.task_always_eager, conf.broker_url = before
    celery_app._after_fork()


@pytest.fixture(autouse=True)
def _starting_data(request: pytest.FixtureRequest) -> None:
    """The data the migrations seed; a transactional test before this one may have flushed it."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    starting_data_ensure()


def starting_data_ensure() -> None:
    """Seed what the migrations seed (themes, root causes, health weights, alert rules, touchpoints)."""
    from feedback.defaults import health_defaults_ensure, loop_defaults_ensure, themes_ensure
    from feedback.models import AlertRule, HealthWeight, RootCause, RoutingRule, Theme
    from surveys.catalog import touchpoints_ensure
    from surveys.models import Touchpoint

    themes_ensure(Theme)
    loop_defaults_ensure(RootCause, RoutingRule)
    health_defaults_ensure(HealthWeight, AlertRule)
    touchpoints_ensure(Touchpoint)


@pytest.fixture(autouse=True)
def _link_failures_forgotten() -> None:
    """Every test starts with no failed link lookups counted against the test client's address."""
    from surveys.ratelimit import link_failures

    link_failures.reset_address("127.0.0.1")
