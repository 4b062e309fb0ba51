"""The send path with real parts: a Celery worker process on Redis, an SMTP server, PostgreSQL."""

import os
import subprocess
import sys
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from surveys import distributions
from surveys.models import Contact, Distribution, Invitation, InvitationEmail
from surveys.periodic import periodic_tick
from tests.conftest import make_contact, make_survey
from tests.realparts import (
    ROOT,
    HttpApi,
    PrivateRedis,
    SmtpSink,
    Worker,
    free_port,
    kill_between_messages,
    service_env,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def start_distribution(count: int, **fields: Any) -> Distribution:
    contacts = [make_contact(language="zh-hans" if n % 2 else "en") for n in range(count)]
    distribution = Distribution.objects.create(name="Real", survey=make_survey(), **fields)
    distribution.contacts.set(contacts)
    distributions.distribution_schedule(distribution=distribution)
    return distribution


def sent_count() -> int:
    return InvitationEmail.objects.filter(status="sent").count()


def test_a_worker_sends_every_invitation_once_with_both_parts_and_working_links(
    celery_worker: Worker, smtp_sink: SmtpSink
) -> None:
    start_distribution(12)

    periodic_tick(now=timezone.now())

    assert wait_until(lambda: len(smtp_sink.messages) == 12)
    assert sorted(smtp_sink.recipients()) == sorted(Contact.objects.values_list("email", flat=True))
    message = smtp_sink.messages[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].startswith("<inv-")
    text, html = (part.get_content() for part in message.iter_parts())
    link = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("9: "))
    assert f'href="{link.replace("&", "&amp;")}"' in html
    query = dict(pair.split("=") for pair in urlsplit(link).query.split("&"))
    page = Client().get(urlsplit(link).path, query, follow=True)
    assert page.status_code == 200
    assert 'value="9" checked' in page.content.decode()
    assert wait_until(lambda: Invitation.objects.filter(status="sent").count() == 12)


def test_a_temporary_refusal_is_retried_and_delivered_once(celery_worker: Worker, smtp_sink: SmtpSink) -> None:
    smtp_sink.rcpt_replies.append("421 4.7.0 Try again later")
    start_distribution(1)

    periodic_tick(now=timezone.now())
    assert wait_until(lambda: InvitationEmail.objects.filter(status="pending", attempts=1).exists())
    InvitationEmail.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    periodic_tick(now=timezone.now())

    assert wait_until(lambda: sent_count() == 1)
    assert len(smtp_sink.messages) == 1
    email = InvitationEmail.objects.get()
    assert (email.attempts, email.last_error) == (2, "421 4.7.0 Try again later")


def test_a_permanent_refusal_bounces_the_address_and_is_never_retried(
    celery_worker: Worker, smtp_sink: SmtpSink
) -> None:
    smtp_sink.rcpt_replies.append("550 5.1.1 No such user")
    start_distribution(1)

    periodic_tick(now=timezone.now())

    assert wait_until(lambda: InvitationEmail.objects.filter(status="bounced").exists())
    periodic_tick(now=timezone.now() + timedelta(hours=1))
    assert smtp_sink.messages == []
    assert Invitation.objects.get().status == "bounced"
    assert Contact.objects.get().bounced_at is not None
    assert InvitationEmail.objects.get().attempts == 1


def test_a_worker_killed_mid_batch_sends_nobody_twice_and_the_sweep_finishes_the_rest(
    celery_worker: Worker, smtp_sink: SmtpSink, settings: Any
) -> None:
    smtp_sink.rcpt_delay = 0.15
    start_distribution(20)
    periodic_tick(now=timezone.now())
    assert wait_until(lambda: len(smtp_sink.messages) >= 5)

    kill_between_messages(celery_worker, smtp_sink)
    delivered_before = len(smtp_sink.messages)
    smtp_sink.rcpt_delay = 0
    replacement = Worker(celery_worker.env).start()
    settings.SEND_LEASE_SECONDS = 1
    InvitationEmail.objects.filter(status="claimed").update(claimed_at=timezone.now() - timedelta(seconds=5))
    periodic_tick(now=timezone.now())

    try:
        assert delivered_before < 20
        wait_until(lambda: len(smtp_sink.messages) >= 20 and sent_count() == 20)
        statuses = sorted(InvitationEmail.objects.values_list("status", flat=True))
        assert (len(smtp_sink.messages), sent_count()) == (20, 20), statuses
        assert sorted(smtp_sink.recipients()) == sorted(Contact.objects.values_list("email", flat=True))
    finally:
        replacement.stop()


def test_starting_a_distribution_while_redis_is_down_succeeds_and_sends_once_redis_is_back(
    smtp_sink: SmtpSink, admin_user: Any
) -> None:
    redis = PrivateRedis().start()
    env = service_env(
        database_name=connection.settings_dict["NAME"], redis_url=redis.url, smtp_port=smtp_sink.port, queue="outage"
    )
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vocsite.wsgi", "-b", f"127.0.0.1:{(port := free_port())}", "-w", "1"],
        env={**env, "ALLOWED_HOSTS": "127.0.0.1"},
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    from tests.tokens import token_for

    token = token_for(admin_user)
    contact = make_contact()
    distribution = Distribution.objects.create(name="Outage", survey=make_survey())
    distribution.contacts.set([contact])
    worker = None
    try:
        redis.stop()
        api = HttpApi(port, token)
        assert wait_until(api.is_up, timeout=20)

        scheduled = api.post(f"/api/v1/distributions/{distribution.pk}/schedule/", {})
        triggered = api.post(
            f"/api/v1/surveys/{distribution.survey_id}/send/",
            {"contact": {"email": "event@example.com"}, "idempotency_key": "outage-1"},
        )

        assert (scheduled.status, triggered.status) == (200, 201)
        assert smtp_sink.messages == []
        redis.start()
        tick = subprocess.run(
            [sys.executable, "manage.py", "tick"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert "materialised=1" in tick.stdout
        worker = Worker(env).start()
        assert wait_until(lambda: sorted(smtp_sink.recipients()) == sorted([contact.email, "event@example.com"]))
    finally:
        web.terminate()
        web.wait(timeout=10)
        if worker:
            worker.stop()
        redis.remove()


assert os.environ.get("REDIS_URL"), "the worker tests need REDIS_URL (tests/run.sh sets it)"
