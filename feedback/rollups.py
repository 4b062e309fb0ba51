"""Keeping the daily rollups exact: mark a survey-day dirty, recompute it from the raw tables.

Recomputing a whole day (rather than adding and subtracting) is what keeps the rollups right
when a response arrives late, is erased, or a theme is merged: the day is simply counted
again. The tick refreshes dirty days under row locks taken with skip_locked, so two workers
never refresh the same day at once, and a mark made while a refresh runs waits for it and is
refreshed next time.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from feedback import summaries
from feedback.models import (
    Answer,
    AnswerTheme,
    FollowUp,
    InvitationRollup,
    LoopRollup,
    ResponseRollup,
    RollupDirtyDay,
    SurveyResponse,
    ThemeRollup,
)
from feedback.models.rollups import HOUR_BUCKETS, empty_buckets, empty_histogram
from feedback.routing import unhappy_responses
from surveys.models import Invitation, Question

NPS, CSAT, CES = Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def rollup_mark(*, survey_id: int, moments: Iterable[datetime | None]) -> None:
    """Mark the days of these moments dirty for one survey."""
    days = {local_day(moment) for moment in moments if moment is not None}
    RollupDirtyDay.objects.bulk_create(
        [RollupDirtyDay(survey_id=survey_id, day=day) for day in days], ignore_conflicts=True
    )


def rollup_mark_responses(*, response_ids: Iterable[int]) -> None:
    """Mark the completion days (and invitation send days) of these responses dirty."""
    rows = SurveyResponse.objects.filter(pk__in=list(response_ids)).values_list(
        "survey_id", "completed_at", "invitation__sent_at", "follow_up__created_at"
    )
    by_survey: dict[int, list[datetime | None]] = defaultdict(list)
    for survey_id, *moments in rows:
        by_survey[survey_id].extend(moments)
    for survey_id, moments in by_survey.items():
        rollup_mark(survey_id=survey_id, moments=moments)


def rollups_mark_recent_invitations(*, now: datetime, window: timedelta = timedelta(minutes=10)) -> int:
    """Mark the send days of invitations sent or opened lately (distribution cannot call us)."""
    recent = Invitation.objects.filter(Q(sent_at__gte=now - window) | Q(opened_at__gte=now - window))
    rows = recent.exclude(sent_at__isnull=True).values_list("survey_id", "sent_at")
    by_survey: dict[int, list[datetime | None]] = defaultdict(list)
    for survey_id, sent_at in rows.iterator(chunk_size=5000):
        by_survey[survey_id].append(sent_at)
    for survey_id, moments in by_survey.items():
        rollup_mark(survey_id=survey_id, moments=moments)
    return sum(len(moments) for moments in by_survey.values())


def rollup_mark_follow_up(*, follow_up: FollowUp) -> None:
    """Mark the creation day of a response's follow-up (proactive ones have no survey, no rollup)."""
    if follow_up.survey_id is not None:
        rollup_mark(survey_id=follow_up.survey_id, moments=[follow_up.created_at])


def rollups_refresh_dirty(*, limit: int = 500) -> int:
    """Recompute dirty survey-days; returns how many were refreshed."""
    with transaction.atomic():
        dirty = list(RollupDirtyDay.objects.select_for_update(skip_locked=True).order_by("marked_at")[:limit])
        for mark in dirty:
            rollup_refresh_day(survey_id=mark.survey_id, day=mark.day)
        RollupDirtyDay.objects.filter(pk__in=[mark.pk for mark in dirty]).delete()
        summaries.survey_summaries_refresh(survey_ids={mark.survey_id for mark in dirty})
    return len(dirty)


def rollups_rebuild(*, survey_id: int | None = None) -> int:
    """Mark every day that has data dirty and refresh them all (after an upgrade, or to check)."""
    responses = SurveyResponse.objects.completed()
    invitations = Invitation.objects.filter(sent_at__isnull=False)
    follow_ups = FollowUp.objects.of_responses()
    if survey_id:
        responses, invitations = responses.filter(survey_id=survey_id), invitations.filter(survey_id=survey_id)
        follow_ups = follow_ups.filter(survey_id=survey_id)
    pairs = set()
    for queryset, field in ((responses, "completed_at"), (invitations, "sent_at"), (follow_ups, "created_at")):
        for survey, moment in queryset.values_list("survey_id", field).iterator(chunk_size=5000):
            pairs.add((survey, local_day(moment)))
    RollupDirtyDay.objects.bulk_create(
        [RollupDirtyDay(survey_id=survey, day=day) for survey, day in pairs], ignore_conflicts=True, batch_size=2000
    )
    refreshed = 0
    while True:
        done = rollups_refresh_dirty()
        refreshed += done
        if not done:
            return refreshed


def rollup_refresh_day(*, survey_id: int, day: date) -> None:
    """Count one survey-day again from the raw tables and replace its rollup rows."""
    start, end = day_bounds(day)
    responses = SurveyResponse.objects.completed().filter(
        survey_id=survey_id, completed_at__gte=start, completed_at__lt=end
    )
    _refresh_responses(survey_id, day, responses)
    _refresh_invitations(survey_id, day, start, end)
    _refresh_themes(survey_id, day, responses)
    _refresh_loop(survey_id, day, start, end)


def _refresh_responses(survey_id: int, day: date, responses: QuerySet[SurveyResponse]) -> None:
    per_language = dict(responses.values("language").annotate(n=Count("pk")).values_list("language", "n"))
    answers = Answer.objects.filter(response__in=responses.values("pk"), question__kind__in=[NPS, CSAT, CES])
    sums = {
        row["response__language"]: row
        for row in answers.values("response__language").annotate(
            csat_n=Count("pk", filter=Q(question__kind=CSAT)),
            csat_satisfied=Count("pk", filter=Q(question__kind=CSAT, number__gte=4)),
            ces_n=Count("pk", filter=Q(question__kind=CES)),
            ces_sum=Sum("number", filter=Q(question__kind=CES)),
            ces_squares=Sum(F("number") * F("number"), filter=Q(question__kind=CES)),
        )
    }
    histograms: dict[str, list[int]] = defaultdict(empty_histogram)
    nps_counts = answers.filter(question__kind=NPS).values("response__language", "number").annotate(n=Count("pk"))
    for row in nps_counts:
        histograms[row["response__language"]][row["number"]] = row["n"]
    rows = []
    for language, count in per_language.items():
        histogram, row = histograms[language], sums.get(language, {})
        rows.append(
            ResponseRollup(
                survey_id=survey_id,
                day=day,
                language=language,
                responses=count,
                promoters=sum(histogram[9:]),
                passives=sum(histogram[7:9]),
                detractors=sum(histogram[:7]),
                nps_histogram=histogram,
                csat_n=row.get("csat_n", 0),
                csat_satisfied=row.get("csat_satisfied", 0),
                ces_n=row.get("ces_n", 0),
                ces_sum=row.get("ces_sum") or 0,
                ces_squares=row.get("ces_squares") or 0,
            )
        )
    ResponseRollup.objects.filter(survey_id=survey_id, day=day).delete()
    ResponseRollup.objects.bulk_create(rows)


def _refresh_invitations(survey_id: int, day: date, start: datetime, end: datetime) -> None:
    counts = Invitation.objects.filter(survey_id=survey_id, sent_at__gte=start, sent_at__lt=end).aggregate(
        sent=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        answered=Count("pk", filter=Q(responded_at__isnull=False)),
    )
    InvitationRollup.objects.filter(survey_id=survey_id, day=day).delete()
    if counts["sent"]:
        InvitationRollup.objects.create(survey_id=survey_id, day=day, **counts)


def _refresh_themes(survey_id: int, day: date, responses: QuerySet[SurveyResponse]) -> None:
    unhappy = unhappy_responses(responses)
    counts = (
        AnswerTheme.objects.filter(answer__response__in=unhappy.values("pk"))
        .values("theme_id")
        .annotate(n=Count("answer__response", distinct=True))
    )
    ThemeRollup.objects.filter(survey_id=survey_id, day=day).delete()
    ThemeRollup.objects.bulk_create(
        [
            ThemeRollup(survey_id=survey_id, day=day, theme_id=row["theme_id"], unhappy_responses=row["n"])
            for row in counts
        ]
    )


def _refresh_loop(survey_id: int, day: date, start: datetime, end: datetime) -> None:
    follow_ups = FollowUp.objects.of_responses().filter(survey_id=survey_id, created_at__gte=start, created_at__lt=end)
    created = resolved = in_time = 0
    first_action, resolution = empty_buckets(), empty_buckets()
    causes: Counter[str] = Counter()
    for created_at, first_action_at, resolved_at, due_at, status, cause in follow_ups.values_list(
        "created_at", "first_action_at", "resolved_at", "due_at", "status", "root_cause_id"
    ):
        created += 1
        if first_action_at:
            first_action[bucket_of(first_action_at - created_at)] += 1
        if status == FollowUp.Status.RESOLVED and resolved_at:
            resolved += 1
            in_time += resolved_at <= due_at
            resolution[bucket_of(resolved_at - created_at)] += 1
            causes[str(cause)] += 1
    LoopRollup.objects.filter(survey_id=survey_id, day=day).delete()
    if created:
        LoopRollup.objects.create(
            survey_id=survey_id,
            day=day,
            created=created,
            resolved=resolved,
            resolved_in_time=in_time,
            first_action_buckets=first_action,
            resolution_buckets=resolution,
            root_causes=dict(causes),
        )


def bucket_of(duration: timedelta) -> int:
    hours = duration.total_seconds() / 3600
    return next((index for index, limit in enumerate(HOUR_BUCKETS) if hours <= limit), len(HOUR_BUCKETS))
