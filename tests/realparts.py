"""Real services for tests: an SMTP server (aiosmtpd), a Celery worker, a private Redis.

Nothing here is a mock: the worker is `celery worker` in its own process on the test
database, and the SMTP server speaks SMTP on a real socket.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpSink:
    """An SMTP server keeping what it accepted; answers RCPT from a script of replies."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    rcpt_replies: deque[str] = field(default_factory=deque)
    rcpt_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_delay:
            time.sleep(self.rcpt_delay)  # blocks the server on purpose: a slow mail server
        reply = self.rcpt_replies.popleft() if self.rcpt_replies else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(message["To"]) for message in self.messages]

    def start(self) -> "SmtpSink":
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def wait_until(check: Any, *, timeout: float = 60, interval: float = 0.2) -> Any:
    """Poll until check() is truthy; fail with the last value after the timeout."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    return value


def service_env(*, database_name: str, redis_url: str, smtp_port: int, queue: str, **extra: str) -> dict[str, str]:
    """The environment a worker or web process of the test needs, on the test database."""
    database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database_name
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CELERY_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "vocsite.settings",
        **extra,
    }


class Worker:
    """`celery worker` in its own process group, so a test can SIGKILL it like an OOM would."""

    def __init__(self, env: dict[str, str], *, concurrency: int = 1) -> None:
        self.env = env
        self.concurrency = concurrency
        self.log = open(ROOT / "var" / f"test-worker-{env['CELERY_QUEUE']}.log", "ab")  # noqa: SIM115

    def start(self) -> "Worker":
        command = [sys.executable, "-m", "celery", "-A", "vocsite", "worker", "--loglevel=INFO"]
        command += ["-Q", self.env["CELERY_QUEUE"], f"--concurrency={self.concurrency}", "--without-heartbeat"]
        command += ["--without-gossip", "--without-mingle", "-n", f"{self.env['CELERY_QUEUE']}@%h"]
        self.process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, mid-whatever."""
        os.killpg(self.process.pid, 9)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class PrivateRedis:
    """A Redis server of the test's own, on its own port, that the test can stop and restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: _answers(self.port), timeout=10)
        return self

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
