"""Real services for tests: an SMTP server (aiosmtpd), Celery workers and beats, gunicorn, and a
private Redis and PostgreSQL that a test may stop.

Nothing here is a mock: the worker is `celery worker` in its own process on the test
database, and the SMTP server speaks SMTP on a real socket.
"""

import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import IO, Any

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
    last_accepted: float = 0.0  # time.monotonic() of the last message taken
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_delay:
            # A slow mail server, slow for each session: one that blocked them all would also hold
            # back its "250 accepted" replies, and a kill in the pause could land after a message
            # was taken but before its sender heard so (the one window no sender can close).
            await asyncio.sleep(self.rcpt_delay)
        reply = self.rcpt_replies.popleft() if self.rcpt_replies else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.last_accepted = time.monotonic()
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(message["To"]) for message in self.messages]

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(message["Subject"]) for message in self.messages]

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


class _Process:
    """A process of the test in a process group of its own, so that stopping it stops its children."""

    env: dict[str, str]
    log: IO[bytes]
    process: "subprocess.Popen[bytes]"

    def _spawn(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self) -> None:
        """SIGKILL the process and its children at once, mid-whatever, as an OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Worker(_Process):
    """`celery worker` with its pool processes."""

    def __init__(self, env: dict[str, str], *, concurrency: int = 1, name: str = "", include: str = "") -> None:
        self.env = env
        self.concurrency = concurrency
        self.name = f"{name or env['CELERY_QUEUE']}@{socket.gethostname()}"
        self.include = include
        self.log = open(ROOT / "var" / f"test-worker-{name or env['CELERY_QUEUE']}.log", "ab")  # noqa: SIM115

    def start(self) -> "Worker":
        command = [sys.executable, "-m", "celery", "-A", "vocsite", "worker", "--loglevel=INFO"]
        command += ["-Q", self.env["CELERY_QUEUE"], f"--concurrency={self.concurrency}", "--without-heartbeat"]
        command += ["--without-gossip", "--without-mingle", "-n", self.name]
        command += [f"--include={self.include}"] if self.include else []
        self._spawn(command)
        return self


def kill_between_messages(worker: Worker, sink: SmtpSink) -> None:
    """SIGKILL the worker while it waits on the server for a recipient, well after the last message.

    The server takes a message a moment before the worker hears "250" and records it sent: that
    window no sender can close (the server accepted, the client died before knowing). With the
    server pausing sink.rcpt_delay before each recipient, the kill lands in the pause instead.
    """
    pause = sink.rcpt_delay
    assert pause > 0, "give the server a pause before each recipient (rcpt_delay)"
    quiet = wait_until(lambda: pause / 3 <= time.monotonic() - sink.last_accepted <= pause * 0.8, interval=0.005)
    assert quiet, "the server never paused between messages"
    worker.kill()


class Beat(_Process):
    """`celery beat` with a schedule file of its own, so two of them can run side by side."""

    def __init__(self, env: dict[str, str], *, name: str) -> None:
        self.env = env
        self.directory = Path(tempfile.mkdtemp(prefix=f"vocsite-beat-{name}-"))
        self.log = open(ROOT / "var" / f"test-beat-{name}.log", "ab")  # noqa: SIM115

    def start(self) -> "Beat":
        command = [sys.executable, "-m", "celery", "-A", "vocsite", "beat", "--loglevel=INFO"]
        self._spawn([*command, "--schedule", str(self.directory / "schedule")])
        return self

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class Gunicorn(_Process):
    """gunicorn serving vocsite on a free port of 127.0.0.1, ready when start() returns."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, name: str = "web") -> None:
        self.env = {**env, "ALLOWED_HOSTS": "127.0.0.1"}
        self.workers = workers
        self.port = free_port()
        self.log = open(ROOT / "var" / f"test-gunicorn-{name}.log", "ab")  # noqa: SIM115

    def start(self) -> "Gunicorn":
        command = [sys.executable, "-m", "gunicorn", "vocsite.wsgi", "-b", f"127.0.0.1:{self.port}"]
        self._spawn([*command, "--workers", str(self.workers), "--graceful-timeout", "5", "--backlog", "2048"])
        assert wait_until(self._answers, timeout=30), "gunicorn did not start; see var/test-gunicorn-*.log"
        return self

    def _answers(self) -> bool:
        assert self.process.poll() is None, "gunicorn exited; see var/test-gunicorn-*.log"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return True
        except OSError:
            return False


class HttpApi:
    """A tiny JSON client for a gunicorn process, over a real socket."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def is_up(self) -> bool:
        try:
            return self.post("/api/v1/", None, method="GET").status == 200
        except OSError:
            return False

    def post(self, path: str, body: dict[str, Any] | None, *, method: str = "POST") -> http.client.HTTPResponse:
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        client.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        answer = client.getresponse()
        answer.read()
        client.close()
        return answer


class PrivateRedis:
    """A Redis server of the test's own, on its own port, that the test can stop, freeze and restart.

    With appendonly, it keeps its data across a restart as production's Redis must (README).
    """

    def __init__(self, *, appendonly: bool = False) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.appendonly = appendonly
        self.directory = Path(tempfile.mkdtemp(prefix="vocsite-redis-"))

    def start(self) -> "PrivateRedis":
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--dir", str(self.directory), "--appendonly", "yes" if self.appendonly else "no"]
        command += ["--maxmemory-policy", "noeviction"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_until(lambda: _answers(self.port), timeout=10)
        return self

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections, but nothing is ever answered (a hung server)."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def remove(self) -> None:
        if self.process.poll() is None:
            self.thaw()
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary directory, that the test can restart.

    Never the shared server: restarting that would break every other user of it.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="vocsite-postgres-"))
        self.data = self.directory / "data"
        self.bin = _postgres_bin()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PrivatePostgres":
        if not self.data.exists():
            self._chown()
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self._pg_ctl("start")
        return self

    def restart(self) -> None:
        """A fast restart: every open connection is cut, as in a failover or an upgrade."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _pg_ctl(self, action: str, *options: str) -> None:
        server_options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "server.log")
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-l", log, "-o", server_options, *options)

    def _run(self, program: str, *arguments: str) -> None:
        # initdb refuses to run as root: run the server as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, str(self.bin / program), *arguments], check=True, capture_output=True)

    def _chown(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres")


def _postgres_bin() -> Path:
    """The directory of initdb and pg_ctl: on PATH, or Debian's versioned one."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert candidates, "initdb was not found; install PostgreSQL's server package"
    return candidates[-1].parent


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
