"""Complaint digests: what customers are unhappy about, by theme, for one period.

Built from stored tags and database aggregation only (never re-analysing text), and without
personal data: no names, emails or contact ids, and quotes scrubbed of addresses and numbers.
"""

import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import Length, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from feedback import statistics
from feedback.models import Answer, AnswerTheme, DigestSubscription, FollowUp, Sentiment, SurveyResponse, Theme
from feedback.routing import unhappy_responses
from surveys import segments
from surveys.models import Question, Segment, Touchpoint

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_PATTERN = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")
QUOTE_MIN, QUOTE_MAX = 12, 280
THEMES_SHOWN, QUOTES_PER_THEME, TREND_PERIODS = 10, 3, 6
NPS, CSAT = Question.Kind.NPS, Question.Kind.CSAT


def scrub(text: str) -> str:
    """Remove email addresses and phone numbers from a quote."""
    return PHONE_PATTERN.sub("[…]", EMAIL_PATTERN.sub("[…]", text))


@dataclass(frozen=True)
class DigestFilters:
    team_id: int | None = None  # the subscription's team: its surveys only (None: every team's)
    survey_ids: tuple[int, ...] = ()
    segment_id: int | None = None
    answer_languages: tuple[str, ...] = ()
    theme_ids: tuple[int, ...] = ()
    product: str = ""
    touchpoint_ids: tuple[int, ...] = ()
    show_touchpoints: bool = True

    @classmethod
    def of(cls, subscription: DigestSubscription) -> "DigestFilters":
        return cls(
            team_id=subscription.team_id,
            survey_ids=tuple(subscription.surveys.values_list("pk", flat=True)),
            segment_id=subscription.segment_id,
            answer_languages=tuple(subscription.answer_languages),
            theme_ids=tuple(subscription.themes.values_list("pk", flat=True)),
            product=subscription.product,
            touchpoint_ids=tuple(subscription.touchpoints.values_list("pk", flat=True)),
            show_touchpoints=subscription.show_touchpoints,
        )

    def responses(self, start: date, end: date) -> QuerySet[SurveyResponse]:
        zone = timezone.get_current_timezone()
        responses = SurveyResponse.objects.completed().filter(
            completed_at__gte=datetime.combine(start, time(0), zone),
            completed_at__lt=datetime.combine(end, time(0), zone),
        )
        if self.team_id is not None:
            responses = responses.filter(survey__team_id=self.team_id)
        if self.survey_ids:
            responses = responses.filter(survey_id__in=self.survey_ids)
        if self.touchpoint_ids:
            responses = responses.filter(survey__touchpoint_id__in=self.touchpoint_ids)
        if self.answer_languages:
            responses = responses.filter(language__in=self.answer_languages)
        if self.product:
            responses = responses.filter(contact__attributes__product=self.product)
        if self.segment_id:
            segment = Segment.objects.get(pk=self.segment_id)
            responses = responses.filter(contact__in=segments.segment_contacts(segment=segment).values("pk"))
        return responses


def period_for(subscription: DigestSubscription, *, today: date) -> tuple[date, date]:
    """The last complete period of a subscription's cadence before today: [start, end)."""
    if subscription.cadence == DigestSubscription.Cadence.DAILY:
        return today - timedelta(days=1), today
    if subscription.cadence == DigestSubscription.Cadence.MONTHLY:
        end = today.replace(day=1)
        return (end - timedelta(days=1)).replace(day=1), end
    end = today - timedelta(days=(today.weekday() - subscription.weekday) % 7)
    return end - timedelta(days=7), end


def previous_period(start: date, end: date) -> tuple[date, date]:
    if start.day == 1 and end.day == 1 and (end - start).days >= 28:
        return (start - timedelta(days=1)).replace(day=1), start
    return start - (end - start), start


def digest_content(*, filters: DigestFilters, start: date, end: date) -> dict[str, Any]:
    """Everything a digest shows, as plain data (it is stored with the delivery, for the archive).

    A handful of grouped queries over the trend window: each part is counted for all periods
    at once, bucketed by a CASE on the completion time.
    """
    periods = [(start, end)]
    for _step in range(TREND_PERIODS - 1):
        periods.insert(0, previous_period(*periods[0]))
    now, then = len(periods) - 1, len(periods) - 2
    window = filters.responses(periods[0][0], end)
    unhappy_window = unhappy_responses(window)
    by_period = _theme_counts_by_period(unhappy_window, filters, periods)
    complaints_by = dict(
        unhappy_window.annotate(period=_bucket("completed_at", periods))
        .values("period")
        .annotate(n=Count("pk"))
        .values_list("period", "n")
    )
    scores = _score_counts_by_period(window, periods)
    counts, previous = by_period[now], by_period[then]
    complaints = complaints_by.get(now, 0)
    themes = Theme.objects.in_bulk(list(counts))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], themes[item[0]].name))[:THEMES_SHOWN]
    shown = [pk for pk, _count in ranked]
    unhappy = unhappy_responses(filters.responses(start, end))
    quotes = _quotes(unhappy, shown)
    causes = _root_causes(unhappy, shown)
    follow_ups = FollowUp.objects.filter(response__in=unhappy.values("pk")).aggregate(
        followed=Count("pk"), resolved=Count("pk", filter=Q(status=FollowUp.Status.RESOLVED))
    )
    rows = []
    for theme_id, count in ranked:
        change = statistics.count_change(before=previous.get(theme_id, 0), after=count)
        rows.append(
            {
                "theme_id": theme_id,
                "name": themes[theme_id].name,
                "name_zh": themes[theme_id].name_zh,
                "count": count,
                "previous": previous.get(theme_id, 0),
                "change": change.delta,
                "significant": change.significant,
                "new": previous.get(theme_id, 0) == 0,
                "share": round(100 * count / complaints, 1) if complaints else 0.0,
                "quotes": quotes[theme_id],
                "root_causes": causes[theme_id],
                "inbox_url": _inbox_url(theme_id, start, end),
            }
        )
    top = [row["theme_id"] for row in rows[:5]]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "complaints": complaints,
        "previous_complaints": complaints_by.get(then, 0),
        "headline": _headline(scores[now], scores[then]),
        "followed_up": follow_ups["followed"],
        "resolved": follow_ups["resolved"],
        "themes": rows,
        "new_themes": [row["name"] for row in rows if row["new"]],
        "trend": {
            "labels": [period_start.strftime("%m-%d") for period_start, _end in periods],
            "volumes": {str(pk): [by_period[index].get(pk, 0) for index in range(len(periods))] for pk in top},
            "nps": [_nps(score).as_dict() for score in scores],
        },
        "touchpoints": _touchpoints(filters.responses(start, end)) if filters.show_touchpoints else [],
    }


def _touchpoints(responses: QuerySet[SurveyResponse]) -> list[dict[str, Any]]:
    """NPS and CSAT of each journey stage in the period, with margins, the weakest NPS marked (2 queries).

    Shown only when the period's answers span at least two touchpoints: one stage alone has
    nothing to be compared with.
    """
    rows = (
        Answer.objects.filter(response__in=responses.values("pk"), question__kind__in=[NPS, CSAT])
        .values(touchpoint=F("response__survey__touchpoint_id"))
        .annotate(
            promoters=Count("pk", filter=Q(question__kind=NPS, number__gte=9)),
            passives=Count("pk", filter=Q(question__kind=NPS, number__in=[7, 8])),
            detractors=Count("pk", filter=Q(question__kind=NPS, number__lte=6)),
            csat_n=Count("pk", filter=Q(question__kind=CSAT)),
            csat_satisfied=Count("pk", filter=Q(question__kind=CSAT, number__gte=4)),
        )
    )
    counts = {row["touchpoint"]: row for row in rows if row["touchpoint"] is not None}
    if len(counts) < 2:
        return []
    stages = []
    for touchpoint in Touchpoint.objects.filter(pk__in=list(counts)):
        row = counts[touchpoint.pk]
        stages.append(
            {
                "touchpoint_id": touchpoint.pk,
                "name": touchpoint.name,
                "name_zh": touchpoint.name_zh,
                "nps": _nps(row).as_dict(),
                "csat": statistics.share(successes=row["csat_satisfied"], n=row["csat_n"]).as_dict(),
                "weakest": False,
            }
        )
    scored = [stage for stage in stages if stage["nps"]["value"] is not None]
    if len(scored) >= 2:
        min(scored, key=lambda stage: stage["nps"]["value"])["weakest"] = True
    return stages


def _bucket(field: str, periods: list[tuple[date, date]]) -> Case:
    """The index of the period a moment falls in (NULL outside them all)."""
    zone = timezone.get_current_timezone()
    return Case(
        *[
            When(
                **{
                    f"{field}__gte": datetime.combine(period_start, time(0), zone),
                    f"{field}__lt": datetime.combine(period_end, time(0), zone),
                },
                then=Value(index),
            )
            for index, (period_start, period_end) in enumerate(periods)
        ],
        output_field=IntegerField(),
    )


def _theme_counts_by_period(
    unhappy: QuerySet[SurveyResponse], filters: DigestFilters, periods: list[tuple[date, date]]
) -> dict[int, dict[int, int]]:
    """Unhappy responses per period and theme (merged themes count under their target)."""
    links = AnswerTheme.objects.filter(answer__response__in=unhappy.values("pk"), theme__merged_into__isnull=True)
    if filters.theme_ids:
        links = links.filter(theme_id__in=filters.theme_ids)
    rows = (
        links.annotate(period=_bucket("answer__response__completed_at", periods))
        .values("period", "theme_id")
        .annotate(n=Count("answer__response", distinct=True))
    )
    by_period: dict[int, dict[int, int]] = defaultdict(dict)
    for row in rows:
        by_period[row["period"]][row["theme_id"]] = row["n"]
    return by_period


def _score_counts_by_period(window: QuerySet[SurveyResponse], periods: list[tuple[date, date]]) -> list[dict[str, int]]:
    """NPS and CSAT answer counts per period, for the same responses the digest is about."""
    rows = {
        row["period"]: row
        for row in Answer.objects.filter(response__in=window.values("pk"), question__kind__in=[NPS, CSAT])
        .annotate(period=_bucket("response__completed_at", periods))
        .values("period")
        .annotate(
            promoters=Count("pk", filter=Q(question__kind=NPS, number__gte=9)),
            passives=Count("pk", filter=Q(question__kind=NPS, number__in=[7, 8])),
            detractors=Count("pk", filter=Q(question__kind=NPS, number__lte=6)),
            csat_n=Count("pk", filter=Q(question__kind=CSAT)),
            csat_satisfied=Count("pk", filter=Q(question__kind=CSAT, number__gte=4)),
        )
    }
    zero = {"promoters": 0, "passives": 0, "detractors": 0, "csat_n": 0, "csat_satisfied": 0}
    return [rows.get(index, zero) for index in range(len(periods))]


def _nps(counts: dict[str, int]) -> statistics.Estimate:
    return statistics.nps(promoters=counts["promoters"], passives=counts["passives"], detractors=counts["detractors"])


def _headline(now: dict[str, int], then: dict[str, int]) -> dict[str, Any]:
    def nps_counts(counts: dict[str, int]) -> tuple[int, int, int]:
        return counts["promoters"], counts["passives"], counts["detractors"]

    return {
        "nps": _nps(now).as_dict(),
        "nps_change": asdict(statistics.nps_change(before=nps_counts(then), after=nps_counts(now))),
        "csat": statistics.share(successes=now["csat_satisfied"], n=now["csat_n"]).as_dict(),
        "csat_change": asdict(
            statistics.share_change(
                before=(then["csat_satisfied"], then["csat_n"]), after=(now["csat_satisfied"], now["csat_n"])
            )
        ),
    }


def _quotes(unhappy: QuerySet[SurveyResponse], theme_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The shortest clear negative answers of each theme, in their own language, in one query."""
    rows = (
        Answer.objects.filter(
            response__in=unhappy.values("pk"), answer_themes__theme_id__in=theme_ids, sentiment=Sentiment.NEGATIVE
        )
        .annotate(size=Length("text"), theme=F("answer_themes__theme_id"))
        .filter(size__gte=QUOTE_MIN, size__lte=QUOTE_MAX)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=F("answer_themes__theme_id"), order_by=[F("size").asc(), F("pk").asc()]
            )
        )
        .filter(rank__lte=QUOTES_PER_THEME * 3)
        .order_by("theme", "rank")
        .values_list("theme", "text", "text_language")
    )
    quotes: dict[int, list[dict[str, str]]] = defaultdict(list)
    seen: dict[int, set[str]] = defaultdict(set)
    for theme_id, text, language in rows:
        clean = scrub(" ".join(text.split()))
        if clean.lower() not in seen[theme_id] and len(quotes[theme_id]) < QUOTES_PER_THEME:
            seen[theme_id].add(clean.lower())
            quotes[theme_id].append({"text": clean, "language": language})
    return quotes


def _root_causes(unhappy: QuerySet[SurveyResponse], theme_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Root causes staff recorded on resolved follow-ups of each theme's complaints, in one query."""
    rows = (
        FollowUp.objects.filter(
            status=FollowUp.Status.RESOLVED, root_cause__isnull=False, response__answers__themes__in=theme_ids
        )
        .filter(response__in=unhappy.values("pk"))
        .values("response__answers__themes", "root_cause__name", "root_cause__name_zh")
        .annotate(n=Count("pk", distinct=True))
    )
    causes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(rows, key=lambda row: (-row["n"], row["root_cause__name"])):
        theme_causes = causes[row["response__answers__themes"]]
        if len(theme_causes) < 5:
            theme_causes.append({"name": row["root_cause__name"], "name_zh": row["root_cause__name_zh"], "n": row["n"]})
    return causes


def _inbox_url(theme_id: int, start: date, end: date) -> str:
    query = urlencode(
        {
            "theme": theme_id,
            "score_group": "complaint",
            "completed_at__gte": datetime.combine(start, time(0), timezone.get_current_timezone()).isoformat(),
            "completed_at__lt": datetime.combine(end, time(0), timezone.get_current_timezone()).isoformat(),
        }
    )
    return f"{settings.SITE_URL}{reverse('admin:feedback_surveyresponse_changelist')}?{query}"
