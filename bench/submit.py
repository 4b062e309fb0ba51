"""Benchmark: completed 10-question submissions through the public endpoint, under gunicorn on PostgreSQL.

Runs the real POST a browser sends once it opened the email link (to the link's page /r/<key>/, with
its link cookie) at 16 and 64 concurrent connections beside a baseline measured in the same run: the
same rows (one response, ten answers) inserted in one transaction per submission straight through
psycopg2 at 16 connections. It sets itself up (its own database, migrations, seed data, a
gunicorn subprocess on a free port of 127.0.0.1) and drops the database at the end.

Usage: .venv/bin/python bench/submit.py [--quick] [--workers N] [--keep-db]
"""

import argparse
import asyncio
import http.client
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg2
import psycopg2.extras
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.survey_data import TEN_ANSWERS, TEN_QUESTIONS  # noqa: E402 - needs the repository on the path

PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST = "127.0.0.1"
DB_NAME = "vocsite_bench"
ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres"
BENCH_DSN = f"host={HOST} port=5432 user=postgres dbname={DB_NAME}"
DATABASE_URL = f"postgres://postgres@{HOST}:5432/{DB_NAME}"
REDIS_URL = f"redis://{HOST}:6379/15"

GOAL_RATIO = 0.15
# As many gunicorn workers as the Procfile's web process starts by default (${WEB_CONCURRENCY:-N}).
PROCFILE_WORKERS = int(re.search(r"WEB_CONCURRENCY:-(\d+)", (ROOT / "Procfile").read_text()).group(1))
GOAL_P99_MS = 100.0
GOAL_STATEMENTS = 5
REQUEST_TIMEOUT_S = 30.0

# The 10-question single-page survey of tests/conftest.py, and one completed page of answers.
# The survey of the tests (tests/survey_data.py): ten questions on one page.
QUESTIONS = TEN_QUESTIONS
ANSWERS = {name: values for name, values in TEN_ANSWERS.items() if name.startswith("q_")}
FORM: list[tuple[str, str]] = [("page", "1"), ("lang", "en")] + [
    (name, value) for name, values in ANSWERS.items() for value in values
]
BODY = urlencode(FORM).encode()


@dataclass(frozen=True)
class Profile:
    """Sizes of one run: submissions per measured run, warm-up per gunicorn start, a time cap per run,
    and how many earlier completed responses the database holds before the first run."""

    submissions: int
    warmup: int
    max_seconds: float
    history: int


PROFILES = {
    "quick": Profile(submissions=300, warmup=20, max_seconds=8, history=2000),
    "full": Profile(6000, 200, 60, history=20000),
}


@dataclass(frozen=True)
class Invite:
    """A personal invitation, with the page and cookie a browser has once it opened the email link."""

    id: int
    token: str
    contact_id: int
    path: str
    cookie: str


@dataclass(frozen=True)
class StoredRow:
    """A row Django stored, as an INSERT to replay: columns, and per column a constant or a marker."""

    table: str
    columns: list[str]
    values: list[Any]  # constants (adapted for psycopg2), NOW, or the name of a per-submission key

    @classmethod
    def of(cls, table: str, row: dict[str, Any], keys: dict[str, str]) -> "StoredRow":
        """Every column but id; timestamps become NOW, columns in `keys` take that per-submission value."""
        columns = [column for column in row if column != "id"]
        values = [keys.get(c) or (NOW if isinstance(row[c], datetime) else adapt(row[c])) for c in columns]
        return cls(table, columns, values)

    def params(self, given: dict[str, Any], now: datetime) -> list[Any]:
        return [now if value is NOW else given[value] if isinstance(value, Key) else value for value in self.values]


class Key(str):
    """Names a per-submission value of a StoredRow."""


NOW = object()


def adapt(value: Any) -> Any:
    return psycopg2.extras.Json(value) if isinstance(value, dict | list) else value


@dataclass
class LoadResult:
    """Outcome of one load run: latencies of successful submissions, errors, wall time, ids attempted."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    attempted: list[int] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the successful latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, -(-len(ordered) * p // 100))
        return ordered[int(rank) - 1] * 1000


@dataclass(frozen=True)
class Stats:
    xact_commit: int
    xact_rollback: int
    tup_inserted: int
    tup_updated: int
    sessions: int

    def __sub__(self, other: "Stats") -> "Stats":
        return Stats(*(getattr(self, f) - getattr(other, f) for f in Stats.__dataclass_fields__))


@dataclass
class Row:
    """One line of the results table."""

    name: str
    conns: int
    load: LoadResult
    submissions: int  # everything sent during the stats window (warm-up included)
    stats: Stats
    setup_commits: float  # commits PostgreSQL counts for establishing one session of this client
    cpu: dict[str, float]  # CPU seconds during the measured load, by process group
    ids: list[int]  # invitations submitted, warm-up included
    warm_ok: int = 0  # successful warm-up submissions among them
    completed: int = 0  # completed responses and their answers in the database, warm-up left out
    answers: int = 0

    def verify(self) -> bool:
        """Look the submissions up in the database: one completed response with ten answers per success."""
        completed, answers = count_saved(self.ids)
        self.completed, self.answers = completed - self.warm_ok, answers - 10 * self.warm_ok
        return self.completed == self.load.ok and self.answers == 10 * self.load.ok

    @property
    def commits(self) -> float:
        """Commits per submission, less those of opening the run's connections (measured, see calibrate)."""
        commits = self.stats.xact_commit - self.stats.sessions * self.setup_commits
        return commits / self.submissions if self.submissions else float("nan")

    @property
    def raw_commits(self) -> float:
        return self.stats.xact_commit / self.submissions if self.submissions else float("nan")

    @property
    def inserted(self) -> float:
        return self.stats.tup_inserted / self.submissions if self.submissions else float("nan")


# --- environment, database, Django -------------------------------------------------------------------------


def bench_env() -> dict[str, str]:
    """The environment of the bench process, migrate and gunicorn: the production shape.

    Tasks go to a Redis queue of the bench's own (database 15) that no worker consumes: the
    request enqueues tagging and routing after commit, as in production, and the queue is
    emptied afterwards.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DB_CONN_HEALTH_CHECKS", "DEBUG"}}
    env.update(
        REDIS_URL=REDIS_URL,
        CELERY_QUEUE="bench-submit",
        DJANGO_SETTINGS_MODULE="vocsite.settings",
        DATABASE_URL=DATABASE_URL,
        SECRET_KEY="bench-secret-key-not-for-production",
        DB_CONN_MAX_AGE="60",
        SITE_URL=f"http://{HOST}:8000",
        ALLOWED_HOSTS=f"{HOST},localhost",
    )
    return env


def admin_connect() -> Any:
    conn = psycopg2.connect(ADMIN_DSN)
    conn.autocommit = True
    return conn


def recreate_database(admin: Any) -> None:
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database(admin: Any) -> None:
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


class Counters:
    """pg_stat_database counters of the bench database, read in windows that follow one another."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.last = read_stats(admin)

    def advance(self) -> Stats:
        """The counters' change since the previous call."""
        now = read_stats(self.admin)
        delta, self.last = now - self.last, now
        return delta


def read_stats(admin: Any) -> Stats:
    """The bench database's counters, once every session that used it has ended and flushed them.

    A backend flushes its counters before it leaves pg_stat_activity, so waiting for that is enough.
    """
    with admin.cursor() as cur:
        for _ in range(100):
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
            if cur.fetchone()[0] == 0:
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"sessions of {DB_NAME} are still open after 10 s")
        time.sleep(0.2)
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, sessions FROM pg_stat_database"
            " WHERE datname = %s",
            [DB_NAME],
        )
        return Stats(*cur.fetchone())


def seed(sizes: dict[str, int]) -> dict[str, list[Invite]]:
    """A live 10-question survey and one contact with a personal invitation per planned submission."""
    from surveys import services
    from surveys.links import Link, LinkKind, link_cookie_value
    from surveys.models import Contact, Invitation

    questions = [{"position": index, **question} for index, question in enumerate(QUESTIONS)]
    survey = services.survey_create(name="Bench", content={"title_en": "Ten questions"}, questions=questions)
    services.survey_publish(survey=survey)
    total = sum(sizes.values())
    contacts = Contact.objects.bulk_create(
        [Contact(email=f"bench{n}@example.com", name=f"Bench {n}", language="en") for n in range(total)],
        batch_size=2000,
    )
    invitations = Invitation.objects.bulk_create(
        [Invitation(survey=survey, contact=contact, kind=Invitation.Kind.PERSONAL) for contact in contacts],
        batch_size=2000,
    )
    links = [Link(LinkKind.INVITATION, inv.token) for inv in invitations]
    invites = [
        Invite(inv.pk, inv.token, inv.contact_id, link.path, link_cookie_value(link))
        for inv, link in zip(invitations, links, strict=True)
    ]
    pools: dict[str, list[Invite]] = {}
    start = 0
    for name, size in sizes.items():
        pools[name] = invites[start : start + size]
        start += size
    return pools


def session_setup_commits(counters: Counters, open_and_close: Callable[[], None]) -> float:
    """Commits counted for opening one session (the startup transaction, Django's SET TIME ZONE)."""
    counters.advance()
    open_and_close()
    delta = counters.advance()
    return delta.xact_commit / delta.sessions if delta.sessions else 0.0


def open_django_connection() -> None:
    from django.db import connection, connections

    connections.close_all()
    connection.ensure_connection()
    connections.close_all()


def open_psycopg2_connection() -> None:
    psycopg2.connect(BENCH_DSN).close()


def classify(queries: list[dict[str, str]]) -> tuple[list[str], int]:
    """Statements (without BEGIN/COMMIT/savepoints) and commits, counting autocommitted statements."""
    statements: list[str] = []
    commits = 0
    in_transaction = False
    for query in queries:
        sql = query["sql"].strip()
        head = sql.split(None, 1)[0].upper() if sql else ""
        if head == "BEGIN":
            in_transaction = True
        elif head == "COMMIT":
            commits += 1
            in_transaction = False
        elif head == "ROLLBACK":
            in_transaction = False
        elif head in {"SAVEPOINT", "RELEASE"} or sql.upper().startswith("ROLLBACK TO SAVEPOINT"):
            continue
        else:
            statements.append(sql)
            commits += 0 if in_transaction else 1
    return statements, commits


def probe_statements(invites: list[Invite]) -> tuple[list[str], int, list[str], int]:
    """Statements and commits of one submission: the service call alone, then a whole request in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from feedback.answering import response_save_page

    data: dict[str, list[str]] = {}
    for name, value in FORM:
        data.setdefault(name, []).append(value)
    with CaptureQueriesContext(connection) as service:
        saved = response_save_page(token=invites[0].token, page=1, data=data, language="en")
    if not saved.completed:
        raise SystemExit("probe: response_save_page did not complete the response")
    from surveys.links import COOKIE_NAME

    client = Client(HTTP_HOST=HOST)
    client.cookies[COOKIE_NAME] = invites[1].cookie
    with CaptureQueriesContext(connection) as request:
        response = client.post(invites[1].path, BODY, content_type="application/x-www-form-urlencoded")
    if response.status_code != 302 or "/thanks/" not in response["Location"]:
        raise SystemExit(f"probe: POST answered {response.status_code} {response.get('Location', '')}")
    return (*classify(service.captured_queries), *classify(request.captured_queries))


def count_saved(ids: list[int]) -> tuple[int, int]:
    """Completed responses and their answers among the given invitations."""
    with psycopg2.connect(BENCH_DSN) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM feedback_surveyresponse WHERE invitation_id = ANY(%s) AND status = 'completed'",
            [ids],
        )
        completed = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM feedback_answer a JOIN feedback_surveyresponse r ON r.id = a.response_id "
            "WHERE r.invitation_id = ANY(%s)",
            [ids],
        )
        answers = cur.fetchone()[0]
    conn.close()
    return completed, answers


# --- gunicorn and the HTTP load ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving vocsite on a free port of 127.0.0.1, as a subprocess."""

    def __init__(self, workers: int, log: Path, threads: int = 1) -> None:
        self.port = free_port()
        self.log = log
        command = [str(GUNICORN), "vocsite.wsgi", "-b", f"{HOST}:{self.port}", "--workers", str(workers)]
        worker_class = (
            ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else ["--worker-class", "sync"]
        )
        command += [*worker_class, "--log-level", "warning", "--graceful-timeout", "10"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=bench_env(), stdout=out, stderr=out)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until GET / answers (a redirect that touches no database)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM to the master), then a kill if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def process_cpu() -> dict[tuple[int, int], tuple[str, int, float]]:
    """(pid, start time) -> (command name, parent pid, CPU seconds) of every process, from /proc (Linux).

    Backends of other databases are named "postgres (other db)". A process that exits during the run is
    not counted. Key (0, 0) holds the machine's busy time from /proc/stat, (-1, 0) its steal time.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = [int(value) / ticks for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    table: dict[tuple[int, int], tuple[str, int, float]] = {
        (0, 0): ("machine", 0, cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]),
        (-1, 0): ("steal", 0, cpu[7] if len(cpu) > 7 else 0.0),
    }
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        if name == "postgres":
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                title = ""
            words = title.split(": ", 2)[-1].split()  # a backend: "<user> <database> <host(port)> <state>"
            if len(words) >= 3 and ("(" in words[2] or words[2] == "[local]") and words[1] != DB_NAME:
                name = "postgres (other db)"
        key = (int(entry.name), int(fields[19]))
        table[key] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return table


def cpu_split(
    before: dict[tuple[int, int], tuple[str, int, float]],
    after: dict[tuple[int, int], tuple[str, int, float]],
    server: int,
) -> dict[str, float]:
    """CPU seconds used between two snapshots by the gunicorn tree, PostgreSQL, this process and the rest.

    The rest is also broken down by command name ("other:<name>"), to show a machine that is not quiet;
    "machine" is all busy time and "steal" the time the hypervisor gave to other guests.
    """
    split = {"gunicorn": 0.0, "postgres": 0.0, "client": 0.0, "other": 0.0}
    for key, (name, ppid, seconds) in after.items():
        pid = key[0]
        used = seconds - (before[key][2] if key in before else 0.0)
        if pid <= 0:
            split[name] = used
        elif pid == server or ppid == server:
            split["gunicorn"] += used
        elif name == "postgres":
            split["postgres"] += used
        elif pid == os.getpid():
            split["client"] += used
        else:
            split["other"] += used
            split[f"other:{name}"] = split.get(f"other:{name}", 0.0) + used
    return split


def build_requests(invites: list[Invite], port: int) -> deque[tuple[Invite, bytes]]:
    """Pre-encoded POSTs, one per fresh invitation, each to its link's page with its link cookie."""
    head = (
        "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Cookie: vocsite_link={cookie}\r\nContent-Length: {length}\r\n\r\n"
    )
    return deque(
        (inv, head.format(path=inv.path, cookie=inv.cookie, host=HOST, port=port, length=len(BODY)).encode() + BODY)
        for inv in invites
    )


async def read_response(reader: asyncio.StreamReader) -> tuple[int, str, bool]:
    """Status, Location and whether the connection stays open, reading the whole response."""
    status_line = await reader.readuntil(b"\r\n")
    version, status, *_ = status_line.split(None, 2)
    length: int | None = None
    location = ""
    close = version != b"HTTP/1.1"
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "location":
            location = value.strip()
        elif name == "connection":
            close = value.strip().lower() == "close"
    if length is not None:
        await reader.readexactly(length)
    elif close:
        await reader.read()
    return int(status), location, not close


async def http_load(requests: deque[tuple[Invite, bytes]], port: int, conns: int, max_seconds: float) -> LoadResult:
    """`conns` keep-alive clients (reconnecting when the server closes), sharing the queue of requests."""
    result = LoadResult()
    deadline = time.perf_counter() + max_seconds

    async def client() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while requests and time.perf_counter() < deadline:
            invite, request = requests.popleft()
            result.attempted.append(invite.id)
            start = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    if writer is None:
                        reader, writer = await asyncio.open_connection(HOST, port)
                    writer.write(request)
                    status, location, keep = await read_response(reader)  # type: ignore[arg-type]
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
                result.errors.append(f"{type(e).__name__}: {e}")
                if writer is not None:
                    writer.close()
                writer = None
                continue
            latency = time.perf_counter() - start
            if status == 302 and location.endswith(f"{invite.path}thanks/?lang=en"):
                result.latencies.append(latency)
            else:
                result.errors.append(f"HTTP {status} Location={location!r}")
            if not keep:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(conns)))
    result.seconds = time.perf_counter() - started
    return result


def django_run(
    counters: Counters,
    setup_commits: float,
    name: str,
    conns: int,
    warm: list[Invite],
    measured: list[Invite],
    workers: int,
    profile: Profile,
    log: Path,
    threads: int = 1,
) -> Row:
    """Start gunicorn, warm it up, run the measured load, stop it; server-side stats cover the whole window."""
    counters.advance()
    server = Gunicorn(workers, log, threads)
    try:
        warmup = asyncio.run(http_load(build_requests(warm, server.port), server.port, conns, profile.max_seconds))
        requests = build_requests(measured, server.port)
        cpu_before = process_cpu()
        load = asyncio.run(http_load(requests, server.port, conns, profile.max_seconds))
        cpu = cpu_split(cpu_before, process_cpu(), server.process.pid)
    finally:
        server.stop()
    stats = counters.advance()
    load.errors = warmup.errors + load.errors
    ids = warmup.attempted + load.attempted
    return Row(name, conns, load, len(ids), stats, setup_commits, cpu, ids, warmup.ok)


# --- the psycopg2 baseline -----------------------------------------------------------------------------------


def stored_submission(invitation_id: int) -> tuple[StoredRow, list[StoredRow]]:
    """The response and answer rows Django stored for one submission (the probe's), to replay."""
    with psycopg2.connect(BENCH_DSN) as conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT * FROM feedback_surveyresponse WHERE invitation_id = %s", [invitation_id])
        response = cur.fetchone()
        cur.execute("SELECT * FROM feedback_answer WHERE response_id = %s ORDER BY id", [response["id"]])
        answers = cur.fetchall()
    conn.close()
    keys = {"invitation_id": Key("invitation"), "contact_id": Key("contact")}
    response_row = StoredRow.of("feedback_surveyresponse", response, keys)
    return response_row, [StoredRow.of("feedback_answer", a, {"response_id": Key("response")}) for a in answers]


def seed_history(stored: tuple[StoredRow, list[StoredRow]], invites: list[Invite]) -> None:
    """Completed responses with their answers for `invites`: the rows of the probe submission, replayed.

    A deployment's response table is not empty. On an empty one, the first sessions' cached plans
    for the foreign-key checks of each answer are sequential scans of the response table, and on a
    server without autovacuum (this machine's) no ANALYZE ever replaces them: each submission then
    reads the whole table, so the first run slows down as it fills it.
    """
    response_row, answer_rows = stored
    now = datetime.now(UTC)
    with psycopg2.connect(BENCH_DSN) as conn, conn.cursor() as cur:
        response_ids = psycopg2.extras.execute_values(
            cur,
            f"INSERT INTO {response_row.table} ({', '.join(response_row.columns)}) VALUES %s RETURNING id",
            [response_row.params({"invitation": inv.id, "contact": inv.contact_id}, now) for inv in invites],
            page_size=1000,
            fetch=True,
        )
        psycopg2.extras.execute_values(
            cur,
            f"INSERT INTO feedback_answer ({', '.join(answer_rows[0].columns)}) VALUES %s",
            [row.params({"response": response_id}, now) for (response_id,) in response_ids for row in answer_rows],
            page_size=5000,
        )
        cur.execute(
            "UPDATE surveys_invitation SET responded_at = %s WHERE id = ANY(%s)", [now, [i.id for i in invites]]
        )
    conn.close()


def baseline_run(
    counters: Counters,
    setup_commits: float,
    stored: tuple[StoredRow, list[StoredRow]],
    invites: list[Invite],
    conns: int,
    max_seconds: float,
) -> Row:
    """One transaction per submission: INSERT the response RETURNING id, one multi-row INSERT of answers, COMMIT.

    The rows are those Django stored for the probe submission, all columns, with fresh ids and times.
    """
    response_row, answer_rows = stored
    response_sql = (
        f"INSERT INTO {response_row.table} ({', '.join(response_row.columns)}) "
        f"VALUES ({', '.join(['%s'] * len(response_row.columns))}) RETURNING id"
    )
    one_answer = f"({', '.join(['%s'] * len(answer_rows[0].columns))})"
    answers_sql = (
        f"INSERT INTO feedback_answer ({', '.join(answer_rows[0].columns)}) "
        f"VALUES {', '.join([one_answer] * len(answer_rows))}"
    )
    counters.advance()
    result = LoadResult()
    work = deque(invites)
    connections = [psycopg2.connect(BENCH_DSN) for _ in range(conns)]
    barrier = threading.Barrier(conns + 1)
    deadline = 0.0

    def worker(conn: Any) -> None:
        cur = conn.cursor()
        barrier.wait()
        while time.perf_counter() < deadline:
            try:
                invite = work.popleft()
            except IndexError:
                break
            result.attempted.append(invite.id)
            start = time.perf_counter()
            now = datetime.now(UTC)
            try:
                cur.execute(
                    response_sql, response_row.params({"invitation": invite.id, "contact": invite.contact_id}, now)
                )
                given = {"response": cur.fetchone()[0]}
                cur.execute(answers_sql, [param for row in answer_rows for param in row.params(given, now)])
                conn.commit()
            except psycopg2.Error as error:
                conn.rollback()
                result.errors.append(f"{type(error).__name__}: {error}".strip())
                continue
            result.latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    cpu_before = process_cpu()
    deadline = time.perf_counter() + max_seconds
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    cpu = cpu_split(cpu_before, process_cpu(), -1)
    for conn in connections:
        conn.close()
    stats = counters.advance()
    return Row("baseline", conns, result, len(result.attempted), stats, setup_commits, cpu, result.attempted)


# --- main ----------------------------------------------------------------------------------------------------


def code_version() -> str:
    """The commit measured, and whether the working tree had changes outside bench/."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    dirty = any(line[3:] and not line[3:].startswith("bench/") for line in status.stdout.splitlines())
    return commit.stdout.strip() + (" with uncommitted changes" if dirty else "")


def main() -> int:
    """Set up, probe, load, report; the last line printed is the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (well under a minute)")
    parser.add_argument(
        "--workers",
        type=int,
        default=PROCFILE_WORKERS,
        help=f"gunicorn workers (default {PROCFILE_WORKERS}, the Procfile's)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; more than 1 uses gthread")
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {DB_NAME} database afterwards")
    args = parser.parse_args()
    profile = PROFILES["quick" if args.quick else "full"]
    began = time.perf_counter()
    load_at_start = " ".join(f"{value:.2f}" for value in os.getloadavg())
    version = code_version()

    env = bench_env()
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    admin = admin_connect()
    recreate_database(admin)
    subprocess.run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=bench_env(), check=True)

    import django

    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)  # tasks run in-process; keep their chatter out
    logging.getLogger("kombu").setLevel(logging.ERROR)
    from django.db import connections

    n, w = profile.submissions, profile.warmup
    pools = seed(
        {"probe": 2, "history": profile.history, "warm16": w, "run16": n, "warm64": w, "run64": n, "baseline": n}
    )
    service_sql, service_commits, request_sql, request_commits = probe_statements(pools["probe"])
    stored = stored_submission(pools["probe"][0].id)
    seed_history(stored, pools["history"])
    connections.close_all()
    vacuum = psycopg2.connect(BENCH_DSN)
    vacuum.autocommit = True
    with vacuum.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        # Write out the set-up's dirty pages now, so the first measured run does not pay for them.
        cur.execute("CHECKPOINT")
    vacuum.close()
    set_up = time.perf_counter() - began
    counters = Counters(admin)
    django_setup = session_setup_commits(counters, open_django_connection)
    psycopg2_setup = session_setup_commits(counters, open_psycopg2_connection)

    log = Path(tempfile.gettempdir()) / "vocsite-bench-gunicorn.log"
    log.write_text("")
    rows = [
        django_run(
            counters,
            django_setup,
            "django",
            conns,
            pools[f"warm{conns}"],
            pools[f"run{conns}"],
            args.workers,
            profile,
            log,
            args.threads,
        )
        for conns in (16, 64)
    ]
    baseline_invites = pools["baseline"][: max(rows[0].load.ok, 1)]
    rows.append(baseline_run(counters, psycopg2_setup, stored, baseline_invites, 16, profile.max_seconds))
    mismatches = [row for row in rows if not row.verify()]
    if not args.keep_db:
        drop_database(admin)
    admin.close()
    redis.Redis.from_url(REDIS_URL).flushdb()  # the tasks no worker was there to take

    d16, d64, base = rows
    statements = max(len(service_sql), len(request_sql))
    ratio = d16.load.rps / base.load.rps if base.load.rps else 0.0
    errors = sum(len(row.load.errors) for row in rows)
    commits_ok = all(f"{row.commits:.2f}" == "1.00" for row in (d16, d64)) and request_commits == 1

    print(
        f"vocsite submit benchmark ({'quick' if args.quick else 'full'}): {n} submissions per run, warm-up {w},"
        f" {profile.history} earlier completed responses in the database,"
    )
    print(
        f"gunicorn sync workers={args.workers}, PostgreSQL on {HOST}, {os.cpu_count()} cores,"
        f" load average at start {load_at_start}; code {version}"
    )
    print(f"\nstatements per submission, in-process: response_save_page {len(service_sql)} ({service_commits} commit),")
    print(f"whole request through the test client {len(request_sql)} ({request_commits} commit):")
    for sql in request_sql:
        print(f"  {' '.join(sql.split())[:110]}")
    header = f"\n{'run':<10}{'conns':>6}{'subs':>7}{'errors':>7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'commits/sub':>12}{'(raw)':>7}{'sessions':>9}{'ins/sub':>8}{'saved':>7}")
    for row in rows:
        load = row.load
        print(
            f"{row.name:<10}{row.conns:>6}{load.ok:>7}{len(load.errors):>7}{load.rps:>9.1f}"
            f"{load.percentile_ms(50):>9.1f}{load.percentile_ms(99):>9.1f}{row.commits:>12.3f}{row.raw_commits:>7.3f}"
            f"{row.stats.sessions:>9}{row.inserted:>8.2f}{row.completed:>7}"
        )
    print(
        "commits/sub, ins/sub: pg_stat_database deltas per submission over each run (warm-up included);"
        f" commits/sub leaves out\nthe commits of opening sessions, measured at {django_setup:g} per Django"
        f" connection and {psycopg2_setup:g} per psycopg2 one; (raw) keeps them."
    )
    cores = os.cpu_count() or 1
    print(f"\nCPU ms per submission during each measured load, and how busy the {cores} cores were:")
    for row in rows:
        per_sub = {group: seconds * 1000 / max(row.load.ok, 1) for group, seconds in row.cpu.items()}
        groups = "  ".join(f"{group} {per_sub[group]:.2f}" for group in ("gunicorn", "postgres", "client", "other"))
        others = sorted(((ms, group[6:]) for group, ms in per_sub.items() if ":" in group), reverse=True)[:2]
        other_top = ", ".join(f"{name} {ms:.2f}" for ms, name in others if ms >= 0.05)
        capacity = cores * row.load.seconds
        busy = f"busy {row.cpu['machine'] / capacity:.0%}, steal {row.cpu['steal'] / capacity:.0%}"
        print(f"  {row.name} @{row.conns}: {groups}" + (f" ({other_top})" if other_top else "") + f"; {busy}")
        if row.cpu["other"] > 0.1 * capacity:
            print(f"  WARNING: other processes used {row.cpu['other'] / capacity:.0%} of the CPU; figures are noisy")
    print(f"\nratio django@16 / baseline@16 = {ratio:.3f} (goal >= {GOAL_RATIO})")
    for row in rows:
        for error in sorted(set(row.load.errors))[:5]:
            print(f"error ({row.name} @{row.conns}): {error}")
    if errors:
        print(f"gunicorn's log: {log}")
    for row in mismatches:
        print(f"MISMATCH ({row.name} @{row.conns}): {row.load.ok} ok, {row.completed} completed, {row.answers} answers")
    print(f"took {time.perf_counter() - began:.0f} s (set-up: database, migrate, seed, probe {set_up:.0f} s)")

    passed = (
        ratio >= GOAL_RATIO
        and d16.load.percentile_ms(99) < GOAL_P99_MS
        and statements <= GOAL_STATEMENTS
        and commits_ok
        and errors == 0
        and not mismatches
    )
    print(
        f"RESULT submit_rps_16={d16.load.rps:.1f} submit_rps_64={d64.load.rps:.1f} baseline_rps_16={base.load.rps:.1f}"
        f" p99_ms_16={d16.load.percentile_ms(99):.1f} p99_ms_64={d64.load.percentile_ms(99):.1f}"
        f" statements={statements} commits={d16.commits:.2f} errors={errors + len(mismatches)}"
        f" ratio={ratio:.3f} goal={GOAL_RATIO} pass={'yes' if passed else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
