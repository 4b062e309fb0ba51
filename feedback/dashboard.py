"""The staff dashboard and the metrics API share this composed read."""

from dataclasses import asdict
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from feedback import charts, loop_metrics, metrics, summaries
from surveys import access
from surveys.access import Area


def metric_survey_ids(user: Any) -> tuple[int, ...] | None:
    """The surveys whose figures a user may count (their teams'); None: every survey."""
    if access.team_ids(user, Area.METRICS) is None:
        return None
    return tuple(access.surveys_for(user, Area.METRICS).order_by("pk").values_list("pk", flat=True))


def metrics_overview(*, filters: metrics.MetricFilters, period: str, periods: int = 12) -> dict[str, Any]:
    """Series by period, the last-vs-previous comparison, funnel, distribution, top themes, loop
    figures and the journey stages side by side.

    A whole survey by month reads the survey's stored summary; anything else adds up the rollups
    (or counts live) here.
    """
    summary = summaries.survey_summary_for(filters=filters, period=period)
    if summary is not None:
        return _overview(
            period=period,
            series=summaries.summary_series(summary)[-periods:],
            funnel=summary["funnel"],
            distribution=summaries.summary_distribution(summary),
            themes=summaries.summary_themes(summary),
            loop=loop_metrics.loop_metrics(filters=filters, totals=summary["loop"]),
            touchpoints=touchpoint_overview(filters=filters),
        )
    return _overview(
        period=period,
        series=metrics.metrics_by_period(filters=filters, period=period)[-periods:],
        funnel=metrics.funnel(filters=filters),
        distribution=metrics.score_distribution(filters=filters),
        themes=metrics.top_detractor_themes(filters=filters),
        loop=loop_metrics.loop_metrics(filters=filters),
        touchpoints=touchpoint_overview(filters=filters),
    )


def _overview(
    *,
    period: str,
    series: list[metrics.PeriodMetrics],
    funnel: dict[str, int],
    distribution: dict[int, int],
    themes: list[dict[str, Any]],
    loop: dict[str, Any],
    touchpoints: dict[str, Any],
) -> dict[str, Any]:
    last = series[-1] if series else None
    previous = series[-2] if len(series) > 1 else None
    changes = metrics.metrics_compare(before=previous, after=last) if last else {}
    return {
        "period": period,
        "series": [
            {
                "period": row.period,
                "responses": row.responses,
                "sent": row.sent,
                "nps": row.nps.as_dict(),
                "csat": row.csat.as_dict(),
                "ces": row.ces.as_dict(),
                "response_rate": row.response_rate.as_dict(),
            }
            for row in series
        ],
        "changes": {name: asdict(change) for name, change in changes.items()},
        "funnel": funnel,
        "nps_distribution": distribution,
        "top_detractor_themes": themes,
        "loop": loop,
        "touchpoints": touchpoints,
    }


def touchpoint_overview(*, filters: metrics.MetricFilters) -> dict[str, Any]:
    """NPS, CSAT and CES of each journey stage side by side, with the weakest stage named.

    Nothing to compare when the filters pick one survey or one touchpoint: no query then.
    """
    if filters.survey_id or filters.touchpoint_id:
        return {"rows": [], "weakest": {"nps": None, "csat": None}}
    rows = metrics.metrics_by_touchpoint(filters=filters)
    weakest = {name: metrics.weakest_touchpoint(rows, metric=name) for name in ("nps", "csat")}
    return {
        "rows": [
            {
                "touchpoint": row.touchpoint_id,
                "name": row.name,
                "name_zh": row.name_zh,
                "responses": row.responses,
                "nps": row.nps.as_dict(),
                "csat": row.csat.as_dict(),
                "ces": row.ces.as_dict(),
                "weakest_nps": bool(weakest["nps"]) and weakest["nps"]["touchpoint_id"] == row.touchpoint_id,
                "weakest_csat": bool(weakest["csat"]) and weakest["csat"]["touchpoint_id"] == row.touchpoint_id,
            }
            for row in rows
        ],
        "weakest": weakest,
    }


def overview_charts(overview: dict[str, Any], *, language: str) -> dict[str, str]:
    """SVG charts of an overview, labelled in the active language."""
    labels = [formats.date_format(row["period"], "n/j") for row in overview["series"]]

    def trend(name: str, low: float, high: float, title: str, unit: str = "") -> str:
        points = [
            (label, row[name]["value"], row[name]["low"], row[name]["high"])
            for label, row in zip(labels, overview["series"], strict=True)
        ]
        return charts.line_with_band(points, low=low, high=high, title=title, unit=unit)

    funnel = overview["funnel"]
    distribution = overview["nps_distribution"]
    name_key = "name_zh" if language == "zh-hans" else "name"
    return {
        # Translators: these titles contain a literal percent sign, not a placeholder.
        # xgettext:no-python-format
        "nps": trend("nps", -100, 100, _("NPS by period, with its 95% margin of error")),
        # xgettext:no-python-format
        "csat": trend("csat", 0, 100, _("CSAT (% satisfied) by period, with its 95% interval"), "%"),
        # xgettext:no-python-format
        "ces": trend("ces", 1, 7, _("Customer effort (mean, 1-7) by period, with its 95% interval")),
        "funnel": charts.bars(
            [(_("Sent"), funnel["sent"]), (_("Opened"), funnel["opened"]), (_("Answered"), funnel["answered"])],
            title=_("Response funnel"),
        ),
        "distribution": charts.bars(
            [(str(score), distribution.get(score, 0)) for score in range(11)], title=_("NPS score distribution")
        ),
        "themes": charts.bars(
            [(theme[name_key] or theme["name"], theme["n"]) for theme in overview["top_detractor_themes"]],
            title=_("Top themes among detractors"),
        ),
        **touchpoint_charts(overview["touchpoints"], language=language),
    }


def touchpoint_charts(touchpoints: dict[str, Any], *, language: str) -> dict[str, str]:
    """NPS and CSAT per journey stage, each with its 95% interval; the weakest stage stands out."""
    rows = touchpoints["rows"]
    if not rows:
        return {}

    def label(row: dict[str, Any]) -> str:
        if row["touchpoint"] is None:
            return _("No touchpoint")
        return (row["name_zh"] if language == "zh-hans" and row["name_zh"] else row["name"]) or "-"

    def points(name: str) -> list[tuple[str, float | None, float | None, float | None, bool]]:
        return [
            (label(row), row[name]["value"], row[name]["low"], row[name]["high"], row[f"weakest_{name}"])
            for row in rows
        ]

    # Translators: these titles contain a literal percent sign, not a placeholder.
    # xgettext:no-python-format
    nps_title = _("NPS by touchpoint, 95% margins")
    # xgettext:no-python-format
    csat_title = _("CSAT (% satisfied) by touchpoint, 95% intervals")
    return {
        "touchpoint_nps": charts.estimates(points("nps"), low=-100, high=100, title=nps_title),
        "touchpoint_csat": charts.estimates(points("csat"), low=0, high=100, title=csat_title, unit="%"),
    }
