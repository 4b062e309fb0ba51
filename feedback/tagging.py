"""Tagging free-text answers: language, sentiment, key phrases, and themes by keyword.

The analysis itself is pure (feedback.analysis); this module reads answers, writes results
and theme links in one transaction per batch, and is idempotent: running it twice on the same
answers changes nothing, and an answer already analysed is skipped unless asked to redo it.
"""

import re
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from feedback import rollups
from feedback.analysis import analyse
from feedback.models import Answer, AnswerTheme, SurveyResponse, Theme
from feedback.webhooks import events as webhook_events
from vocsite.queueing import enqueue_after_commit, sweep_grace

TAG_BATCH = 500
RESULT_FIELDS = ["text_language", "polarity", "sentiment", "key_phrases", "analyser", "analysed_at"]


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a theme's keywords: whole words for Latin ones, substrings for Chinese."""
    parts = []
    for keyword in keywords:
        word = keyword.strip().lower()
        if not word:
            continue
        escaped = re.escape(word)
        parts.append(rf"\b{escaped}\b" if word.isascii() else escaped)
    return re.compile("|".join(parts)) if parts else None


def active_theme_patterns() -> list[tuple[int, re.Pattern[str]]]:
    """The keyword patterns of themes that have not been merged into another."""
    patterns = []
    for theme in Theme.objects.filter(merged_into__isnull=True).exclude(keywords=[]):
        pattern = keyword_pattern(theme.keywords)
        if pattern is not None:
            patterns.append((theme.pk, pattern))
    return patterns


def answers_tag(*, answer_ids: Iterable[int], redo: bool = False) -> int:
    """Analyse these free-text answers and attach keyword themes; returns how many were tagged."""
    answers = Answer.objects.filter(pk__in=list(answer_ids)).free_text()
    if not redo:
        answers = answers.filter(analysed_at__isnull=True)
    return _tag(answers)


def _tag(answers: QuerySet[Answer]) -> int:
    rows = list(answers.only("pk", "text", "response_id"))
    if not rows:
        return 0
    patterns = active_theme_patterns()
    now = timezone.now()
    links = []
    for answer in rows:
        result = analyse(answer.text)
        answer.text_language = result.language
        answer.polarity = round(result.polarity, 4)
        answer.sentiment = result.label
        answer.key_phrases = list(result.key_phrases)
        answer.analyser = f"{result.analyser}/{result.analyser_version}"
        answer.analysed_at = now
        lowered = answer.text.lower()
        links += [AnswerTheme(answer=answer, theme_id=pk) for pk, pattern in patterns if pattern.search(lowered)]
    with transaction.atomic():
        Answer.objects.bulk_update(rows, RESULT_FIELDS)
        AnswerTheme.objects.bulk_create(links, ignore_conflicts=True)
        rollups.rollup_mark_responses(response_ids={answer.response_id for answer in rows})
        webhook_events.responses_tagged(response_ids={answer.response_id for answer in rows})
    return len(rows)


def response_tag(*, response_id: int) -> int:
    """Tag every untagged free-text answer of one response."""
    return _tag(Answer.objects.filter(response_id=response_id).untagged())


def answers_sweep_untagged(*, now: datetime) -> int:
    """Find free-text answers whose tagging was lost (broker down, worker killed) and enqueue them."""
    from feedback.tasks import tag_answers

    ids = list(
        Answer.objects.untagged()
        .filter(response__status=SurveyResponse.Status.COMPLETED, answered_at__lt=now - sweep_grace())
        .order_by("pk")
        .values_list("pk", flat=True)[:50_000]
    )
    for start in range(0, len(ids), TAG_BATCH):
        with transaction.atomic():
            enqueue_after_commit(tag_answers, ids[start : start + TAG_BATCH])
    return len(ids)


@transaction.atomic
def theme_apply_keywords(*, theme: Theme) -> int:
    """Attach a theme to every past answer its keywords match (new answers get it when tagged)."""
    pattern = keyword_pattern(theme.keywords)
    if pattern is None:
        return 0
    links = [
        AnswerTheme(answer_id=pk, theme=theme)
        for pk, text in Answer.objects.free_text().values_list("pk", "text").iterator(chunk_size=2000)
        if pattern.search(text.lower())
    ]
    created = AnswerTheme.objects.bulk_create(links, ignore_conflicts=True, batch_size=2000)
    rollups.rollup_mark_responses(
        response_ids=Answer.objects.filter(pk__in=[link.answer_id for link in links]).values_list(
            "response_id", flat=True
        )
    )
    return len(created)


@transaction.atomic
def theme_merge(*, theme: Theme, into: Theme) -> Theme:
    """Merge a theme into another: its answers and keywords move, and it stays as an alias."""
    if theme.pk == into.pk:
        return into
    moved = [
        AnswerTheme(answer_id=link.answer_id, theme=into, source=link.source, tagged_by_id=link.tagged_by_id)
        for link in AnswerTheme.objects.filter(theme=theme)
    ]
    AnswerTheme.objects.bulk_create(moved, ignore_conflicts=True)
    rollups.rollup_mark_responses(
        response_ids=Answer.objects.filter(answer_themes__theme=theme).values_list("response_id", flat=True)
    )
    AnswerTheme.objects.filter(theme=theme).delete()
    into.keywords = list(dict.fromkeys([*into.keywords, *theme.keywords]))
    into.save(update_fields=["keywords"])
    Theme.objects.filter(merged_into=theme).update(merged_into=into)
    theme.merged_into = into
    theme.save(update_fields=["merged_into"])
    return into
