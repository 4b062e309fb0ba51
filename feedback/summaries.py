"""Survey summaries: the rollup figures a survey's default dashboard shows, stored in one row.

`survey_summaries_refresh` runs after rollup days are recomputed (feedback.rollups), adding up
the survey's rollups through the same functions the dashboard would call, so a summary holds
exactly what those functions return from the rollups at that moment.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from feedback import loop_metrics, metrics
from feedback.models import SurveySummary, ThemeRollup


def survey_summaries_refresh(*, survey_ids: Iterable[int]) -> None:
    """Add up the rollups of each survey again and store its summary."""
    for survey_id in sorted(set(survey_ids)):
        filters = metrics.MetricFilters(survey_id=survey_id)
        counts, answered, sent = metrics.counts_from_rollups(filters, TruncMonth)
        months = sorted(set(counts) | set(answered) | set(sent))
        themes = filters.rollups(ThemeRollup, by_language=False).values("theme_id").annotate(n=Sum("unhappy_responses"))
        figures = {
            "months": [
                {
                    "month": timezone.localtime(moment).date().isoformat(),
                    "counts": {name: counts.get(moment, {}).get(name) or 0 for name in metrics.COUNT_FIELDS},
                    "answered": answered.get(moment, 0),
                    "sent": list(sent.get(moment, (0, 0))),
                }
                for moment in months
            ],
            "funnel": metrics.funnel(filters=filters),
            "nps_distribution": {str(score): n for score, n in metrics.score_distribution(filters=filters).items()},
            "themes": {str(row["theme_id"]): row["n"] for row in themes},
            "loop": loop_metrics.loop_totals_from_rollups(filters),
        }
        SurveySummary.objects.update_or_create(
            survey_id=survey_id, defaults={"figures": figures, "refreshed_at": timezone.now()}
        )


def survey_summary_for(*, filters: metrics.MetricFilters, period: str) -> dict[str, Any] | None:
    """The stored figures when they answer exactly these filters (one survey, all time, by month)."""
    whole_survey = filters.survey_id and not (
        filters.since or filters.until or filters.language or filters.touchpoint_id
    )
    if filters.survey_ids is not None and filters.survey_id not in filters.survey_ids:
        return None  # not a survey of the viewer's teams: the live count finds nothing
    if period != "month" or not whole_survey or not filters.use_rollups():
        return None
    return SurveySummary.objects.filter(survey_id=filters.survey_id).values_list("figures", flat=True).first()


def summary_series(figures: dict[str, Any]) -> list[metrics.PeriodMetrics]:
    """The monthly metrics of a summary, as `metrics.metrics_by_period` computes them."""
    counts, answered, sent = {}, {}, {}
    for month in figures["months"]:
        moment = metrics.as_moment(date.fromisoformat(month["month"]))
        counts[moment] = month["counts"]
        answered[moment] = month["answered"]
        sent[moment] = tuple(month["sent"])
    return metrics.metrics_from_counts(counts, answered, sent)


def summary_distribution(figures: dict[str, Any]) -> dict[int, int]:
    return {int(score): n for score, n in figures["nps_distribution"].items()}


def summary_themes(figures: dict[str, Any], *, limit: int = 8) -> list[dict[str, Any]]:
    return metrics.named_themes({int(pk): n for pk, n in figures["themes"].items()}, limit=limit)
