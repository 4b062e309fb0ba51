"""Journey stages: metrics, the dashboard, the API and digests cut by touchpoint, the weakest named."""

from datetime import UTC, date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from feedback import metrics, rollups
from feedback.answering import response_save_page
from feedback.digests import DigestFilters, digest_content
from feedback.models import SurveyResponse
from surveys import services
from surveys.models import Survey, Touchpoint
from tests.conftest import make_contact, make_invitation
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 10, 12, tzinfo=UTC)


def make_stage_survey(touchpoint: str) -> Survey:
    questions = [
        {"key": "nps", "kind": "nps", "text_en": "Recommend?", "position": 0},
        {"key": "csat", "kind": "csat", "text_en": "Satisfied?", "position": 1},
    ]
    survey = services.survey_create(
        name=touchpoint,
        content={"title_en": touchpoint, "touchpoint": Touchpoint.objects.get(key=touchpoint)},
        questions=questions,
    )
    return services.survey_publish(survey=survey)


def answer(survey: Survey, *, nps: int, csat: int) -> None:
    invitation = make_invitation(survey=survey, contact=make_contact())
    data = {"q_nps": [str(nps)], "q_csat": [str(csat)]}
    saved = response_save_page(token=invitation.token, page=1, data=data, language="en")
    SurveyResponse.objects.filter(pk=saved.response_id).update(completed_at=WHEN)


@pytest.fixture
def stages() -> dict[str, Survey]:
    onboarding, support = make_stage_survey("onboarding"), make_stage_survey("support")
    for nps, csat in [(10, 5), (9, 5), (9, 4), (8, 4), (10, 5)]:
        answer(onboarding, nps=nps, csat=csat)
    for nps, csat in [(2, 1), (3, 2), (9, 4), (1, 1)]:
        answer(support, nps=nps, csat=csat)
    rollups.rollups_rebuild()
    return {"onboarding": onboarding, "support": support}


def test_each_touchpoint_gets_its_own_nps_and_csat_and_the_weakest_is_named(stages: dict[str, Survey]) -> None:
    from_rollups = metrics.metrics_by_touchpoint(filters=metrics.MetricFilters())
    live = metrics.metrics_by_touchpoint(filters=metrics.MetricFilters(live=True))

    def shape(rows: list[metrics.TouchpointMetrics]) -> list[tuple[Any, ...]]:
        return [(row.name, row.responses, row.nps.value, row.nps.n, row.csat.value) for row in rows]

    assert (
        shape(from_rollups)
        == shape(live)
        == [
            ("Onboarding", 5, 80.0, 5, 100.0),
            ("Support", 4, -50.0, 4, 25.0),
        ]
    )
    weakest = metrics.weakest_touchpoint(from_rollups)
    assert weakest is not None
    assert weakest["touchpoint_id"] == stages["support"].touchpoint_id
    assert weakest["gap"] == pytest.approx(-130.0)
    assert weakest["significant"] is True


def test_every_metric_can_be_cut_by_touchpoint(stages: dict[str, Survey]) -> None:
    support = stages["support"].touchpoint_id

    for live in (False, True):
        filters = metrics.MetricFilters(touchpoint_id=support, live=live)
        (row,) = metrics.metrics_by_period(filters=filters)
        assert (row.nps.n, row.nps.value) == (4, -50.0)
        assert metrics.score_distribution(filters=filters) == {2: 1, 3: 1, 9: 1, 1: 1}


def test_the_dashboard_shows_touchpoints_side_by_side_with_margins(
    admin_client: Client, stages: dict[str, Survey]
) -> None:
    page = admin_client.get("/staff/dashboard/")
    filtered = admin_client.get("/staff/dashboard/", {"touchpoint": stages["onboarding"].touchpoint_id})

    body = page.content.decode()
    assert page.status_code == 200
    assert "By touchpoint" in body and "weakest" in body
    assert "NPS by touchpoint, 95% margins" in body
    assert "Support: -50.0 (" in body  # the chart's text alternative, with the interval
    assert filtered.status_code == 200
    assert admin_client.get("/staff/dashboard/", {"touchpoint": "nope"}).status_code == 400


def test_the_metrics_api_filters_by_touchpoint_and_lists_the_stages(admin_user: Any, stages: dict[str, Survey]) -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(admin_user)}")

    everything = api.get("/api/v1/metrics/").json()
    support = api.get("/api/v1/metrics/", {"touchpoint": stages["support"].touchpoint_id}).json()
    touchpoints = api.get("/api/v1/touchpoints/").json()
    surveys = api.get("/api/v1/surveys/", {"touchpoint": stages["support"].touchpoint_id}).json()

    rows = everything["touchpoints"]["rows"]
    assert [(row["name"], row["weakest_nps"]) for row in rows] == [("Onboarding", False), ("Support", True)]
    assert rows[1]["nps"]["margin"] is not None
    assert [row["nps"]["n"] for row in support["series"]] == [4]
    assert [row["key"] for row in touchpoints["results"]][:2] == ["onboarding", "purchase"]
    assert [row["name"] for row in surveys["results"]] == ["support"]


def test_the_digest_can_show_the_touchpoint_view_and_be_cut_by_touchpoint(stages: dict[str, Survey]) -> None:
    start, end = date(2026, 3, 9), date(2026, 3, 16)

    content = digest_content(filters=DigestFilters(), start=start, end=end)
    only_support = digest_content(
        filters=DigestFilters(touchpoint_ids=(stages["support"].touchpoint_id,)), start=start, end=end
    )
    without = digest_content(filters=DigestFilters(show_touchpoints=False), start=start, end=end)

    assert [(row["name"], row["weakest"]) for row in content["touchpoints"]] == [
        ("Onboarding", False),
        ("Support", True),
    ]
    assert content["touchpoints"][1]["nps"]["value"] == -50.0
    assert only_support["complaints"] == 3 and only_support["touchpoints"] == []  # one stage: nothing to compare
    assert without["touchpoints"] == []


def test_the_digest_command_prints_the_touchpoint_view_and_refuses_an_unknown_touchpoint(
    stages: dict[str, Survey],
) -> None:
    printed = StringIO()

    call_command("digest", "--start", "2026-03-09", "--end", "2026-03-16", stdout=printed)

    assert "By touchpoint:" in printed.getvalue()
    assert "Support: NPS -50.0" in printed.getvalue() and "[weakest]" in printed.getvalue()
    with pytest.raises(CommandError, match="Unknown touchpoint: nowhere"):
        call_command("digest", "--touchpoint", "nowhere", stdout=StringIO())
