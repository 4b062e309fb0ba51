"""The feedback inbox in admin: filters, the response page, and a spreadsheet-safe CSV export."""

import csv
import io
from typing import Any

import pytest
from django.test import Client

from feedback import routing, tagging
from feedback.export import spreadsheet_safe
from feedback.models import Answer, SurveyResponse, Theme
from surveys.models import Segment
from tests.conftest import make_contact, make_invitation, make_survey

pytestmark = pytest.mark.django_db


def answered(score: int, text: str, *, language: str = "en", **contact: Any) -> SurveyResponse:
    invitation = make_invitation(survey=make_survey(), contact=make_contact(language=language, **contact))
    client, path = Client(), f"/s/{invitation.token}/"
    client.post(path, {"page": "1", "q_nps": str(score)})
    client.post(
        path, {"page": "2", ("q_disappointed" if score <= 6 else "q_improve" if score <= 8 else "q_loved"): text}
    )
    client.post(path, {"page": "3"})
    tagging.answers_tag(answer_ids=Answer.objects.values_list("pk", flat=True))
    response = SurveyResponse.objects.get(invitation=invitation)
    routing.response_route(response_id=response.pk)  # what the completion task does after commit
    return response


@pytest.fixture
def inbox() -> dict[str, SurveyResponse]:
    Theme.objects.all().delete()
    Theme.objects.create(name="Billing", keywords=["invoice"])
    return {
        "angry": answered(2, "The invoice was wrong again and support never called back.", attributes={"plan": "pro"}),
        "happy": answered(10, "Wonderful service, thank you!"),
        "chinese": answered(5, "等了四十分钟才有人接电话", language="zh-hans"),
    }


def listed(admin_client: Client, **params: str) -> set[int]:
    page = admin_client.get("/admin/feedback/surveyresponse/", params)
    return {row.pk for row in page.context["cl"].result_list}


def test_the_inbox_filters_by_score_group_sentiment_theme_language_and_segment(
    admin_client: Client, inbox: dict[str, SurveyResponse]
) -> None:
    segment = Segment.objects.create(name="Pro", rules=[{"field": "attributes.plan", "op": "eq", "value": "pro"}])
    angry, happy, chinese = inbox["angry"].pk, inbox["happy"].pk, inbox["chinese"].pk
    billing = Theme.objects.get(name="Billing").pk

    assert listed(admin_client, score_group="detractor") == {angry, chinese}
    assert listed(admin_client, score_group="promoter") == {happy}
    assert listed(admin_client, sentiment="negative") == {angry, chinese}
    assert listed(admin_client, theme=str(billing)) == {angry}
    assert listed(admin_client, language__exact="zh-hans") == {chinese}
    assert listed(admin_client, segment=str(segment.pk)) == {angry}
    assert listed(admin_client, q="invoice") == {angry}
    assert listed(admin_client, follow_up__status__exact="new") == {angry, chinese}


def test_the_response_page_shows_every_answer_with_its_sentiment_and_themes(
    admin_client: Client, inbox: dict[str, SurveyResponse]
) -> None:
    page = admin_client.get(f"/admin/feedback/surveyresponse/{inbox['angry'].pk}/change/").content.decode()

    assert "The invoice was wrong again" in page
    assert "Negative" in page
    assert "Billing" in page


def test_the_csv_export_neutralises_formulas_and_keeps_chinese_and_newlines(admin_client: Client) -> None:
    response = answered(3, '=HYPERLINK("http://evil")\n第二行, "quoted"', language="zh-hans")

    export = admin_client.post(
        "/admin/feedback/surveyresponse/", {"action": "export_csv", "_selected_action": [response.pk]}
    )

    content = b"".join(export.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    assert rows[0][:3] == ["response", "survey", "status"]
    text_row = next(row for row in rows if row[8] == "disappointed")
    assert text_row[9] == '\'=HYPERLINK("http://evil")\n第二行, "quoted"'


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+33", "'+33"),
        ("-2", "'-2"),
        ("@SUM", "'@SUM"),
        ("\tx", "'\tx"),
        ("fine", "fine"),
        (None, ""),
    ],
)
def test_spreadsheet_safe_cells(cell: Any, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_staff_tag_an_answer_by_hand(admin_client: Client, inbox: dict[str, SurveyResponse]) -> None:
    answer = Answer.objects.get(response=inbox["happy"], question__key="loved")
    praise = Theme.objects.create(name="Praise")
    path = f"/admin/feedback/answer/{answer.pk}/change/"
    data = {
        "answer_themes-TOTAL_FORMS": "1",
        "answer_themes-INITIAL_FORMS": "0",
        "answer_themes-0-theme": str(praise.pk),
        "answer_themes-0-answer": str(answer.pk),
    }

    saved = admin_client.post(path, data)

    assert saved.status_code == 302
    link = answer.answer_themes.get()
    assert (link.theme, link.source) == (praise, "manual")
