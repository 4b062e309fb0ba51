"""Complaint digests: what customers are unhappy about, by theme, for one period.

Built from stored tags and database aggregation only (never re-analysing text), and without
personal data: no names, emails or contact ids, and quotes scrubbed of addresses and numbers.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from feedback import metrics, statistics
from feedback.models import Answer, AnswerTheme, DigestSubscription, FollowUp, Sentiment, SurveyResponse, Theme
from feedback.routing import unhappy_responses
from surveys import segments
from surveys.models import Segment

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_PATTERN = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")
QUOTE_MIN, QUOTE_MAX = 12, 280
THEMES_SHOWN, QUOTES_PER_THEME, TREND_PERIODS = 10, 3, 6


def scrub(text: str) -> str:
    """Remove email addresses and phone numbers from a quote."""
    return PHONE_PATTERN.sub("[…]", EMAIL_PATTERN.sub("[…]", text))


@dataclass(frozen=True)
class DigestFilters:
    survey_ids: tuple[int, ...] = ()
    segment_id: int | None = None
    answer_languages: tuple[str, ...] = ()
    theme_ids: tuple[int, ...] = ()
    product: str = ""

    @classmethod
    def of(cls, subscription: DigestSubscription) -> "DigestFilters":
        return cls(
            survey_ids=tuple(subscription.surveys.values_list("pk", flat=True)),
            segment_id=subscription.segment_id,
            answer_languages=tuple(subscription.answer_languages),
            theme_ids=tuple(subscription.themes.values_list("pk", flat=True)),
            product=subscription.product,
        )

    def responses(self, start: date, end: date) -> QuerySet[SurveyResponse]:
        zone = timezone.get_current_timezone()
        responses = SurveyResponse.objects.completed().filter(
            completed_at__gte=datetime.combine(start, time(0), zone),
            completed_at__lt=datetime.combine(end, time(0), zone),
        )
        if self.survey_ids:
            responses = responses.filter(survey_id__in=self.survey_ids)
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
    """Everything a digest shows, as plain data (it is stored with the delivery, for the archive)."""
    before = previous_period(start, end)
    responses = filters.responses(start, end)
    unhappy = unhappy_responses(responses)
    counts = _theme_counts(unhappy, filters)
    previous = _theme_counts(unhappy_responses(filters.responses(*before)), filters)
    complaints = unhappy.count()
    themes = Theme.objects.in_bulk(list(counts))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], themes[item[0]].name))[:THEMES_SHOWN]
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
                "quotes": _quotes(unhappy, theme_id),
                "root_causes": _root_causes(unhappy, theme_id),
                "inbox_url": _inbox_url(theme_id, start, end),
            }
        )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "complaints": complaints,
        "previous_complaints": unhappy_responses(filters.responses(*before)).count(),
        "headline": _headline(filters, start, end, before),
        "followed_up": FollowUp.objects.filter(response__in=unhappy.values("pk")).count(),
        "resolved": FollowUp.objects.filter(response__in=unhappy.values("pk"), status=FollowUp.Status.RESOLVED).count(),
        "themes": rows,
        "new_themes": [row["name"] for row in rows if row["new"]],
        "trend": _trend(filters, start, end, [row["theme_id"] for row in rows[:5]]),
    }


def _theme_counts(unhappy: QuerySet[SurveyResponse], filters: DigestFilters) -> dict[int, int]:
    links = AnswerTheme.objects.filter(answer__response__in=unhappy.values("pk"), theme__merged_into__isnull=True)
    if filters.theme_ids:
        links = links.filter(theme_id__in=filters.theme_ids)
    rows = links.values("theme_id").annotate(n=Count("answer__response", distinct=True))
    return {row["theme_id"]: row["n"] for row in rows}


def _quotes(unhappy: QuerySet[SurveyResponse], theme_id: int) -> list[dict[str, str]]:
    """The shortest clear negative answers on the theme, in their own language."""
    answers = (
        Answer.objects.filter(response__in=unhappy.values("pk"), themes=theme_id, sentiment=Sentiment.NEGATIVE)
        .annotate(size=Length("text"))
        .filter(size__gte=QUOTE_MIN, size__lte=QUOTE_MAX)
        .order_by("size", "pk")
        .values_list("text", "text_language")[: QUOTES_PER_THEME * 3]
    )
    quotes, seen = [], set()
    for text, language in answers:
        clean = scrub(" ".join(text.split()))
        if clean.lower() not in seen:
            seen.add(clean.lower())
            quotes.append({"text": clean, "language": language})
        if len(quotes) == QUOTES_PER_THEME:
            break
    return quotes


def _root_causes(unhappy: QuerySet[SurveyResponse], theme_id: int) -> list[dict[str, Any]]:
    rows = (
        FollowUp.objects.filter(
            status=FollowUp.Status.RESOLVED, root_cause__isnull=False, response__answers__themes=theme_id
        )
        .filter(response__in=unhappy.values("pk"))
        .values("root_cause__name", "root_cause__name_zh")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "root_cause__name")[:5]
    )
    return [{"name": r["root_cause__name"], "name_zh": r["root_cause__name_zh"], "n": r["n"]} for r in rows]


def _inbox_url(theme_id: int, start: date, end: date) -> str:
    query = urlencode({"theme": theme_id, "completed_at__gte": start.isoformat(), "completed_at__lt": end.isoformat()})
    return f"{settings.SITE_URL}{reverse('admin:feedback_surveyresponse_changelist')}?{query}"


def _window(filters: DigestFilters, start: date, end: date) -> metrics.MetricFilters:
    zone = timezone.get_current_timezone()
    return metrics.MetricFilters(
        survey_id=filters.survey_ids[0] if len(filters.survey_ids) == 1 else None,
        since=datetime.combine(start, time(0), zone),
        until=datetime.combine(end, time(0), zone),
        live=True,
    )


def _headline(filters: DigestFilters, start: date, end: date, before: tuple[date, date]) -> dict[str, Any]:
    now_rows = metrics.metrics_by_period(filters=_window(filters, start, end), period="quarter")
    then_rows = metrics.metrics_by_period(filters=_window(filters, *before), period="quarter")
    now, then = _merge(now_rows), _merge(then_rows)
    nps = statistics.nps(promoters=now["promoters"], passives=now["passives"], detractors=now["detractors"])
    csat = statistics.share(successes=now["csat_satisfied"], n=now["csat_n"])
    return {
        "nps": nps.as_dict(),
        "nps_change": statistics.nps_change(
            before=(then["promoters"], then["passives"], then["detractors"]),
            after=(now["promoters"], now["passives"], now["detractors"]),
        ).__dict__,
        "csat": csat.as_dict(),
        "csat_change": statistics.share_change(
            before=(then["csat_satisfied"], then["csat_n"]), after=(now["csat_satisfied"], now["csat_n"])
        ).__dict__,
    }


def _merge(rows: list[metrics.PeriodMetrics]) -> dict[str, int]:
    totals = dict.fromkeys(metrics.COUNT_FIELDS, 0)
    for row in rows:
        for name in metrics.COUNT_FIELDS:
            totals[name] += row.counts.get(name, 0)
    return totals


def _trend(filters: DigestFilters, start: date, end: date, theme_ids: list[int]) -> dict[str, Any]:
    """Theme volume and NPS with its band over the last periods of the same length."""
    periods = [(start, end)]
    for _step in range(TREND_PERIODS - 1):
        periods.insert(0, previous_period(*periods[0]))
    labels, volumes, scores = [], {str(pk): [] for pk in theme_ids}, []
    for period_start, period_end in periods:
        labels.append(period_start.strftime("%m-%d"))
        counts = _theme_counts(unhappy_responses(filters.responses(period_start, period_end)), filters)
        for pk in theme_ids:
            volumes[str(pk)].append(counts.get(pk, 0))
        totals = _merge(metrics.metrics_by_period(filters=_window(filters, period_start, period_end), period="quarter"))
        scores.append(
            statistics.nps(
                promoters=totals["promoters"], passives=totals["passives"], detractors=totals["detractors"]
            ).as_dict()
        )
    return {"labels": labels, "volumes": volumes, "nps": scores}
