"""The hostile corpus against the public pages: answering, anonymous links, status and unsubscribe.

Nothing answers 500; text is stored as text (control characters dropped, capped) and shown
escaped; what does not fit a question is explained on the page and saves nothing.
"""

from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from feedback.models import Answer, SurveyResponse
from surveys import rules
from surveys.links import Link, LinkKind
from surveys.models import Invitation
from tests import hostile
from tests.conftest import make_contact, make_invitation, make_survey, make_ten_question_survey
from tests.survey_data import TEN_ANSWERS

pytestmark = pytest.mark.django_db

TEXT_FIELDS = {"q_role": rules.SHORT_TEXT_MAX_LENGTH, "q_best": 5000, "q_worst": 5000, "q_else": 5000}


def opened(client: Client, invitation: Invitation) -> str:
    """Open the email link; returns the link's page."""
    client.get(f"/s/{invitation.token}/")
    return Link(LinkKind.INVITATION, invitation.token).path


def stored(value: str, limit: int) -> str:
    return "".join(ch for ch in value if ch >= " " or ch in "\n\t").strip()[:limit]


@pytest.mark.parametrize("value", hostile.TEXTS, ids=lambda value: repr(value[:24]))
def test_hostile_free_text_is_stored_as_text_and_shown_escaped(client: Client, value: str) -> None:
    invitation = make_invitation(survey=make_ten_question_survey())
    page = opened(client, invitation)

    saved = client.post(page, {**TEN_ANSWERS, **dict.fromkeys(TEXT_FIELDS, value)})
    thanks = client.get(saved["Location"])

    assert saved.status_code == 302
    assert thanks.status_code == 200
    texts = dict(Answer.objects.filter(text__gt="").values_list("question__key", "text"))
    assert texts == {field[2:]: stored(value, limit) for field, limit in TEXT_FIELDS.items() if stored(value, limit)}


@pytest.mark.parametrize("value", hostile.TEXTS, ids=lambda value: repr(value[:24]))
def test_a_hostile_answer_sent_back_with_a_mistake_is_shown_escaped_in_the_form(client: Client, value: str) -> None:
    invitation = make_invitation(survey=make_ten_question_survey())
    page = opened(client, invitation)

    refused = client.post(page, {**TEN_ANSWERS, "q_nps": "", "q_best": value, "q_role": value})

    assert refused.status_code == 400
    assert "Please answer this question." in refused.content.decode()
    hostile.assert_escaped(refused.content.decode(), value)
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("value", [*hostile.TEXTS, *hostile.WRONG_SCORE_STRINGS], ids=lambda value: repr(value[:24]))
def test_anything_but_a_score_or_an_offered_choice_is_explained_and_saves_nothing(client: Client, value: str) -> None:
    invitation = make_invitation(survey=make_ten_question_survey())
    page = opened(client, invitation)

    answers = [
        client.post(page, {**TEN_ANSWERS, field: value})
        for field in ("q_nps", "q_csat", "q_ces", "q_stars", "q_plan", "q_used")
    ]

    assert [answer.status_code for answer in answers] == [400] * 6
    for answer in answers:
        assert "Please" in answer.content.decode()
        hostile.assert_escaped(answer.content.decode(), value)
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("value", hostile.TEXTS, ids=lambda value: repr(value[:24]))
def test_hostile_page_language_and_unknown_fields_never_break_the_page(client: Client, value: str) -> None:
    invitation = make_invitation(survey=make_ten_question_survey())
    page = opened(client, invitation)

    answers = [
        client.post(page, {**TEN_ANSWERS, "page": value}),
        client.post(page, {**TEN_ANSWERS, "lang": value}),
        client.post(page, {**TEN_ANSWERS, f"q_{value[:200]}": value}),
        client.post(page, {**TEN_ANSWERS, value[:200]: value}),
    ]

    assert all(answer.status_code in {302, 400} for answer in answers), [a.status_code for a in answers]
    for answer in answers:
        hostile.assert_escaped(answer.content.decode(), value)


@pytest.mark.parametrize("value", hostile.TEXTS, ids=lambda value: repr(value[:24]))
def test_hostile_query_parameters_on_the_pages_are_refused_or_ignored(client: Client, value: str) -> None:
    invitation = make_invitation(survey=make_survey(anonymous_link_enabled=True))
    page = opened(client, invitation)
    query = {"score": value, "lang": value, "page": value, value[:200]: value}

    answers = [
        client.get(page, query),
        client.get(f"/s/{invitation.token}/", query),
        client.get(f"{page}thanks/", query),
        client.get(f"{page}status/", query),
        # Fresh clients: the test client, unlike a browser, sends every cookie to every path.
        Client().get(f"/a/{invitation.survey.anonymous_token}/", query),
        Client().get(f"/u/{invitation.token}/", query),
    ]

    # A redirect that carries the query on is refused (400) once its URL passes 2,048 characters.
    carried = 400 if len(urlencode(query)) > 2048 else 302
    expected = [400, carried, 302, 302, carried, carried] if "\x00" not in value else [400] * 6
    assert [answer.status_code for answer in answers] == expected
    for answer in answers:
        hostile.assert_escaped(answer.content.decode(), value)
        assert value not in answer.get("Location", "") or value.isalnum()


@pytest.mark.parametrize("value", hostile.TEXTS, ids=lambda value: repr(value[:24]))
@pytest.mark.parametrize("prefix", ["/s/", "/a/", "/u/", "/r/", "/digests/", "/digests/unsubscribe/"])
def test_a_hostile_token_in_the_address_gets_a_friendly_page(client: Client, prefix: str, value: str) -> None:
    for method in ("get", "post"):
        answer = getattr(client, method)(prefix + quote(value[:2000], safe="") + "/")

        assert answer.status_code in {400, 404, 405}, (method, answer.status_code)
        hostile.assert_escaped(answer.content.decode(), value)


def test_a_ten_megabyte_body_is_refused_with_a_friendly_page_and_saved_answers_stay(client: Client) -> None:
    invitation = make_invitation(contact=make_contact())
    page = opened(client, invitation)
    client.post(page, {"page": "1", "q_nps": "3"})

    huge = client.post(page, {"page": "2", "q_disappointed": "x" * hostile.TEN_MB})

    assert huge.status_code == 400
    assert "What was sent is too large" in huge.content.decode()
    assert list(Answer.objects.values_list("question__key", "number")) == [("nps", 3)]


def test_a_body_with_too_many_fields_is_refused_with_a_friendly_page(client: Client) -> None:
    invitation = make_invitation()
    page = opened(client, invitation)

    crowded = client.post(page, {f"q_{n}": "x" for n in range(5000)})

    assert crowded.status_code == 400
    assert "What was sent is too large" in crowded.content.decode()


def test_a_multipart_body_with_a_file_is_treated_like_a_form(client: Client) -> None:
    invitation = make_invitation()
    page = opened(client, invitation)
    upload = hostile.SCRIPT.encode() * 1000

    answer = client.post(page, {"page": "1", "q_nps": "9", "q_file": ("evil.html", upload)})

    assert answer.status_code in {302, 400}


def test_a_hostile_anonymous_answer_is_stored_as_text(client: Client) -> None:
    survey = make_survey(anonymous_link_enabled=True)
    page = client.get(f"/a/{survey.anonymous_token}/")["Location"]

    first = client.post(page, {"q_nps": hostile.ATTRIBUTE_BREAKER})
    second = client.post(page, {"q_nps": "2"})
    third = client.post(second["Location"], {"page": "2", "q_disappointed": hostile.ATTRIBUTE_BREAKER})

    assert (first.status_code, second.status_code, third.status_code) == (400, 302, 302)
    assert Answer.objects.get(question__key="disappointed").text == hostile.ATTRIBUTE_BREAKER
    hostile.assert_escaped(first.content.decode(), hostile.ATTRIBUTE_BREAKER)


@pytest.mark.parametrize("body", [b"q_nps=%FF%FE&page=1", b"q_nps=9&page=1&lang=%C0%AF", b"\xff\xfe\x00garbage"])
def test_a_form_body_that_is_not_utf8_is_refused_or_saved_as_replacement_text(client: Client, body: bytes) -> None:
    invitation = make_invitation()
    page = opened(client, invitation)

    answer = client.post(page, body, content_type="application/x-www-form-urlencoded")

    assert answer.status_code in {302, 400}
