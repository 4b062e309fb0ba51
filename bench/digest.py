"""Benchmark: building a complaint digest from stored tags, against re-tagging the same texts, in one run.

Sets up its own PostgreSQL database (vocsite_bench_digest), fills it with SQL generate_series: one week of
100,000 completed NPS responses (half detractors), each with one free-text answer ("disappointed" for
detractors, "loved" for promoters) built from a few hundred English and Chinese complaint and praise
templates with varied fillers, plus 50,000 responses the week before and 10,000 in each of the four weeks
before that (the trend covers six weeks). The answers are stored as if tagged (language, sentiment,
polarity, analysed_at); theme links come from the default themes' keyword patterns of feedback.tagging,
and every detractor has a follow-up (40% resolved with a root cause), as the default routing rule makes.

Measured (median of 3 runs; 1 with --quick):
  (a) feedback.digests.digest_content() for that week, and rendering feedback.digest_delivery.digest_email()
      with its two PNG charts into a MIME message: separately and together (wall time);
  (b) the baseline: one pass of feedback.analysis.analyse() over the same week's texts, read into memory
      beforehand, analysers loaded before timing (wall time; CPU time printed beside it).

Goal: digest (a, together) under 10% of the tagging pass (b).

Usage: .venv/bin/python bench/digest.py [--quick] [--keep-db]
"""

import argparse
import io
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
HOST = "127.0.0.1"
DB_NAME = "vocsite_bench_digest"
ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres"
DATABASE_URL = f"postgres://postgres@{HOST}:5432/{DB_NAME}"

GOAL = 0.10
WEEK_START = date(2026, 11, 16)  # a Monday; the digest covers [WEEK_START, WEEK_START + 7 days)
WEEK_END = WEEK_START + timedelta(days=7)
STATEMENT_TIMEOUT = "300s"  # bounds a pathological plan; no statement here should come near it
SAMPLE_EVERY = 50  # stored labels are checked against analyse() on every 50th text, outside the timing


@dataclass(frozen=True)
class Profile:
    """Responses in the digest week, the week before, each of the four weeks before that; timed runs."""

    week: int
    previous: int
    history: int
    runs: int


PROFILES = {"full": Profile(100_000, 50_000, 10_000, 3), "quick": Profile(10_000, 5_000, 1_000, 1)}

# Templates: cores with slots, each combined with a few openers and closers; every text also gets a neutral
# context sentence (or none). Slots: {feature} {agent} {device} {weekday} (per-language lists below),
# {n} {days} {amount} {pct} {ticket} (numbers).
EN_NEG = [
    "I waited {n} minutes on hold and nobody called me back.",
    "Support took {days} days to answer a simple question about {feature}.",
    "We were charged twice this month and the refund still hasn't arrived.",
    "The invoice for ${amount} was wrong again and billing would not fix it.",
    "The price went up {pct}% at renewal with no warning.",
    "Way too expensive for what {feature} actually does.",
    "{feature} is painfully slow, every page takes forever to load.",
    "The app keeps crashing on my {device} whenever I open {feature}.",
    "Another outage on {weekday}, the third one this month.",
    "{feature} has been broken since the last update and nobody seems to care.",
    "It logged me out {n} times today, I lose my work every time.",
    "Export to Excel fails with an error for anything over a few hundred rows.",
    "I can't find anything with search, it never returns what I typed.",
    "Setup was confusing and the onboarding training was useless.",
    "The interface is complicated and confusing for new staff.",
    "{agent} from customer service was rude and closed my ticket without fixing it.",
    "Terrible experience with {feature}, it simply does not work as advertised.",
    "Loading {feature} times out every morning around nine.",
    "The mobile app is missing half the features of the website.",
    "Nobody answered my emails for {days} days, I had to call three times.",
    "Reports show the wrong numbers and I have to check everything by hand.",
    "The payment page failed {n} times before it took my card.",
    "We lost data after the sync error on {weekday} and support had no answer.",
    "Too many bugs, every release breaks something in {feature}.",
    "The new pricing is unfair for small teams like ours.",
    "I am disappointed, {feature} was the reason we bought it and it barely works.",
    "Notifications arrive hours late, so we miss urgent requests.",
    "Really frustrating: the download link expired before I could use it.",
    "The Android app drains the battery and freezes on the login screen.",
    "Hidden fees on the invoice, nobody told us about the extra cost.",
    "Response times from support are getting worse every month.",
    "The dashboard is slow and the charts are often empty.",
    "Cancelling was a nightmare, I was passed between {n} different agents.",
    "Poor documentation, we wasted {days} days figuring out the setup ourselves.",
    "Integration with our CRM fails silently and nobody noticed for a week.",
    "Not worth the money anymore, {feature} is worse than last year.",
]
EN_POS = [
    "{agent} in support solved my problem in {n} minutes, great service.",
    "{feature} is fast and easy to use, the whole team loves it.",
    "Setup took less than an hour and the onboarding was excellent.",
    "Great value for the price, much cheaper than what we used before.",
    "The mobile app works perfectly on my {device}.",
    "Exporting to Excel is simple and saves me hours every week.",
    "Search is quick and always finds what I need.",
    "Reliable, we have not had a single outage this year.",
    "Billing is clear and the invoices are always correct.",
    "Customer service is friendly and helpful, {agent} even called me back on {weekday}.",
    "I love how intuitive {feature} is.",
    "Everything just works, and it keeps getting better with each update.",
    "The training sessions were really useful for our new staff.",
    "Fantastic product, {feature} made our reporting so much easier.",
    "Quick responses from the support team, always within {n} minutes.",
    "Clean design, easy to learn, and the reports look great.",
    "Very happy with {feature}, it is exactly what we asked for.",
    "Best tool we have used for this, highly recommend it.",
    "The dashboard gives me everything I need at a glance.",
    "Thanks to {agent} for the excellent help with our migration.",
    "Stable, fast and well documented.",
    "Our team saves about {n} minutes a day thanks to {feature}.",
    "Simple pricing and no surprises on the bill.",
    "The app is smooth and the notifications are really helpful.",
    "Excellent support and a great product overall.",
]
ZH_NEG = [
    "打了{n}次电话客服都没人回，太失望了。",
    "等了{n}分钟还是没有人处理我的问题。",
    "这个月被重复扣费，退款到现在还没到账。",
    "发票金额{amount}元又开错了，账单部门也不管。",
    "续费时突然涨价{pct}%，完全没有提前通知。",
    "{feature}太贵了，性价比很低。",
    "{feature}加载很慢，每次都要等半天。",
    "在{device}上打开{feature}就崩溃，非常影响使用。",
    "{weekday}又出现服务中断，这个月已经第三次了。",
    "上次更新以后{feature}一直报错，没人处理。",
    "一天被退出登录{n}次，写了一半的内容全丢了。",
    "导出Excel总是失败，数据一多就出错。",
    "搜索功能很差，经常找不到想要的内容。",
    "部署过程太复杂，培训也没什么用。",
    "界面太复杂了，新同事根本不会用。",
    "客服{agent}态度很差，问题没解决就把工单关了。",
    "{feature}根本不好用，和宣传的完全不一样。",
    "手机app功能太少，很多操作只能在电脑上做。",
    "报表数据经常不对，每次都要人工核对。",
    "付款页面失败了{n}次才成功。",
    "{weekday}同步出错丢了数据，客服也说不清楚原因。",
    "每次升级都有新bug，{feature}又不能用了。",
    "新的收费方式对小团队很不公平。",
    "通知经常延迟好几个小时，耽误了紧急的事情。",
    "安卓版卡顿严重，登录页面经常卡死。",
    "账单里有隐藏费用，之前没人告诉我们。",
    "售后服务越来越差，回复越来越慢。",
    "取消订阅太麻烦了，转了{n}个客服才办好。",
]
ZH_POS = [
    "客服{agent}{n}分钟就帮我解决了问题，服务很好。",
    "{feature}又快又好用，整个团队都很喜欢。",
    "部署很顺利，培训也很专业。",
    "价格合理，比我们以前用的便宜很多。",
    "手机app在{device}上用起来很流畅。",
    "导出报表很方便，每周能省好几个小时。",
    "搜索很快，总能找到需要的内容。",
    "系统很稳定，今年一次故障都没有。",
    "账单清楚，发票从来没出过错。",
    "客服态度很好，{weekday}还专门打电话回访。",
    "{feature}设计得很简单，上手很容易。",
    "每次更新都有改进，越来越好用了。",
    "产品非常好，{feature}让我们的工作轻松了很多。",
    "界面简洁，学起来很快，报表也很好看。",
    "新的{feature}正是我们需要的，非常满意。",
    "这是我们用过最好的工具，强烈推荐。",
    "仪表盘一目了然，非常实用。",
    "感谢{agent}在数据迁移时的耐心帮助。",
    "每天能节省{n}分钟，{feature}真的很实用。",
    "收费透明，没有任何意外费用。",
    "通知很及时，用起来很顺手。",
    "服务很专业，产品也很可靠，非常满意。",
]
WRAPPERS: dict[tuple[str, bool], tuple[list[str], list[str]]] = {
    ("en", True): (
        ["", "Honestly, ", "To be frank, ", "Sadly, ", "As a long-time customer, ", "Third time writing this: "],
        ["", " Please fix this.", " Very disappointing.", " We are looking at alternatives.", " Not acceptable."],
    ),
    ("en", False): (
        ["", "Honestly, ", "Overall, ", "Really pleased: ", "Great job! ", "As a long-time customer, "],
        ["", " Keep it up!", " Thank you!", " Would recommend.", " Five stars."],
    ),
    ("zh-hans", True): (
        ["", "说实话，", "作为老用户，", "非常不满意！", "第三次反馈了："],
        ["", "请尽快解决。", "太让人失望了。", "我们在考虑换别家了。", "希望尽快改进。"],
    ),
    ("zh-hans", False): (
        ["", "总的来说，", "说实话，", "非常满意！", "作为老用户，"],
        ["", "继续加油！", "谢谢！", "会推荐给同事。", "五星好评。"],
    ),
}
CORES = {("en", True): EN_NEG, ("en", False): EN_POS, ("zh-hans", True): ZH_NEG, ("zh-hans", False): ZH_POS}
COMBOS_PER_CORE = 4
FILLERS: dict[str, dict[str, list[str]]] = {
    "en": {
        "feature": (
            "the dashboard, reporting, the export, the scheduler, the invoice page, the mobile app, search, the API, "
            "the calendar sync, the inbox, the survey builder, the new editor, user management, the integrations, "
            "the booking page, the analytics"
        ).split(", "),
        "agent": "Anna, Mark, Li Wei, Sofia, James, Priya, Tom, Chen, Maria, David".split(", "),
        "device": "iPhone, Android phone, iPad, Samsung tablet, laptop, Pixel".split(", "),
        "weekday": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
        "context": [
            "",
            "",
            " We have {n} users on our plan.",
            " This was on {weekday}.",
            " Ticket #{ticket}.",
            " We have been customers for {days} years.",
            " Order {ticket}.",
            " I manage a team of {n}.",
        ],
    },
    "zh-hans": {
        "feature": "仪表盘 报表功能 导出功能 排班功能 发票页面 手机app 搜索 接口 日历同步 消息中心 问卷编辑器 新编辑器 "
        "用户管理 集成功能 预约页面 数据分析".split(),
        "agent": "小王 小李 张经理 刘女士 陈先生 小赵".split(),
        "device": "iPhone 安卓手机 iPad 平板 笔记本 华为手机".split(),
        "weekday": "周一 周二 周三 周四 周五 周六 周日".split(),
        "context": [
            "",
            "",
            "我们团队有{n}个人在用。",
            "这是{weekday}的事。",
            "工单号{ticket}。",
            "我们已经用了{days}年了。",
            "订单号{ticket}。",
        ],
    },
}

# One row per generated response: its time, language, score and answer text (template and fillers chosen
# by a multiplicative hash of i, so neighbouring rows differ). %% is a literal % for the driver.
ROWS_SQL = """
INSERT INTO bench_rows (i, completed_at, negative, lang, h, score, text)
SELECT i, completed_at, negative, lang, h, score, upper(left(raw, 1)) || substr(raw, 2)
FROM (
    SELECT b.i, b.completed_at, b.negative, b.lang, b.h,
           CASE WHEN b.negative THEN (b.i / 2) %% 7 ELSE 9 + (b.i / 2) %% 2 END AS score,
           replace(replace(replace(replace(replace(replace(replace(replace(replace(
               t.body || f.context[1 + (b.h / 41) %% cardinality(f.context)],
               '{feature}', f.feature[1 + (b.h / 7) %% cardinality(f.feature)]),
               '{agent}', f.agent[1 + (b.h / 11) %% cardinality(f.agent)]),
               '{device}', f.device[1 + (b.h / 13) %% cardinality(f.device)]),
               '{weekday}', f.weekday[1 + (b.h / 17) %% cardinality(f.weekday)]),
               '{n}', (3 + (b.h / 19) %% 88)::text),
               '{days}', (2 + (b.h / 23) %% 12)::text),
               '{amount}', (49 + ((b.h / 29) %% 60) * 25)::text),
               '{pct}', (5 + (b.h / 31) %% 36)::text),
               '{ticket}', (100000 + (b.h / 43) %% 900000)::text) AS raw
    FROM (
        SELECT i,
               %(start)s::timestamptz + ((i::bigint * 7919) %% 604800) * interval '1 second' AS completed_at,
               i %% 2 = 0 AS negative,
               CASE WHEN (i / 2) %% 10 < 7 THEN 'en' ELSE 'zh-hans' END AS lang,
               (i::bigint * 2654435761) %% 4294967296 AS h
        FROM generate_series(%(first)s, %(last)s) AS i
    ) AS b
    JOIN bench_group AS g ON g.lang = b.lang AND g.negative = b.negative
    JOIN bench_template AS t ON t.lang = b.lang AND t.negative = b.negative AND t.k = b.h %% g.n
    JOIN bench_filler AS f ON f.lang = b.lang
) AS generated
"""

# The app's rows, from bench_rows with explicit ids (contact, invitation, response and follow-up i;
# answers 2i - 1 for the score and 2i for the text).
APP_ROWS_SQL = [
    """
    INSERT INTO surveys_contact (id, email, name, language, external_id, attributes, last_surveyed_at,
                                 created_at, updated_at)
    SELECT i, 'respondent' || i || '@example.com', '', lang, '', '{"product": "Cloud"}',
           completed_at, completed_at - interval '30 days', completed_at
    FROM bench_rows
    """,
    """
    INSERT INTO surveys_invitation (id, survey_id, contact_id, kind, token, status, skip_reason, created_at,
                                    sent_at, reminders_sent, opened_at, responded_at)
    SELECT i, %(survey)s, i, 'personal', md5('bench' || i) || md5('token' || i), 'sent', '',
           completed_at - interval '3 hours', completed_at - interval '2 hours', 0,
           completed_at - interval '5 minutes', completed_at
    FROM bench_rows
    """,
    """
    INSERT INTO feedback_surveyresponse (id, invitation_id, survey_id, survey_version, contact_id, language,
                                         status, current_page, score, started_at, updated_at, completed_at,
                                         routed_at)
    SELECT i, i, %(survey)s, %(version)s, i, lang, 'completed', 3, score, completed_at - interval '4 minutes',
           completed_at, completed_at, completed_at + interval '10 seconds'
    FROM bench_rows
    """,
    """
    INSERT INTO feedback_answer (id, response_id, question_id, number, text, choices, answered_at,
                                 text_language, polarity, sentiment, key_phrases, analyser, analysed_at)
    SELECT 2 * i - 1, i, %(nps)s, score, '', '[]'::jsonb, completed_at - interval '3 minutes', '', NULL::float8,
           '', '[]'::jsonb, '', NULL::timestamptz
    FROM bench_rows
    UNION ALL
    SELECT 2 * i, i, CASE WHEN negative THEN %(disappointed)s ELSE %(loved)s END, NULL, text, '[]',
           completed_at - interval '1 minute', lang,
           round(((CASE WHEN negative THEN -1 ELSE 1 END) * (0.3 + (h %% 60) / 100.0))::numeric, 4),
           CASE WHEN negative THEN 'negative' ELSE 'positive' END, '[]',
           CASE WHEN lang = 'en' THEN %(analyser_en)s ELSE %(analyser_zh)s END,
           completed_at + interval '5 seconds'
    FROM bench_rows
    """,
    """
    INSERT INTO feedback_followup (id, response_id, survey_id, contact_id, rule_id, status, priority, owner_id,
                                   due_at, escalate_every_hours, escalation_level, first_action_at, resolved_at,
                                   root_cause_id, resolution_note, shared_note, created_at, updated_at)
    SELECT i, i, %(survey)s, i, %(rule)s,
           CASE WHEN h %% 10 < 4 THEN 'resolved' WHEN h %% 10 < 7 THEN 'in_progress' ELSE 'new' END,
           'normal', %(owner)s, completed_at + interval '48 hours', 24, 0,
           CASE WHEN h %% 10 < 7 THEN completed_at + interval '2 hours' END,
           CASE WHEN h %% 10 < 4 THEN completed_at + interval '1 day' END,
           CASE WHEN h %% 10 < 4 THEN (%(causes)s::bigint[])[1 + (h / 37) %% cardinality(%(causes)s::bigint[])] END,
           '', '', completed_at + interval '10 seconds', completed_at + interval '1 day'
    FROM bench_rows
    WHERE negative
    """,
]
SEQUENCED_TABLES = [
    "surveys_contact",
    "surveys_invitation",
    "feedback_surveyresponse",
    "feedback_answer",
    "feedback_followup",
]


def bench_env() -> dict[str, str]:
    """Production shape: DATABASE_URL on PostgreSQL, DEBUG off, no Redis (tasks would run in-process)."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DB_CONN_HEALTH_CHECKS", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="vocsite.settings",
        DATABASE_URL=DATABASE_URL,
        SECRET_KEY="bench-secret-key-not-for-production",
        SITE_URL=f"http://{HOST}:8000",
        TIME_ZONE="UTC",
    )
    return env


def admin_execute(sql: str) -> None:
    """Run one statement on the postgres database, outside a transaction (CREATE/DROP DATABASE)."""
    conn = psycopg2.connect(ADMIN_DSN)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def templates() -> list[tuple[str, bool, int, str]]:
    """Every (language, negative, index, body): each core with a few deterministic opener/closer pairs."""
    rows = []
    for (language, negative), cores in CORES.items():
        openers, closers = WRAPPERS[(language, negative)]
        k = 0
        for c, core in enumerate(cores):
            for j in range(COMBOS_PER_CORE):
                opener, closer = openers[(c * 3 + j) % len(openers)], closers[(c * 5 + j * 2) % len(closers)]
                body = core
                # After an opener the sentence goes on in lower case, except "I" and a slot.
                if opener and language == "en" and not core.startswith(("I ", "{")):
                    body = core[0].lower() + core[1:]
                rows.append((language, negative, k, opener + body + closer))
                k += 1
    return rows


def seed(profile: Profile) -> dict[str, int]:
    """A live NPS survey and the generated weeks of responses, stored as if tagged; returns row counts."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from feedback.analysis import analyse
    from feedback.models import RootCause, RoutingRule
    from surveys import services

    survey = services.survey_create_from_template(template="nps", name="Bench NPS")
    services.survey_publish(survey=survey)
    survey.refresh_from_db()
    questions = {q.key: q.pk for q in survey.current_questions()}
    owner = get_user_model().objects.create_user(username="bench-owner", email="owner@example.com")
    en, zh = analyse("Support was slow."), analyse("客服太慢了。")
    params = {
        "survey": survey.pk,
        "version": survey.version,
        "nps": questions["nps"],
        "disappointed": questions["disappointed"],
        "loved": questions["loved"],
        "owner": owner.pk,
        "rule": RoutingRule.objects.order_by("position", "pk").values_list("pk", flat=True).first(),
        "causes": list(RootCause.objects.order_by("pk").values_list("pk", flat=True)),
        "analyser_en": f"{en.analyser}/{en.analyser_version}",
        "analyser_zh": f"{zh.analyser}/{zh.analyser_version}",
    }
    weeks = [profile.week, profile.previous] + [profile.history] * 4
    with connection.cursor() as cur:
        cur.execute("CREATE UNLOGGED TABLE bench_template (lang text, negative bool, k int, body text)")
        cur.executemany("INSERT INTO bench_template VALUES (%s, %s, %s, %s)", templates())
        cur.execute(
            "CREATE UNLOGGED TABLE bench_group AS"
            " SELECT lang, negative, count(*)::int AS n FROM bench_template GROUP BY lang, negative"
        )
        cur.execute(
            "CREATE UNLOGGED TABLE bench_filler (lang text, feature text[], agent text[], device text[],"
            " weekday text[], context text[])"
        )
        for language, slots in FILLERS.items():
            cur.execute(
                "INSERT INTO bench_filler VALUES (%s, %s, %s, %s, %s, %s)",
                [language, slots["feature"], slots["agent"], slots["device"], slots["weekday"], slots["context"]],
            )
        cur.execute(
            "CREATE UNLOGGED TABLE bench_rows (i int, completed_at timestamptz, negative bool, lang text,"
            " h bigint, score int, text text)"
        )
        first = 1
        for weeks_back, count in enumerate(weeks):
            start = datetime.combine(WEEK_START - timedelta(days=7 * weeks_back), datetime.min.time(), UTC)
            cur.execute(ROWS_SQL, {"start": start, "first": first, "last": first + count - 1})
            first += count
        for sql in APP_ROWS_SQL:
            cur.execute(sql, params)
        for table in SEQUENCED_TABLES:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("SELECT count(*), count(DISTINCT text) FROM bench_rows")
        responses, distinct = cur.fetchone()
        cur.execute("SELECT count(*) FROM bench_template")
        (template_count,) = cur.fetchone()
        cur.execute("DROP TABLE bench_rows, bench_template, bench_group, bench_filler")
    links = link_themes()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT count(*) FROM feedback_followup")
        (follow_ups,) = cur.fetchone()
    return {
        "responses": responses,
        "distinct_texts": distinct,
        "templates": template_count,
        "theme_links": links,
        "follow_ups": follow_ups,
    }


def link_themes() -> int:
    """Theme links by the default themes' keyword patterns (feedback.tagging's), written with COPY."""
    from django.db import connection

    from feedback.tagging import active_theme_patterns

    patterns = active_theme_patterns()
    buffer = io.StringIO()
    links = 0
    with connection.cursor() as cur:
        cur.execute("SELECT id, text, analysed_at FROM feedback_answer WHERE text <> ''")
        for answer_id, text, analysed_at in cur.fetchall():
            lowered = text.lower()
            for theme_id, pattern in patterns:
                if pattern.search(lowered):
                    buffer.write(f"{answer_id}\t{theme_id}\tkeyword\t{analysed_at.isoformat()}\n")
                    links += 1
        buffer.seek(0)
        cur.cursor.copy_expert("COPY feedback_answertheme (answer_id, theme_id, source, created_at) FROM STDIN", buffer)
    return links


@dataclass(frozen=True)
class DigestRun:
    """One timed digest: building the content, rendering the email, and what it held."""

    content_s: float
    render_s: float
    queries: int
    slowest: list[tuple[float, str]]
    content: dict[str, Any]
    email_bytes: int

    @property
    def total_s(self) -> float:
        return self.content_s + self.render_s


def digest_run() -> DigestRun:
    """digest_content() for the week, then digest_email() serialised to MIME bytes (PNG charts included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feedback.digest_delivery import digest_email
    from feedback.digests import DigestFilters, digest_content
    from feedback.models import DigestSubscription

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        content = digest_content(filters=DigestFilters(), start=WEEK_START, end=WEEK_END)
        built = time.perf_counter()
    subscription = DigestSubscription(email="digest@example.com", language="en")
    raw = digest_email(subscription=subscription, content=content).message().as_bytes()
    rendered = time.perf_counter()
    timed = sorted(((float(q["time"]), q["sql"]) for q in captured.captured_queries), reverse=True)
    return DigestRun(built - started, rendered - built, len(captured), timed[:3], content, len(raw))


def tagging_pass(texts: list[str], analyse: Callable[[str], object]) -> tuple[float, float]:
    """One pass of the tagging code over the texts: (wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        analyse(text)
    return time.perf_counter() - wall, time.process_time() - cpu


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


def runs_text(values: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def main() -> int:
    """Set up, time the digest and the tagging pass, report; the last line printed is the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 answers in the digest week, one run each")
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {DB_NAME} database afterwards")
    args = parser.parse_args()
    profile = PROFILES["quick" if args.quick else "full"]
    began = time.perf_counter()
    print(
        f"code {code_version()}, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} cores"
    )

    os.environ.clear()
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    admin_execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_execute(f"CREATE DATABASE {DB_NAME}")
    try:
        subprocess.run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
        import django

        django.setup()
        # The charts' x labels ("11-16") look like dates to matplotlib, which says so at INFO on every chart.
        logging.getLogger("matplotlib.category").setLevel(logging.WARNING)
        from django.db import connection, connections

        from feedback.analysis import analyse
        from feedback.models import Answer

        with connection.cursor() as cur:
            cur.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        seeded_at = time.perf_counter()
        counts = seed(profile)
        print(
            f"seeded in {time.perf_counter() - seeded_at:.1f} s: {counts['responses']:,} responses over 6 weeks "
            f"({profile.week:,} in {WEEK_START}..{WEEK_END - timedelta(days=1)}), {counts['distinct_texts']:,} "
            f"distinct texts from {counts['templates']} templates, {counts['theme_links']:,} theme links, "
            f"{counts['follow_ups']:,} follow-ups"
        )

        # (a) the digest, as a delivery builds and renders it
        digests = [digest_run() for _ in range(profile.runs)]
        content = digests[-1].content
        shown = ", ".join(f"{row['name']} {row['count']:,} ({row['change']:+,})" for row in content["themes"][:5])
        print(
            f"digest: {content['complaints']:,} complaints (previous week {content['previous_complaints']:,}), "
            f"NPS {content['headline']['nps']['value']}, {len(content['themes'])} themes: {shown} ...; "
            f"{digests[-1].queries} queries, email {digests[-1].email_bytes / 1024:.0f} KiB with 2 PNG charts"
        )
        for seconds, sql in digests[-1].slowest:
            print(f"  slowest query {seconds * 1000:7.0f} ms  {sql[:150]}")

        # (b) the baseline: one pass of the tagging code over the same week's texts
        week = Answer.objects.filter(
            response__completed_at__gte=datetime.combine(WEEK_START, datetime.min.time(), UTC),
            response__completed_at__lt=datetime.combine(WEEK_END, datetime.min.time(), UTC),
        ).exclude(text="")
        rows = list(week.order_by("pk").values_list("text", "sentiment", "text_language"))
        texts = [text for text, _sentiment, _language in rows]
        for language in ("en", "zh-hans"):  # load both analysers before timing
            analyse(next(text for text, _sentiment, lang in rows if lang == language))
        sample = rows[::SAMPLE_EVERY]
        agree = sum(analyse(text).label == sentiment for text, sentiment, _language in sample) / len(sample)
        print(f"stored labels agree with analyse() on {100 * agree:.1f}% of a {len(sample):,}-text sample")
        passes = [tagging_pass(texts, analyse) for _ in range(profile.runs)]
        connections.close_all()
    finally:
        if not args.keep_db:
            admin_execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    content_s = statistics.median(run.content_s for run in digests)
    render_s = statistics.median(run.render_s for run in digests)
    digest_s = statistics.median(run.total_s for run in digests)
    tagging_s = statistics.median(wall for wall, _cpu in passes)
    tagging_cpu = statistics.median(cpu for _wall, cpu in passes)
    ratio = digest_s / tagging_s
    print(f"\n{'step':<44}{'runs (s)':>22}{'median s':>10}")
    print(f"{'digest_content()':<44}{runs_text([r.content_s for r in digests]):>22}{content_s:>10.2f}")
    print(f"{'digest_email() with 2 PNG charts':<44}{runs_text([r.render_s for r in digests]):>22}{render_s:>10.2f}")
    print(f"{'digest, together':<44}{runs_text([r.total_s for r in digests]):>22}{digest_s:>10.2f}")
    baseline = f"tagging pass, {len(texts):,} texts (baseline)"
    print(f"{baseline:<44}{runs_text([wall for wall, _cpu in passes]):>22}{tagging_s:>10.2f}")
    print(
        f"tagging: {len(texts) / tagging_s:,.0f} texts/s wall, {len(texts) / tagging_cpu:,.0f} texts per CPU second; "
        f"total bench time {time.perf_counter() - began:.0f} s"
    )
    passed = ratio < GOAL
    print(
        f"RESULT digest_s={digest_s:.2f} tagging_s={tagging_s:.2f} ratio={ratio:.3f} goal={GOAL:.2f} "
        f"pass={'yes' if passed else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
