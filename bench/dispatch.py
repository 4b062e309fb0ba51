"""Benchmark: a bulk distribution sent through the real path, beside a plain send_messages baseline.

The real path: the periodic tick materialises one invitation per contact of a segment (half English,
half Chinese) and enqueues the emails in batches; a `celery -A vocsite worker --concurrency=4` (the
Procfile's worker) claims each batch, renders both parts in the contact's language, sends over SMTP to
an aiosmtpd sink and records every status. Timed from the tick until every email is recorded sent in
the database and received by the sink. The baseline, measured in the same run against the same sink,
before and after the sends (the faster counts): as many prebuilt `EmailMultiAlternatives` of the same
size, sent with one `send_messages` call over one connection. A smaller run beside the main one
compares the worker's peak memory (VmHWM of its pool processes). CPU per message is printed for each
process, with the cores other programs kept busy meanwhile: the figures are only meaningful when
that is near zero.

It sets itself up (its own database, migrations, contacts, the sink and a worker on their own ports
and queue, all on 127.0.0.1), stops everything it started, and drops the database at the end.

Usage: .venv/bin/python bench/dispatch.py [--quick] [--batch-size N] [--concurrency N] [--keep-db]
"""

import argparse
import logging
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
CELERY = ROOT / ".venv" / "bin" / "celery"
HOST = "127.0.0.1"
DB_NAME = "vocsite_bench_dispatch"
ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres"
QUEUE = "bench-dispatch"
REDIS_URL = f"redis://{HOST}:6379/0"

GOAL_RATIO = 0.70
FLAT_MEMORY_TOLERANCE = 0.20
BACKGROUND_WARNING_CORES = 0.3
RUN_TIMEOUT_S = 900.0
SUCCEEDED = re.compile(rb"Task surveys\.tasks\.send_invitation_batch\[[^\]]+\] succeeded")


@dataclass
class Run:
    """One distribution sent through the worker."""

    contacts: int
    seconds: float
    tick_seconds: float
    batches: int
    expected_batches: int
    peak_mb: float
    sink_bytes: int
    cpu: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.contacts / self.seconds


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def bench_env(*, smtp_port: int, batch_size: int | None) -> dict[str, str]:
    """The environment of the bench process and of its worker: the bench database, Redis, the sink."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SEND_", "CELERY_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="vocsite.settings",
        DATABASE_URL=f"postgres://postgres@{HOST}:5432/{DB_NAME}",
        REDIS_URL=REDIS_URL,
        EMAIL_URL=f"smtp://{HOST}:{smtp_port}",
        CELERY_QUEUE=QUEUE,
        SECRET_KEY=env.get("SECRET_KEY") or "bench-dispatch-secret-key",
        SITE_URL="https://vocsite.example",
        DEBUG="0",
    )
    if batch_size:
        env["SEND_BATCH_SIZE"] = str(batch_size)
    return env


def database_recreate() -> None:
    """Drop and create the bench database (on 127.0.0.1 only)."""
    admin = psycopg2.connect(ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    admin.close()


def database_drop() -> None:
    admin = psycopg2.connect(ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
    admin.close()


class Sink:
    """bench/_dispatch_sink.py in its own process: counts what it receives, on a control port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.control_port = free_port()

    def start(self) -> "Sink":
        script = ROOT / "bench" / "_dispatch_sink.py"
        command = [str(PYTHON), str(script), str(self.port), str(self.control_port)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "READY":
            raise RuntimeError("The SMTP sink did not start.")
        return self

    def counts(self) -> tuple[int, int]:
        """Messages and bytes received so far."""
        with socket.create_connection((HOST, self.control_port), timeout=5) as control:
            line = control.makefile("r").readline().split()
        return int(line[0]), int(line[1])

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Worker:
    """The Procfile's `celery -A vocsite worker --loglevel=info --concurrency=4`, on the bench queue."""

    def __init__(self, env: dict[str, str], *, concurrency: int, log: Path) -> None:
        self.env = env
        self.concurrency = concurrency
        self.log = log

    def start(self) -> "Worker":
        command = [str(CELERY), "-A", "vocsite", "worker", "--loglevel=info", f"--concurrency={self.concurrency}"]
        command += ["-n", f"{QUEUE}@%h"]  # a node name of its own beside other workers on this Redis
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while b" ready." not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The worker did not start; see {self.log}")
            time.sleep(0.1)
        return self

    def succeeded_batches(self) -> int:
        """Batch tasks the worker logged as succeeded: one per broker message it consumed."""
        return len(SUCCEEDED.findall(self.log.read_bytes()))

    def pool_cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in _children(self.process.pid))

    def pool_peak_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the worker's pool processes."""
        peaks = [_vm_hwm_kb(pid) for pid in _children(self.process.pid)]
        return max(peaks, default=0) / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all processes, all cores), from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def database_backends_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL backends serving the bench database."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"postgres: ") and f" {DB_NAME} ".encode() in command:
                total += cpu_seconds(int(entry.name))
    return total


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def _vm_hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def redis_queue_clear() -> None:
    """Forget messages a killed earlier bench run may have left on the bench queue."""
    import redis

    redis.Redis.from_url(REDIS_URL).delete(QUEUE)


def survey_prepare() -> Any:
    """A live NPS survey, in English and Chinese, created once for every run."""
    from surveys.services import survey_create_from_template, survey_publish

    survey = survey_create_from_template(template="nps")
    return survey_publish(survey=survey)


def audience_reset(count: int) -> None:
    """Remove the previous run's distribution, then bulk-create `count` contacts, half English, half Chinese."""
    from django.db import connection

    from surveys.models import Contact, Distribution, Invitation, InvitationEmail, Segment

    tables = [model._meta.db_table for model in (InvitationEmail, Invitation, Distribution, Segment, Contact)]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(table) for table in tables) + " CASCADE")
    contacts = [
        Contact(
            email=f"contact{number}@bench.example",
            name=f"客户 {number}" if number % 2 else f"Customer {number}",
            language="zh-hans" if number % 2 else "en",
            attributes={"bench": "yes"},
        )
        for number in range(count)
    ]
    Contact.objects.bulk_create(contacts, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def distribution_start(survey: Any) -> None:
    """A distribution to the segment of every bench contact, scheduled for now."""
    from surveys import distributions
    from surveys.models import Distribution, Segment

    segment = Segment.objects.create(name="Bench", rules=[{"field": "attributes.bench", "op": "eq", "value": "yes"}])
    distribution = Distribution.objects.create(name="Bench dispatch", survey=survey, segment=segment)
    distributions.distribution_schedule(distribution=distribution)


def sent_counts() -> tuple[int, int]:
    """Emails and invitations recorded sent."""
    from surveys.models import Invitation, InvitationEmail

    return (
        InvitationEmail.objects.filter(status=InvitationEmail.Status.SENT).count(),
        Invitation.objects.filter(status=Invitation.Status.SENT).count(),
    )


def dispatch_run(*, count: int, survey: Any, sink: Sink, env: dict[str, str], concurrency: int) -> Run:
    """Send `count` invitations through a fresh worker; timed from the tick until all are recorded and received."""
    from django.conf import settings
    from django.utils import timezone

    from surveys.periodic import periodic_tick

    audience_reset(count)
    distribution_start(survey)
    redis_queue_clear()
    worker = Worker(env, concurrency=concurrency, log=ROOT / "var" / f"bench-dispatch-worker-{count}.log").start()
    try:
        received_before, bytes_before = sink.counts()
        cpu_before = {
            "pool": worker.pool_cpu_seconds(),
            "worker": cpu_seconds(worker.process.pid),
            "sink": sink.cpu_seconds(),
            "bench": time.process_time(),
            "postgres": database_backends_cpu_seconds(),
        }
        machine_before = machine_busy_seconds()
        started = time.perf_counter()
        figures = periodic_tick(now=timezone.now())
        tick_seconds = time.perf_counter() - started
        if figures["enqueued"] != count:
            raise RuntimeError(f"The tick enqueued {figures['enqueued']} emails, not {count}: {figures}")
        deadline = started + RUN_TIMEOUT_S
        while True:
            received = sink.counts()[0] - received_before
            if received >= count and sent_counts() == (count, count):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"Timed out: {received} received, {sent_counts()} recorded sent of {count}")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        cpu = {
            "pool": worker.pool_cpu_seconds() - cpu_before["pool"],
            "sink": sink.cpu_seconds() - cpu_before["sink"],
            "worker": cpu_seconds(worker.process.pid) - cpu_before["worker"],
            "bench": time.process_time() - cpu_before["bench"],
            "postgres": database_backends_cpu_seconds() - cpu_before["postgres"],
            "machine": machine_busy_seconds() - machine_before,
        }
        expected = math.ceil(count / settings.SEND_BATCH_SIZE)
        settle = time.monotonic() + 10  # the task's "succeeded" line follows its last database write
        while worker.succeeded_batches() < expected and time.monotonic() < settle:
            time.sleep(0.1)
        time.sleep(0.5)
        return Run(
            contacts=count,
            seconds=seconds,
            tick_seconds=tick_seconds,
            batches=worker.succeeded_batches(),
            expected_batches=expected,
            peak_mb=worker.pool_peak_mb(),
            sink_bytes=sink.counts()[1] - bytes_before,
            cpu=cpu,
        )
    finally:
        worker.stop()


def baseline_messages(count: int, survey: Any) -> list[Any]:
    """Prebuilt messages of the same size as the real ones: a real English and Chinese invitation, copied."""
    from django.core.mail import EmailMultiAlternatives

    from surveys.emails import invitation_email_build
    from surveys.models import Contact, Invitation

    samples = []
    for language, name in (("en", "Customer 10000"), ("zh-hans", "客户 10001")):
        contact = Contact(email="contact10000@bench.example", name=name, language=language)
        invitation = Invitation(pk=10000, survey=survey, contact=contact)
        message = invitation_email_build(invitation=invitation)
        message.extra_headers["Message-ID"] = "<inv-10000-0@vocsite.example>"
        samples.append(message)
    messages = []
    for number in range(count):
        sample = samples[number % 2]
        message = EmailMultiAlternatives(
            subject=sample.subject,
            body=sample.body,
            from_email=sample.from_email,
            to=[f"contact{number:05d}@bench.example"],
            headers=dict(sample.extra_headers),
        )
        message.attach_alternative(sample.alternatives[0].content, "text/html")
        messages.append(message)
    return messages


@dataclass
class Baseline:
    """One send_messages call over one connection."""

    contacts: int
    seconds: float
    sink_bytes: int
    cpu: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.contacts / self.seconds


def baseline_run(*, count: int, survey: Any, sink: Sink) -> Baseline:
    """Prebuilt messages sent with one send_messages call over one connection, timed around that call."""
    from django.core.mail import get_connection

    messages = baseline_messages(count, survey)
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend", host=HOST, port=sink.port)
    received_before, bytes_before = sink.counts()
    cpu_before = {"sink": sink.cpu_seconds(), "bench": time.process_time(), "machine": machine_busy_seconds()}
    started = time.perf_counter()
    sent = backend.send_messages(messages)
    seconds = time.perf_counter() - started
    cpu = {
        "sink": sink.cpu_seconds() - cpu_before["sink"],
        "bench": time.process_time() - cpu_before["bench"],
        "machine": machine_busy_seconds() - cpu_before["machine"],
    }
    received, received_bytes = sink.counts()
    if sent != count or received - received_before != count:
        raise RuntimeError(f"Baseline: {sent} sent, {received - received_before} received of {count}")
    return Baseline(contacts=count, seconds=seconds, sink_bytes=received_bytes - bytes_before, cpu=cpu)


def _background_cores(run: Run | Baseline) -> float:
    ours = sum(seconds for name, seconds in run.cpu.items() if name != "machine")
    return max(run.cpu["machine"] - ours, 0.0) / run.seconds


def describe(label: str, run: Run | Baseline) -> str:
    """One line of figures; CPU per message by process, and how many cores other programs kept busy meanwhile."""
    background = _background_cores(run)
    cpu = " ".join(f"{name} {seconds / run.contacts * 1000:.2f}" for name, seconds in run.cpu.items())
    line = (
        f"{label:<9} {run.contacts:>6} msgs {run.per_second:7.1f} msgs/s {run.seconds:6.1f} s "
        f"{run.sink_bytes / run.contacts:5.0f} B/msg"
    )
    if isinstance(run, Run):
        line += (
            f" (tick {run.tick_seconds:.1f} s) batches {run.batches}/{run.expected_batches}"
            f" pool peak {run.peak_mb:.1f} MB"
        )
    return f"{line}\n          cpu ms/msg: {cpu}; other programs kept {background:.2f} cores busy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 contacts (500 for the memory comparison)")
    parser.add_argument("--batch-size", type=int, default=None, help="SEND_BATCH_SIZE (default: the setting's)")
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes, as the Procfile's default")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    count, small = (2_000, 500) if args.quick else (20_000, 2_000)

    sink = Sink().start()
    env = bench_env(smtp_port=sink.port, batch_size=args.batch_size)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    try:
        database_recreate()
        subprocess.run(
            [str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        import django

        django.setup()
        logging.getLogger("surveys").setLevel(logging.WARNING)
        from django.conf import settings

        survey = survey_prepare()
        print(
            f"dispatch bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"batch size {settings.SEND_BATCH_SIZE}, worker concurrency {args.concurrency}"
        )
        # The baseline runs before and after the sends, and the faster of the two counts: background
        # load on a shared machine then cannot flatter the ratio.
        baselines = [baseline_run(count=count, survey=survey, sink=sink)]
        print(describe("baseline", baselines[0]))
        runs = {}
        for size in (small, count):
            runs[size] = dispatch_run(count=size, survey=survey, sink=sink, env=env, concurrency=args.concurrency)
            print(describe("dispatch", runs[size]))
        baselines.append(baseline_run(count=count, survey=survey, sink=sink))
        print(describe("baseline", baselines[1]))
    finally:
        sink.stop()
        if not args.keep_db:
            if "django.db" in sys.modules:
                from django.db import connections

                connections.close_all()
            database_drop()

    main_run, small_run = runs[count], runs[small]
    baseline_per_s = max(baseline.per_second for baseline in baselines)
    ratio = main_run.per_second / baseline_per_s
    flat = main_run.peak_mb <= small_run.peak_mb * (1 + FLAT_MEMORY_TOLERANCE)
    batches_ok = main_run.batches == main_run.expected_batches and small_run.batches == small_run.expected_batches
    passed = ratio >= GOAL_RATIO and batches_ok and flat
    busiest = max(_background_cores(run) for run in [*baselines, *runs.values()])
    if busiest > BACKGROUND_WARNING_CORES:
        print(
            f"WARNING: other programs kept up to {busiest:.2f} of {os.cpu_count()} cores busy during the run; "
            "the sends need every core, the baseline about one, so the ratio reads low. Rerun on a quiet machine."
        )
    print(
        f"ratio {ratio:.2f} (goal {GOAL_RATIO:.2f}), broker messages {main_run.batches} for "
        f"{main_run.expected_batches} batches, peak memory {small_run.peak_mb:.1f} MB at {small} -> "
        f"{main_run.peak_mb:.1f} MB at {count} ({'flat' if flat else 'NOT flat'})"
    )
    print(
        f"RESULT dispatch_msgs_per_s={main_run.per_second:.1f} baseline_msgs_per_s={baseline_per_s:.1f} "
        f"broker_messages={main_run.batches} peak_mb_2k={small_run.peak_mb:.1f} peak_mb_20k={main_run.peak_mb:.1f} "
        f"ratio={ratio:.2f} goal={GOAL_RATIO:.2f} pass={'yes' if passed else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
