"""A whole run in the production shape, watched from outside: no personal data in broker messages or logs.

gunicorn (with the Procfile's logger), a Celery worker and the tick command share a private Redis;
Redis's MONITOR sees every message any of them publishes. A customer is sent a survey, answers it
from the email's link, the answer is tagged and routed to a follow-up, staff resolve it over the
API and the customer is told. Then every message and every log line of every process is searched
for the customer's address, name and link token.
"""

import base64
import json
import re
import shlex
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import requests
from django.contrib.auth import get_user_model
from django.db import connection

from feedback.models import Answer, FollowUp, RootCause
from surveys import distributions
from surveys.models import Distribution, Invitation
from tests.conftest import make_contact, make_survey
from tests.realparts import ROOT, PrivateRedis, SmtpSink, Worker, free_port, service_env, wait_until
from tests.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()

BODY = re.compile(r'"body": "([A-Za-z0-9+/=]+)"')


class BrokerTap:
    """Every command any process sends to a Redis server, as its MONITOR reports them (raw, unparsed)."""

    def __init__(self, url: str) -> None:
        self.monitor = redis.Redis.from_url(url, socket_timeout=None).monitor()
        self.commands: list[str] = []
        self.thread = threading.Thread(target=self._listen, daemon=True)

    def start(self) -> "BrokerTap":
        self.monitor.__enter__()
        self.thread.start()
        return self

    def _listen(self) -> None:
        # Raw lines, not redis-py's parsed commands: a line it failed to parse would be lost unseen.
        while True:
            try:
                line = self.monitor.connection.read_response()
            except redis.TimeoutError:
                continue  # a quiet moment
            except (redis.ConnectionError, OSError):
                return  # the server stopped: the run is over
            text = line.decode(errors="replace") if isinstance(line, bytes) else str(line)
            self.commands.append(text.replace('\\"', '"'))

    def task_messages(self) -> list[tuple[str, list[Any]]]:
        """(task name, decoded body) of every task message pushed onto a queue."""
        found = []
        for command in self.commands:
            if '"LPUSH"' not in command:
                continue
            name = re.search(r'"task": "([\w.]+)"', command)
            for body in BODY.findall(command):
                found.append((name.group(1) if name else "", json.loads(base64.b64decode(body))))
        return found

    def everything(self) -> str:
        """All commands, with every base64 message body decoded next to it."""
        decoded = [base64.b64decode(body).decode(errors="replace") for c in self.commands for body in BODY.findall(c)]
        return "\n".join(self.commands + decoded)


def procfile_web_command(port: int) -> list[str]:
    """The Procfile's web command (its logger included), on this test's port with one worker."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    shell = {"0.0.0.0:${PORT:-8000}": f"127.0.0.1:{port}", "${WEB_CONCURRENCY:-4}": "1"}
    return [sys.executable, "-m", *(shell.get(word, word) for word in shlex.split(line.split(":", 1)[1]))]


def only_ids(value: Any) -> bool:
    return isinstance(value, int) or (isinstance(value, list) and all(isinstance(item, int) for item in value))


def test_no_address_name_or_token_reaches_the_broker_or_any_log(smtp_sink: SmtpSink, tmp_path: Path) -> None:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    chief = User.objects.create_superuser("chief", "chief@corp.example", "a-long-password-1")
    api_token = token_for(chief)
    customer = make_contact(email="adaflow.lovelacius@example.org", name="Adaflow Lovelacius", language="en")
    distribution = Distribution.objects.create(name="Spring", survey=make_survey())
    distribution.contacts.set([customer])
    distributions.distribution_schedule(distribution=distribution)

    private_redis = PrivateRedis().start()
    tap = BrokerTap(private_redis.url).start()
    queue = f"privacy-{uuid.uuid4().hex[:8]}"
    env = service_env(
        database_name=connection.settings_dict["NAME"],
        redis_url=private_redis.url,
        smtp_port=smtp_sink.port,
        queue=queue,
        SITE_URL=site,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="DEBUG",
    )
    web_log = tmp_path / "web.log"
    with web_log.open("wb") as web_output:
        web = subprocess.Popen(
            procfile_web_command(port),
            env=env,
            cwd=ROOT,
            stdout=web_output,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(env).start()
    worker_log = ROOT / "var" / f"test-worker-{queue}.log"
    browser = requests.Session()
    browser.headers["User-Agent"] = "PrivacyProbe/1.0"
    try:
        assert wait_until(lambda: _answers(browser, f"{site}/admin/login/"), timeout=30), "gunicorn did not start"
        assert wait_until(lambda: b"ready." in worker_log.read_bytes(), timeout=60), "the worker did not start"

        tick = subprocess.run(
            [sys.executable, "manage.py", "tick"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert wait_until(lambda: smtp_sink.recipients() == [customer.email])
        text = smtp_sink.messages[0].get_body(("plain",)).get_content()
        link = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("2: "))
        page = urlsplit(link).path
        assert browser.get(link).status_code == 200
        browser.post(site + page, {"page": "1", "q_nps": "2"})
        browser.post(site + page, {"page": "2", "q_disappointed": "Adaflow here: the invoice was wrong again."})
        finished = browser.post(site + page, {"page": "3", "q_may_contact": "yes"})
        assert finished.status_code == 200

        assert wait_until(lambda: FollowUp.objects.exists() and "chief@corp.example" in smtp_sink.recipients())
        follow_up = FollowUp.objects.get()
        resolved = browser.post(
            f"{site}/api/v1/follow-ups/{follow_up.pk}/resolve/",
            json={
                "root_cause": RootCause.objects.get(name="Billing error").pk,
                "note": "Refunded Adaflow's invoice.",
                "shared_note": "We refunded your invoice.",
                "tell_customer": True,
            },
            headers={"Authorization": f"Bearer {api_token}"},
        )
        assert resolved.status_code == 200
        assert wait_until(lambda: smtp_sink.recipients().count(customer.email) == 2)
        assert Answer.objects.filter(analysed_at__isnull=False).count() == 1
    finally:
        worker.stop()
        web.terminate()
        web.wait(timeout=15)
        private_redis.stop()
        tap.thread.join(timeout=10)

    token = Invitation.objects.get(contact=customer).token
    secrets = [customer.email, "adaflow.lovelacius", "Adaflow", "Lovelacius", token, api_token]
    messages = tap.task_messages()
    assert {name for name, _body in messages} >= {
        "surveys.tasks.send_invitation_batch",
        "feedback.tasks.response_completed",
        "feedback.tasks.send_follow_up_notification",
    }
    for name, (args, kwargs, _options) in messages:
        assert all(only_ids(arg) for arg in args) and kwargs == {}, name
    logs = "\n".join([worker_log.read_text(), web_log.read_text(), tick.stdout, tick.stderr])
    assert "feedback.tasks.response_completed" in logs and "GET /s/[token]/?" in logs
    assert [secret for secret in secrets if secret in tap.everything()] == []
    assert [secret for secret in secrets if secret.lower() in logs.lower()] == []


def _answers(session: requests.Session, url: str) -> bool:
    try:
        return session.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
