"""Benchmark: the metrics dashboard on a million responses, beside one count(*) over the big survey.

Fills its own PostgreSQL database with two years of completed NPS responses spread over 50 surveys (one
holding 40% of them), with invitations, detractor comments tagged with themes and follow-ups, all
generated in SQL. Rebuilds the daily rollups from the raw tables (timed), then times, warm, the median
of N runs of: one `SELECT count(*)` over the big survey's responses; the dashboard's whole set of
queries (`metrics_overview`) for the big survey and for the smallest one; and, for information, the live
path for the big survey. Finally it checks that the rollups equal the live counts, and still do after
a response arrives 400 days late and after a response is erased.

Usage: .venv/bin/python bench/metrics.py [--quick] [--rebuild-all] [--keep-db]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
HOST = "127.0.0.1"
DB_NAME = "vocsite_bench_metrics"
ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres"
DATABASE_URL = f"postgres://postgres@{HOST}:5432/{DB_NAME}"

GOAL_RATIO = 0.5
SURVEYS = 50
STATEMENT_TIMEOUT = "15min"
GENERATED_TABLES = [
    "surveys_contact",
    "surveys_invitation",
    "feedback_surveyresponse",
    "feedback_answer",
    "feedback_answertheme",
    "feedback_followup",
]
# Share of each NPS score 0..10: 22% detractors, 26% passives, 52% promoters (NPS about 30).
SCORE_SHARES = [0.02, 0.01, 0.02, 0.02, 0.03, 0.05, 0.07, 0.10, 0.16, 0.22, 0.30]
COMMENTS = {
    "en": ["Support took days to answer.", "Billing charged me twice.", "The app keeps crashing."],
    "zh-hans": ["客服回复太慢了。", "账单重复扣费。", "应用总是崩溃。"],
}


@dataclass(frozen=True)
class Profile:
    """Sizes of one run."""

    responses: int
    big: int  # responses of the big survey
    unanswered: int  # invitations sent but never answered (some opened)
    contacts: int
    days: int  # completion times spread evenly over this many days back from now
    rebuild_budget: float  # seconds for rebuilding the surveys not measured, after the two measured ones
    runs: int
    max_seconds: float  # the whole run gives up past this


PROFILES = {
    "full": Profile(
        1_000_000,
        big=400_000,
        unanswered=800_000,
        contacts=200_000,
        days=730,
        rebuild_budget=600,
        runs=7,
        max_seconds=5400,
    ),
    # Rebuilding costs per survey-day, not per response: the quick run covers four months and rebuilds
    # only the two surveys it measures, to stay well under a minute.
    "quick": Profile(
        100_000, big=40_000, unanswered=80_000, contacts=20_000, days=120, rebuild_budget=0, runs=3, max_seconds=300
    ),
}


@dataclass(frozen=True)
class Timing:
    """Median wall time of one measurement, and the queries one run of it sends."""

    name: str
    median_ms: float
    runs_ms: list[float]
    queries: int
    slowest: list[tuple[float, str]]


class Deadline:
    """Stops the run between phases once its time is up, rather than letting it grind on."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.start = seconds, time.perf_counter()

    def progress(self, phase: str) -> None:
        """Say what comes next, or give up if the time is up."""
        elapsed = time.perf_counter() - self.start
        if elapsed > self.seconds:
            raise SystemExit(f"gave up before {phase}: {elapsed:.0f} s elapsed, limit {self.seconds:.0f} s")
        print(f"[{elapsed:5.0f} s] {phase}", flush=True)


# --- environment, database, Django -------------------------------------------------------------------------


def bench_env() -> dict[str, str]:
    """The environment of the bench process and of migrate: production shape, tasks in-process."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DB_CONN_HEALTH_CHECKS", "DEBUG", "TIME_ZONE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="vocsite.settings",
        DATABASE_URL=DATABASE_URL,
        SECRET_KEY="bench-secret-key-not-for-production",
        SITE_URL=f"http://{HOST}:8000",
        ALLOWED_HOSTS=f"{HOST},localhost",
    )
    return env


def admin_execute(statement: str) -> None:
    admin = psycopg2.connect(ADMIN_DSN)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(statement)
    finally:
        admin.close()


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


def sql(statement: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Run one statement on Django's connection; rows if it returns any."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


# --- data ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """What the generated rows refer to."""

    survey_ids: list[int]  # the big survey first
    owner_id: int
    now: datetime


def seed() -> Seed:
    """A superuser owning follow-ups, and 50 live NPS surveys made by the real services."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from surveys import services
    from surveys.models import Question

    owner = get_user_model().objects.create_superuser("bench", "bench@example.com", None)
    survey_ids = []
    for number in range(1, SURVEYS + 1):
        survey = services.survey_create_from_template(template="nps", name=f"Bench survey {number}", by=owner)
        services.survey_publish(survey=survey)
        survey_ids.append(survey.pk)
    keys = set(Question.objects.filter(survey_id__in=survey_ids, key__in=["nps", "disappointed"]).values_list("key"))
    if keys != {("nps",), ("disappointed",)}:
        raise SystemExit(f"the nps template no longer has the questions this benchmark answers: {keys}")
    return Seed(survey_ids=survey_ids, owner_id=owner.pk, now=timezone.now().replace(microsecond=0))


def score_case(column: str) -> str:
    """A CASE turning a uniform random column into an NPS score with the SCORE_SHARES skew."""
    branches, total = [], 0.0
    for score, share in enumerate(SCORE_SHARES[:-1]):
        total += share
        branches.append(f"WHEN {column} < {total:.4f} THEN {score}")
    return f"(CASE {' '.join(branches)} ELSE 10 END)::smallint"


def survey_pick(column: str) -> str:
    """One of the 49 other surveys, skewed so that the last ones are small (about 1% each)."""
    return f"(%(surveys)s::bigint[])[2 + floor({SURVEYS - 1} * {column} ^ 2)::int]"


def generate(seed_: Seed, profile: Profile) -> dict[str, float]:
    """Insert contacts, invitations, responses, answers, themes and follow-ups; seconds per step."""
    params = {
        "n": profile.responses,
        "big": profile.big,
        "unanswered": profile.unanswered,
        "contacts": profile.contacts,
        "days": profile.days,
        "surveys": seed_.survey_ids,
        "now": seed_.now,
        "owner": seed_.owner_id,
        "comments_en": COMMENTS["en"],
        "comments_zh": COMMENTS["zh-hans"],
    }
    big_survey = "(%(surveys)s::bigint[])[1]"
    steps: list[tuple[str, str]] = [
        ("seed", "SELECT setseed(0.42)"),
        (
            "contacts",
            """
            INSERT INTO surveys_contact (id, email, name, language, external_id, attributes, created_at, updated_at)
            SELECT i, 'contact' || i || '@example.com', 'Contact ' || i,
                   CASE WHEN i %% 10 < 3 THEN 'zh-hans' ELSE 'en' END, '', '{}',
                   %(now)s::timestamptz - interval '800 days', %(now)s::timestamptz - interval '800 days'
            FROM generate_series(1, %(contacts)s) AS i
            """,
        ),
        (
            "plan",
            # One row per completed response. The big survey's rows are interleaved evenly (exactly
            # `big` of them); OFFSET 0 keeps each random() evaluated once per row.
            f"""
            CREATE TEMP TABLE bench_gen AS
            SELECT i,
                   CASE WHEN (i::bigint * %(big)s) / %(n)s > ((i::bigint - 1) * %(big)s) / %(n)s
                        THEN {big_survey} ELSE {survey_pick("r_survey")} END AS survey_id,
                   1 + floor(r_contact * %(contacts)s)::bigint AS contact_id,
                   %(now)s::timestamptz - r_time * interval '1 day' * %(days)s AS completed_at,
                   r_lag * interval '72 hours' AS lag,
                   {score_case("r_score")} AS score,
                   CASE WHEN r_language < 0.3 THEN 'zh-hans' ELSE 'en' END AS language,
                   r_comment, r_theme, r_follow_up, r_status, r_action, r_resolve, r_cause
            FROM (
                SELECT i, random() AS r_survey, random() AS r_contact, random() AS r_time, random() AS r_lag,
                       random() AS r_score, random() AS r_language, random() AS r_comment, random() AS r_theme,
                       random() AS r_follow_up, random() AS r_status, random() AS r_action, random() AS r_resolve,
                       random() AS r_cause
                FROM generate_series(1, %(n)s) AS i OFFSET 0
            ) AS g
            """,
        ),
        (
            "questions",
            """
            CREATE TEMP TABLE bench_question AS
            SELECT survey_id, max(id) FILTER (WHERE key = 'nps') AS nps_id,
                   max(id) FILTER (WHERE key = 'disappointed') AS disappointed_id
            FROM surveys_question WHERE survey_id = ANY(%(surveys)s::bigint[]) GROUP BY survey_id
            """,
        ),
        (
            "invitations answered",
            # Tokens: two md5s of random text and the row number, 64 characters, unique by the number.
            """
            INSERT INTO surveys_invitation (id, survey_id, contact_id, kind, token, status, skip_reason,
                                            created_at, sent_at, reminders_sent, opened_at, responded_at)
            SELECT i, survey_id, contact_id, 'personal', md5(random()::text || i) || md5(i || '-' || random()::text),
                   'sent', '', completed_at - lag, completed_at - lag, 0, completed_at - lag / 2, completed_at
            FROM bench_gen
            """,
        ),
        (
            "invitations unanswered",
            f"""
            INSERT INTO surveys_invitation (id, survey_id, contact_id, kind, token, status, skip_reason,
                                            created_at, sent_at, reminders_sent, opened_at, responded_at)
            SELECT %(n)s + j, survey_id, 1 + floor(r_contact * %(contacts)s)::bigint, 'personal',
                   md5(random()::text || 'u' || j) || md5(j || '-u-' || random()::text), 'sent', '',
                   sent_at, sent_at, 0,
                   CASE WHEN r_open < 0.1 THEN LEAST(%(now)s::timestamptz, sent_at + r_lag * interval '2 days') END,
                   NULL
            FROM (
                SELECT j, CASE WHEN r_big < %(big)s::float / %(n)s THEN {big_survey}
                               ELSE {survey_pick("r_survey")} END AS survey_id,
                       %(now)s::timestamptz - r_time * interval '1 day' * %(days)s AS sent_at, r_contact, r_open, r_lag
                FROM (
                    SELECT j, random() AS r_big, random() AS r_survey, random() AS r_time, random() AS r_contact,
                           random() AS r_open, random() AS r_lag
                    FROM generate_series(1, %(unanswered)s) AS j OFFSET 0
                ) AS r
            ) AS g
            """,
        ),
        (
            "responses",
            """
            INSERT INTO feedback_surveyresponse (id, invitation_id, survey_id, survey_version, contact_id, language,
                                                 status, current_page, score, started_at, updated_at, completed_at,
                                                 routed_at)
            SELECT i, i, survey_id, 1, contact_id, language, 'completed', 3, score,
                   completed_at - interval '3 minutes', completed_at, completed_at, completed_at
            FROM bench_gen
            """,
        ),
        (
            "nps answers",
            """
            INSERT INTO feedback_answer (id, response_id, question_id, number, text, choices, answered_at,
                                         text_language, sentiment, key_phrases, analyser)
            SELECT i, i, q.nps_id, score, '', '[]', completed_at - interval '2 minutes', '', '', '[]', ''
            FROM bench_gen JOIN bench_question AS q USING (survey_id)
            """,
        ),
        (
            "comments",
            # About 30% of detractors explain themselves; the tagger found the text negative.
            """
            INSERT INTO feedback_answer (id, response_id, question_id, number, text, choices, answered_at,
                                         text_language, polarity, sentiment, key_phrases, analyser, analysed_at)
            SELECT %(n)s + i, i, q.disappointed_id, NULL,
                   CASE WHEN language = 'en' THEN (%(comments_en)s::text[])[1 + floor(r_theme * 3)::int]
                        ELSE (%(comments_zh)s::text[])[1 + floor(r_theme * 3)::int] END,
                   '[]', completed_at - interval '1 minute', language, -0.6, 'negative', '[]', 'bench', completed_at
            FROM bench_gen JOIN bench_question AS q USING (survey_id)
            WHERE score <= 6 AND r_comment < 0.3
            """,
        ),
        (
            "answer themes",
            """
            WITH theme AS (SELECT array_agg(id ORDER BY id) AS ids FROM feedback_theme)
            INSERT INTO feedback_answertheme (id, answer_id, theme_id, source, created_at)
            SELECT i, %(n)s + i, theme.ids[1 + floor(r_theme * cardinality(theme.ids))::int], 'keyword', completed_at
            FROM bench_gen, theme
            WHERE score <= 6 AND r_comment < 0.3
            """,
        ),
        (
            "follow-ups",
            # About 20% of detractors get a follow-up; most are resolved, some still open.
            """
            WITH cause AS (SELECT array_agg(id ORDER BY id) AS ids FROM feedback_rootcause)
            INSERT INTO feedback_followup (id, response_id, survey_id, contact_id, status, priority, owner_id, due_at,
                                           escalate_every_hours, escalation_level, first_action_at, resolved_at,
                                           root_cause_id, resolution_note, shared_note, created_at, updated_at)
            SELECT i, i, survey_id, contact_id, status, 'normal', %(owner)s, created_at + interval '48 hours', 24, 0,
                   first_action_at, resolved_at,
                   CASE WHEN status = 'resolved' THEN cause.ids[1 + floor(r_cause * cardinality(cause.ids))::int] END,
                   '', '', created_at, COALESCE(resolved_at, first_action_at, created_at)
            FROM (
                SELECT *,
                       CASE WHEN status <> 'new'
                            THEN LEAST(%(now)s::timestamptz, created_at + r_action * interval '30 hours') END
                           AS first_action_at,
                       CASE WHEN status = 'resolved'
                            THEN LEAST(%(now)s::timestamptz, created_at + r_resolve * interval '120 hours') END
                           AS resolved_at
                FROM (
                    SELECT i, survey_id, contact_id, completed_at AS created_at, r_action, r_resolve, r_cause,
                           CASE WHEN r_status < 0.70 THEN 'resolved' WHEN r_status < 0.80 THEN 'closed'
                                WHEN r_status < 0.88 THEN 'in_progress' WHEN r_status < 0.94 THEN 'waiting'
                                ELSE 'new' END AS status
                    FROM bench_gen WHERE score <= 6 AND r_follow_up < 0.2
                ) AS f
            ) AS g, cause
            """,
        ),
        ("drop plan", "DROP TABLE bench_gen, bench_question"),
    ]
    seconds = {}
    for name, statement in steps:
        began = time.perf_counter()
        sql(statement, params)
        seconds[name] = time.perf_counter() - began
    # The rows above carry their own ids; move the sequences past them.
    for table in GENERATED_TABLES:
        sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    began = time.perf_counter()
    sql("ANALYZE")
    seconds["analyze"] = time.perf_counter() - began
    return seconds


def table_counts() -> dict[str, int]:
    tables = {
        "contacts": "surveys_contact",
        "invitations": "surveys_invitation",
        "responses": "feedback_surveyresponse",
        "answers": "feedback_answer",
        "answer themes": "feedback_answertheme",
        "follow-ups": "feedback_followup",
        "response rollups": "feedback_responserollup",
    }
    return {name: sql(f"SELECT count(*) FROM {table}")[0][0] for name, table in tables.items()}


def rebuild(*, big: int, small: int, others: list[int], budget_s: float, everything: bool) -> list[str]:
    """Rebuild the rollups from the raw tables, timed; lines saying how long each part took.

    Each survey-day costs a dozen queries, and the invitation and follow-up ones read the whole survey's
    rows (no index on survey and day), so a full rebuild can take an hour here. By default the two
    measured surveys are rebuilt in full, then the others one by one while the budget lasts.
    """
    from feedback.rollups import rollups_rebuild

    def timed(survey_id: int | None) -> tuple[int, float]:
        began = time.perf_counter()
        days = rollups_rebuild(survey_id=survey_id)
        return days, time.perf_counter() - began

    if everything:
        days, seconds = timed(None)
        return [f"rollups_rebuild(): {seconds:.1f} s for {days:,} survey-days ({1000 * seconds / days:.0f} ms each)"]
    lines, rebuilt = [], {}
    for label, survey in (("big", big), ("small", small)):
        days, seconds = rebuilt[survey] = timed(survey)
        lines.append(
            f"rollups_rebuild(survey_id={survey}) ({label}): {seconds:.1f} s for {days:,} survey-days"
            f" ({1000 * seconds / days:.0f} ms each)"
        )
        print(f"        {lines[-1]}", flush=True)
    done, done_days, spent = 0, 0, 0.0
    for survey in others:
        if spent >= budget_s:
            break
        days, seconds = rebuilt[survey] = timed(survey)
        done, done_days, spent = done + 1, done_days + days, spent + seconds
    if done:
        lines.append(
            f"rollups_rebuild(survey_id=) for {done} of the other {len(others)} surveys: {spent:.1f} s for"
            f" {done_days:,} survey-days ({1000 * spent / done_days:.0f} ms each)"
        )
    if done < len(others):
        lines.append(
            f"{len(others) - done} surveys not rebuilt, for time; about {rebuild_estimate(rebuilt, others):.0f} s"
            " more, by a per-day cost fitted to the rebuilt surveys' invitation counts (--rebuild-all does them all)"
        )
    return lines


def rebuild_estimate(rebuilt: dict[int, tuple[int, float]], others: list[int]) -> float:
    """Seconds the surveys not rebuilt would take: a survey-day costs a + b * the survey's invitations."""
    invitations = dict(sql("SELECT survey_id, count(*) FROM surveys_invitation GROUP BY 1"))
    fit = statistics.linear_regression(
        [invitations[survey] for survey in rebuilt], [seconds / days for days, seconds in rebuilt.values()]
    )
    mean_days = statistics.mean(days for days, _ in rebuilt.values())
    left = [survey for survey in others if survey not in rebuilt]
    return sum(mean_days * max(fit.intercept + fit.slope * invitations[survey], 0.0) for survey in left)


# --- timing --------------------------------------------------------------------------------------------------


def measure(name: str, run: Callable[[], Any], runs: int) -> Timing:
    """Warm once, count the queries of one run, then the median of `runs` timed runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()
    with CaptureQueriesContext(connection) as captured:
        run()
    slowest = sorted(((float(q["time"]) * 1000, " ".join(q["sql"].split())) for q in captured), reverse=True)[:3]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return Timing(name, statistics.median(times), times, len(captured), slowest)


def count_big(survey_id: int) -> Callable[[], int]:
    def run() -> int:
        return sql("SELECT count(*) FROM feedback_surveyresponse WHERE survey_id = %(survey)s", {"survey": survey_id})[
            0
        ][0]

    return run


def dashboard(survey_id: int, *, live: bool = False) -> Callable[[], dict[str, Any]]:
    from feedback.dashboard import metrics_overview
    from feedback.metrics import MetricFilters

    def run() -> dict[str, Any]:
        return metrics_overview(filters=MetricFilters(survey_id=survey_id, live=live), period="month")

    return run


# --- correctness ---------------------------------------------------------------------------------------------


def figures(survey_id: int, *, live: bool) -> dict[str, Any]:
    """Everything the rollups (and the survey summary made from them) feed, by month and by day, comparably."""
    from feedback import loop_metrics, metrics

    filters = metrics.MetricFilters(survey_id=survey_id, live=live)

    def series(period: str) -> list[tuple[Any, ...]]:
        return [
            (
                row.period,
                *(row.nps.value, row.nps.n, row.csat.value, row.csat.n, row.ces.value, row.ces.n),
                *(row.responses, row.sent, row.response_rate.value, row.response_rate.n),
            )
            for row in metrics.metrics_by_period(filters=filters, period=period)
        ]

    loop = loop_metrics.loop_metrics(filters=filters)
    # The dashboard itself: from the survey's stored summary unless live (the loop medians differ by design).
    overview = dashboard(survey_id, live=live)()
    return {
        "dashboard": {key: overview[key] for key in ("series", "funnel", "nps_distribution", "top_detractor_themes")},
        "by month": series("month"),
        "by day": series("day"),
        "funnel": metrics.funnel(filters=filters),
        "nps distribution": metrics.score_distribution(filters=filters),
        "themes": metrics.top_detractor_themes(filters=filters, limit=100),
        "loop": {key: loop[key] for key in ("follow_ups", "closed_loop_rate", "sla_attainment", "top_root_causes")},
    }


def differences(survey_id: int) -> list[str]:
    """Which figures the rollups get wrong for this survey (empty when they equal the live counts)."""
    rollup, live = figures(survey_id, live=False), figures(survey_id, live=True)
    return [name for name in rollup if rollup[name] != live[name]]


def late_arrival(survey_id: int, now: datetime) -> int:
    """A response completed 400 days ago that reaches the database only now, with a themed comment."""
    from feedback.models import Answer, AnswerTheme, SurveyResponse, Theme
    from surveys import services
    from surveys.models import Contact, Invitation, Survey

    survey = Survey.objects.get(pk=survey_id)
    contact = Contact.objects.order_by("pk").first()
    moment = now - timedelta(days=400)
    invitation = services.invitation_create_personal(survey=survey, contact=contact)
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.SENT,
        sent_at=moment - timedelta(hours=6),
        opened_at=moment - timedelta(minutes=5),
        responded_at=moment,
    )
    response = SurveyResponse.objects.create(
        invitation=invitation,
        survey=survey,
        survey_version=survey.version,
        contact=contact,
        language="zh-hans",
        status=SurveyResponse.Status.COMPLETED,
        score=2,
        started_at=moment - timedelta(minutes=3),
        updated_at=moment,
        completed_at=moment,
    )
    questions = {q.key: q for q in survey.current_questions()}
    Answer.objects.create(response=response, question=questions["nps"], number=2, answered_at=moment)
    comment = Answer.objects.create(
        response=response,
        question=questions["disappointed"],
        text=COMMENTS["zh-hans"][0],
        answered_at=moment,
        text_language="zh-hans",
        sentiment="negative",
    )
    AnswerTheme.objects.create(answer=comment, theme=Theme.objects.order_by("pk").first())
    return response.pk


def erasure_victim(survey_id: int) -> tuple[int, int]:
    """A response of the big survey with a follow-up and a themed comment, and its invitation."""
    from feedback.models import SurveyResponse

    victim = (
        SurveyResponse.objects.filter(survey_id=survey_id, follow_up__isnull=False, answers__themes__isnull=False)
        .order_by("pk")
        .values_list("pk", "invitation_id")
        .first()
    )
    if victim is None:
        raise SystemExit("no response with a follow-up and a themed comment to erase")
    return victim


def check_rollups(survey_id: int, now: datetime) -> tuple[bool, list[str]]:
    """Rollups equal live counts now, after a late arrival and after an erasure; the log of each step."""
    from feedback.rollups import rollup_mark_responses, rollups_refresh_dirty
    from surveys.models import Invitation

    log = []
    exact = True

    def compare(step: str, *, expect_stale: bool = False) -> None:
        nonlocal exact
        wrong = differences(survey_id)
        if expect_stale:
            # The check has teeth: before the refresh, the rollups must miss the change.
            log.append(f"  {step}: {'stale as expected (' + ', '.join(wrong) + ')' if wrong else 'NOT stale'}")
            exact = exact and bool(wrong)
            return
        log.append(f"  {step}: {'equal' if not wrong else 'DIFFERENT: ' + ', '.join(wrong)}")
        exact = exact and not wrong

    compare("after rebuild")
    response_id = late_arrival(survey_id, now)
    compare("late arrival, before refresh", expect_stale=True)
    rollup_mark_responses(response_ids=[response_id])
    refreshed = rollups_refresh_dirty()
    compare(f"late arrival 400 days back, {refreshed} days refreshed")
    victim, invitation_id = erasure_victim(survey_id)
    rollup_mark_responses(response_ids=[victim])
    Invitation.objects.filter(pk=invitation_id).delete()  # cascades: response, answers, themes, follow-up
    refreshed = rollups_refresh_dirty()
    compare(f"erasure of response {victim}, {refreshed} days refreshed")
    return exact, log


# --- main ----------------------------------------------------------------------------------------------------


def main() -> int:
    """Set up, generate, rebuild, time, check; the last line printed is the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 responses (well under a minute)")
    parser.add_argument(
        "--rebuild-all", action="store_true", help="one unbounded rollups_rebuild() of every survey (can take hours)"
    )
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {DB_NAME} database afterwards")
    args = parser.parse_args()
    profile = PROFILES["quick" if args.quick else "full"]
    deadline = Deadline(profile.max_seconds * (4 if args.rebuild_all else 1))
    load_at_start = " ".join(f"{value:.2f}" for value in os.getloadavg())
    version = code_version()

    env = bench_env()
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    admin_execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_execute(f"CREATE DATABASE {DB_NAME}")
    try:
        subprocess.run(
            [str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        return run(args, profile, deadline, load_at_start, version)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            admin_execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def run(args: argparse.Namespace, profile: Profile, deadline: Deadline, load_at_start: str, version: str) -> int:
    import django

    django.setup()

    sql(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
    seed_ = seed()
    big = seed_.survey_ids[0]
    generated = generate(seed_, profile)
    counts = table_counts()
    small, small_n = sql("SELECT survey_id, count(*) FROM feedback_surveyresponse GROUP BY 1 ORDER BY 2, 1 LIMIT 1")[0]
    deadline.progress(f"generated {counts['responses']:,} responses; rebuilding the rollups")

    others = [survey for survey in seed_.survey_ids if survey not in (big, small)]
    rebuilt = rebuild(big=big, small=small, others=others, budget_s=profile.rebuild_budget, everything=args.rebuild_all)
    began = time.perf_counter()
    sql("VACUUM ANALYZE")
    vacuum_s = time.perf_counter() - began
    counts["response rollups"] = sql("SELECT count(*) FROM feedback_responserollup")[0][0]
    deadline.progress("rebuilt the rollups; timing")

    timings = [
        measure("count(*) big survey", count_big(big), profile.runs),
        measure("dashboard big (rollups)", dashboard(big), profile.runs),
        measure("dashboard small (rollups)", dashboard(small), profile.runs),
    ]
    deadline.progress("timing the live path")
    timings.append(measure("dashboard big (live)", dashboard(big, live=True), profile.runs))
    deadline.progress("checking the rollups against live counts")
    exact, log = check_rollups(big, seed_.now)

    count, dash_big, dash_small, live_big = timings
    ratio = dash_big.median_ms / count.median_ms if count.median_ms else float("inf")
    passed = ratio <= GOAL_RATIO and exact
    print(
        f"vocsite metrics benchmark ({'quick' if args.quick else 'full'}): {profile.responses:,} completed responses"
        f" over {profile.days} days and {SURVEYS} surveys, big survey {big} with {profile.big:,},"
    )
    print(
        f"small survey {small} with {small_n:,}; PostgreSQL on {HOST}, {os.cpu_count()} cores,"
        f" load average at start {load_at_start}; code {version}"
    )
    print("\nrows: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
    print("generation: " + ", ".join(f"{name} {s:.1f} s" for name, s in generated.items() if s >= 0.05))
    print("\n".join(rebuilt))
    print(f"VACUUM ANALYZE {vacuum_s:.1f} s")
    print(f"\n{'measurement':<28}{'median ms':>10}{'queries':>9}  runs ms")
    for timing in timings:
        runs = " ".join(f"{ms:.1f}" for ms in timing.runs_ms)
        print(f"{timing.name:<28}{timing.median_ms:>10.2f}{timing.queries:>9}  {runs}")
    for timing in (dash_big, live_big):
        print(f"\nslowest queries of one run of {timing.name}:")
        for ms, statement in timing.slowest:
            print(f"  {ms:7.2f} ms  {statement[:150]}")
    print("\nrollups vs live (dashboard, by month and day, funnel, NPS distribution, themes, loop counts):")
    print("\n".join(log))
    print(f"rollups exact: {'yes' if exact else 'no'}")
    print(f"\nratio dashboard big / count(*) = {ratio:.3f} (goal <= {GOAL_RATIO})")
    load_at_end = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"took {time.perf_counter() - deadline.start:.0f} s; load average at the end {load_at_end}")
    print(
        f"RESULT dashboard_big_ms={dash_big.median_ms:.2f} count_ms={count.median_ms:.2f}"
        f" dashboard_small_ms={dash_small.median_ms:.2f} live_big_ms={live_big.median_ms:.1f}"
        f" rollups_exact={'yes' if exact else 'no'} ratio={ratio:.3f} goal={GOAL_RATIO}"
        f" pass={'yes' if passed else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
