"""Metrics from the database: exact counts, margins, comparisons, the dashboard and the API."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from feedback import metrics, rollups, summaries
from feedback.answering import response_save_page
from feedback.dashboard import metrics_overview
from feedback.models import SurveyResponse, SurveySummary
from surveys import services
from surveys.models import Survey
from tests.conftest import make_contact, make_invitation
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

JANUARY, FEBRUARY = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 2, 15, tzinfo=UTC)


def make_scored_survey() -> Survey:
    questions = [
        {"key": "nps", "kind": "nps", "text_en": "Recommend?", "position": 0},
        {"key": "csat", "kind": "csat", "text_en": "Satisfied?", "position": 1},
        {"key": "ces", "kind": "ces", "text_en": "Easy?", "position": 2},
    ]
    survey = services.survey_create(name="Scores", content={"title_en": "Scores"}, questions=questions)
    return services.survey_publish(survey=survey)


def answer(survey: Survey, *, nps: int, csat: int, ces: int, when: datetime, language: str = "en") -> None:
    invitation = make_invitation(survey=survey, contact=make_contact(language=language))
    data = {"q_nps": [str(nps)], "q_csat": [str(csat)], "q_ces": [str(ces)]}
    saved = response_save_page(token=invitation.token, page=1, data=data, language=language)
    SurveyResponse.objects.filter(pk=saved.response_id).update(completed_at=when)


@pytest.fixture
def scored() -> Survey:
    survey = make_scored_survey()
    for nps, csat, ces in [(10, 5, 7), (9, 4, 6), (7, 3, 5), (3, 1, 2)]:
        answer(survey, nps=nps, csat=csat, ces=ces, when=JANUARY)
    for nps, csat, ces in [(10, 5, 7), (10, 5, 6), (9, 4, 6), (2, 2, 3), (8, 4, 5)]:
        answer(survey, nps=nps, csat=csat, ces=ces, when=FEBRUARY, language="zh-hans")
    rollups.rollups_rebuild()
    return survey


def test_it_computes_each_period_in_a_fixed_number_of_queries(
    scored: Survey, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        rows = metrics.metrics_by_period(filters=metrics.MetricFilters(survey_id=scored.pk, live=True), period="month")

    assert [row.period.month for row in rows] == [1, 2]
    january, february = rows
    assert (january.nps.value, january.nps.n) == (25.0, 4)
    assert february.nps.value == pytest.approx(40.0)
    assert january.csat.value == 50.0
    assert february.ces.value == pytest.approx(5.4)
    assert january.responses == 4
    assert january.nps.small_sample is True


def test_filters_by_language(scored: Survey) -> None:
    rows = metrics.metrics_by_period(filters=metrics.MetricFilters(survey_id=scored.pk, language="zh-hans"))

    assert [(row.period.month, row.nps.n) for row in rows] == [(2, 5)]


def test_the_last_period_is_compared_with_the_one_before(scored: Survey) -> None:
    january, february = metrics.metrics_by_period(filters=metrics.MetricFilters(survey_id=scored.pk))

    changes = metrics.metrics_compare(before=january, after=february)

    assert changes["nps"].delta == pytest.approx(15.0)
    assert changes["nps"].significant is False
    assert changes["responses"].delta == 1.0


def test_the_score_distribution_counts_each_score(scored: Survey) -> None:
    distribution = metrics.score_distribution(filters=metrics.MetricFilters(survey_id=scored.pk))

    assert distribution == {10: 3, 9: 2, 8: 1, 7: 1, 3: 1, 2: 1}


@pytest.fixture
def api(admin_user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(admin_user)}")
    return client


def test_the_metrics_api_returns_estimates_with_their_margins(api: APIClient, scored: Survey) -> None:
    answer_ = api.get("/api/v1/metrics/", {"survey": scored.pk, "period": "month"})

    body = answer_.json()
    assert answer_.status_code == 200
    assert [row["nps"]["n"] for row in body["series"]] == [4, 5]
    assert body["series"][0]["nps"]["margin"] == pytest.approx(25.0 - body["series"][0]["nps"]["low"])
    assert body["changes"]["nps"]["significant"] is False
    assert body["nps_distribution"]["10"] == 3


def test_bad_metric_parameters_get_field_messages(api: APIClient) -> None:
    answer_ = api.get("/api/v1/metrics/", {"period": "fortnight", "since": "soon", "survey": 999999})

    assert answer_.status_code == 400
    assert set(answer_.json()) == {"period", "since", "survey"}


def test_the_dashboard_shows_trends_with_bands_in_english_and_chinese(admin_client: Client, scored: Survey) -> None:
    english = admin_client.get("/staff/dashboard/", {"survey": scored.pk, "period": "month"})
    chinese = admin_client.get("/staff/dashboard/", {"survey": scored.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    page = english.content.decode()
    assert english.status_code == 200
    assert "<polygon" in page and "<polyline" in page
    assert "NPS by period, with its 95% margin of error" in page
    assert "small sample" in page
    assert "响应率" in chinese.content.decode() or "回复率" in chinese.content.decode()


def test_the_dashboard_is_for_staff_only_and_explains_bad_filters(admin_client: Client) -> None:
    assert Client().get("/staff/dashboard/").status_code == 302

    page = admin_client.get("/staff/dashboard/", {"period": "fortnight"})

    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()


def series(filters: metrics.MetricFilters) -> list[tuple[Any, ...]]:
    return [
        (row.period, row.nps.value, row.nps.n, row.csat.value, row.ces.value, row.responses, row.sent)
        for row in metrics.metrics_by_period(filters=filters, period="month")
    ]


def test_the_rollups_give_exactly_what_counting_live_gives(scored: Survey) -> None:
    for language in (None, "en", "zh-hans"):
        from_rollups = metrics.MetricFilters(survey_id=scored.pk, language=language)
        live = metrics.MetricFilters(survey_id=scored.pk, language=language, live=True)

        assert series(from_rollups) == series(live)
        assert metrics.score_distribution(filters=from_rollups) == metrics.score_distribution(filters=live)
        assert metrics.funnel(filters=from_rollups) == metrics.funnel(filters=live)


def test_a_late_response_lands_in_its_own_day_once_the_tick_refreshes(scored: Survey) -> None:
    answer(scored, nps=0, csat=1, ces=1, when=JANUARY)
    late = SurveyResponse.objects.order_by("-pk").first()
    rollups.rollup_mark_responses(response_ids=[late.pk])

    rollups.rollups_refresh_dirty()

    january = metrics.metrics_by_period(filters=metrics.MetricFilters(survey_id=scored.pk))[0]
    assert (january.nps.n, january.counts["detractors"]) == (5, 2)
    assert series(metrics.MetricFilters(survey_id=scored.pk)) == series(
        metrics.MetricFilters(survey_id=scored.pk, live=True)
    )


def test_an_erased_response_leaves_the_rollups_once_its_day_is_refreshed(scored: Survey) -> None:
    gone = SurveyResponse.objects.filter(completed_at=FEBRUARY).first()
    rollups.rollup_mark_responses(response_ids=[gone.pk])
    gone.delete()

    rollups.rollups_refresh_dirty()

    february = metrics.metrics_by_period(filters=metrics.MetricFilters(survey_id=scored.pk))[1]
    assert february.nps.n == 4
    assert series(metrics.MetricFilters(survey_id=scored.pk)) == series(
        metrics.MetricFilters(survey_id=scored.pk, live=True)
    )


def test_a_surveys_summary_gives_its_dashboard_exactly_what_its_rollups_give(
    scored: Survey, django_assert_num_queries: Any
) -> None:
    # Given a late January answer, counted by the tick that also refreshes the survey's summary
    answer(scored, nps=0, csat=1, ces=1, when=JANUARY)
    rollups.rollup_mark_responses(response_ids=[SurveyResponse.objects.order_by("-pk").first().pk])
    rollups.rollups_refresh_dirty()
    whole_survey = metrics.MetricFilters(survey_id=scored.pk)

    # When the dashboard reads the summary (one row, then the live follow-up queries), and then the rollups
    with django_assert_num_queries(3):
        from_summary = metrics_overview(filters=whole_survey, period="month")
    SurveySummary.objects.filter(survey=scored).delete()
    from_rollups = metrics_overview(filters=whole_survey, period="month")

    # Then both agree, and both count the late answer
    assert from_summary == from_rollups
    assert [row["nps"]["n"] for row in from_summary["series"]] == [5, 5]
    assert from_summary["nps_distribution"][0] == 1


def test_a_summary_is_only_used_for_a_whole_survey_by_month(scored: Survey) -> None:
    rollups.rollups_refresh_dirty()

    assert summaries.survey_summary_for(filters=metrics.MetricFilters(survey_id=scored.pk), period="month")
    for filters, period in [
        (metrics.MetricFilters(survey_id=scored.pk), "week"),
        (metrics.MetricFilters(survey_id=scored.pk, language="en"), "month"),
        (metrics.MetricFilters(survey_id=scored.pk, since=JANUARY.replace(day=1, hour=0)), "month"),
        (metrics.MetricFilters(survey_id=scored.pk, live=True), "month"),
        (metrics.MetricFilters(), "month"),
    ]:
        assert summaries.survey_summary_for(filters=filters, period=period) is None
