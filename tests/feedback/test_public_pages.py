"""The public answering pages: one-click scores, pages, languages, and every kind of bad input."""

import re
from typing import Any

import pytest
from django.test import Client

from feedback.models import Answer, SurveyResponse
from surveys import services
from surveys.links import Link, LinkKind
from surveys.models import Invitation
from tests.conftest import make_contact, make_invitation, make_survey, make_ten_question_survey
from tests.survey_data import TEN_ANSWERS

pytestmark = pytest.mark.django_db


def url(invitation: Invitation) -> str:
    """The token URL of the email."""
    return f"/s/{invitation.token}/"


def page_url(invitation: Invitation) -> str:
    """The URL the email link leads to once its token is in the link cookie."""
    return Link(LinkKind.INVITATION, invitation.token).path


def open_link(client: Client, invitation: Invitation, query: dict[str, str] | None = None) -> Any:
    """Open the email link as a browser does: the token becomes a cookie, then the page is shown."""
    return client.get(url(invitation), query or {}, follow=True)


def post(client: Client, invitation: Invitation, data: dict[str, Any]) -> Any:
    client.get(url(invitation))
    return client.post(page_url(invitation), data)


def test_a_score_link_preselects_the_score_but_saves_nothing(client: Client) -> None:
    invitation = make_invitation()

    page = open_link(client, invitation, {"score": "9"})

    assert page.status_code == 200
    assert page.redirect_chain == [(f"{page_url(invitation)}?score=9", 302)]
    assert 'name="q_nps" value="9" checked' in page.content.decode()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.opened_at is not None


def test_confirming_the_score_saves_it_and_moves_to_the_branch_question(client: Client) -> None:
    invitation = make_invitation()

    answer = post(client, invitation, {"page": "1", "q_nps": "9"})

    assert answer.status_code == 302
    assert answer["Location"] == f"{page_url(invitation)}?lang=en&page=2"
    next_page = client.get(answer["Location"]).content.decode()
    assert "What did you love most?" in next_page
    assert "What disappointed you most?" not in next_page
    assert SurveyResponse.objects.get().score == 9


def test_the_last_page_completes_and_shows_the_thank_you_page_in_the_same_language(client: Client) -> None:
    invitation = make_invitation(contact=make_contact(language="zh-hans"))
    post(client, invitation, {"page": "1", "q_nps": "2"})
    post(client, invitation, {"page": "2", "q_disappointed": "客服太慢了"})

    done = post(client, invitation, {"page": "3", "q_may_contact": "yes"})

    assert done.status_code == 302
    thanks = client.get(done["Location"])
    assert "感谢您的反馈" in thanks.content.decode()
    assert SurveyResponse.objects.get().status == "completed"


def test_a_half_finished_survey_resumes_where_it_was_left(client: Client) -> None:
    invitation = make_invitation()
    post(client, invitation, {"page": "1", "q_nps": "5"})

    later = open_link(client, invitation)

    assert "What disappointed you most?" in later.content.decode()
    assert 'name="page" value="2"' in later.content.decode()


def test_a_completed_link_goes_straight_to_the_thank_you_page(client: Client) -> None:
    invitation = make_invitation(survey=make_ten_question_survey())
    post(client, invitation, TEN_ANSWERS)

    again = open_link(client, invitation)

    assert again.redirect_chain[-1] == (f"{page_url(invitation)}thanks/?lang=en", 302)
    assert "See what becomes of your feedback" in again.content.decode()


def test_the_page_is_in_the_contacts_language(client: Client) -> None:
    invitation = make_invitation(contact=make_contact(language="zh-hans"))

    page = open_link(client, invitation).content.decode()

    assert "您有多大可能向朋友或同事推荐我们？" in page
    assert 'lang="zh-Hans"' in page


def test_without_a_contact_language_the_browser_language_is_used(client: Client) -> None:
    survey = make_survey(anonymous_link_enabled=True)

    page = client.get(f"/a/{survey.anonymous_token}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9", follow=True)

    assert "您有多大可能向朋友或同事推荐我们？" in page.content.decode()


def test_the_language_can_be_switched_on_the_page(client: Client) -> None:
    invitation = make_invitation(contact=make_contact(language="zh-hans"))

    page = open_link(client, invitation, {"lang": "en"}).content.decode()

    assert "How likely are you to recommend us" in page


def test_an_anonymous_link_gives_each_respondent_a_link_of_their_own(client: Client) -> None:
    survey = make_survey(anonymous_link_enabled=True)

    shared = client.get(f"/a/{survey.anonymous_token}/")
    first = client.post(shared["Location"], {"q_nps": "10"})
    client.get(f"/a/{survey.anonymous_token}/")
    second = client.post(shared["Location"], {"q_nps": "0"})

    assert first.status_code == second.status_code == 302
    assert first["Location"] != second["Location"]
    assert sorted(SurveyResponse.objects.values_list("score", flat=True)) == [0, 10]
    assert all(len(token) >= 32 for token in Invitation.objects.values_list("token", flat=True))


def test_a_disabled_anonymous_link_is_not_found(client: Client) -> None:
    survey = make_survey()

    page = client.get(f"/a/{survey.anonymous_token}/")

    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("11", "Please choose a number from 0 to 10."),
        ("-1", "Please choose a number from 0 to 10."),
        ("nine", "Please choose a number."),
        ("", "Please answer this question."),
    ],
)
def test_a_bad_score_is_explained_on_the_page_and_saves_nothing(client: Client, score: str, message: str) -> None:
    invitation = make_invitation()

    page = post(client, invitation, {"page": "1", "q_nps": score})

    assert page.status_code == 400
    assert message in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_bad_score_in_an_email_link_is_explained(client: Client) -> None:
    invitation = make_invitation()

    page = open_link(client, invitation, {"score": "42"})

    assert page.status_code == 400
    assert "Please choose a number from 0 to 10." in page.content.decode()
    assert "checked>" not in page.content.decode()


def test_answers_to_unknown_questions_are_refused(client: Client) -> None:
    invitation = make_invitation()

    page = post(client, invitation, {"page": "1", "q_nps": "9", "q_12345": "hi"})

    assert page.status_code == 400
    assert "not on this page" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_unknown_choice_is_refused_and_earlier_pages_stay_saved(client: Client) -> None:
    invitation = make_invitation()
    post(client, invitation, {"page": "1", "q_nps": "9"})
    post(client, invitation, {"page": "2", "q_loved": "Speed"})

    page = post(client, invitation, {"page": "3", "q_may_contact": "perhaps"})

    assert page.status_code == 400
    assert "Please choose one of the options shown." in page.content.decode()
    keys = sorted(Answer.objects.values_list("question__key", flat=True))
    assert keys == ["loved", "nps"]


def test_over_long_text_is_capped_not_rejected(client: Client, settings: Any) -> None:
    invitation = make_invitation()
    post(client, invitation, {"page": "1", "q_nps": "1"})

    post(client, invitation, {"page": "2", "q_disappointed": "x" * (settings.ANSWER_TEXT_MAX_LENGTH + 500)})

    assert len(Answer.objects.get(question__key="disappointed").text) == settings.ANSWER_TEXT_MAX_LENGTH


def test_script_looking_text_is_stored_as_text_and_shown_escaped(client: Client) -> None:
    invitation = make_invitation()
    post(client, invitation, {"page": "1", "q_nps": "1"})
    post(client, invitation, {"page": "2", "q_disappointed": "<script>alert(1)</script>"})

    page = open_link(client, invitation, {"page": "2"}).content.decode()

    assert Answer.objects.get(question__key="disappointed").text == "<script>alert(1)</script>"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_skipping_ahead_to_a_later_page_goes_back_to_the_current_one(client: Client) -> None:
    invitation = make_invitation()

    jump = post(client, invitation, {"page": "3", "q_may_contact": "yes"})

    assert jump.status_code == 302
    assert jump["Location"] == f"{page_url(invitation)}?lang=en"
    assert not SurveyResponse.objects.exists()


def test_a_non_numeric_page_is_treated_as_the_first(client: Client) -> None:
    invitation = make_invitation()

    page = post(client, invitation, {"page": "abc", "q_nps": "7"})

    assert page.status_code == 302
    assert SurveyResponse.objects.get().score == 7


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_token_shows_a_friendly_not_found_page(client: Client, method: str) -> None:
    page = getattr(client, method)("/s/not-a-real-token-at-all/", {"q_nps": "9"})

    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_closed_survey_shows_the_friendly_not_valid_page_and_saves_nothing(client: Client, method: str) -> None:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    services.survey_close(survey=survey)

    page = getattr(client, method)(url(invitation), {"page": "1", "q_nps": "9"})

    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_survey_closed_half_way_keeps_the_saved_answers_and_says_the_link_no_longer_works(client: Client) -> None:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    post(client, invitation, {"page": "1", "q_nps": "4"})
    services.survey_close(survey=survey)

    page = client.post(page_url(invitation), {"page": "2", "q_disappointed": "Slow"})

    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()
    assert list(Answer.objects.values_list("question__key", "number")) == [("nps", 4)]


def test_a_draft_survey_link_is_not_valid_yet(client: Client) -> None:
    invitation = make_invitation(survey=make_survey(live=False))

    page = client.get(url(invitation))

    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()


def test_the_friendly_pages_exist_in_chinese(client: Client) -> None:
    page = client.get("/s/nope/", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert "此链接无效" in page.content.decode()


def test_public_urls_never_contain_database_ids(client: Client) -> None:
    invitation = make_invitation()

    answer = post(client, invitation, {"page": "1", "q_nps": "9"})

    path, _query = answer["Location"].split("?")
    assert re.fullmatch(r"/r/[0-9a-f]{32}/", path)
    assert path == page_url(invitation)


def test_a_thank_you_page_before_finishing_sends_the_person_back(client: Client) -> None:
    invitation = make_invitation()

    early = client.get(f"{url(invitation)}thanks/", follow=True)

    assert early.redirect_chain == [(f"{page_url(invitation)}thanks/", 302), (f"{page_url(invitation)}?lang=en", 302)]
    assert early.status_code == 200


def test_staff_can_preview_a_survey_and_respondents_cannot(admin_client: Client) -> None:
    survey = make_survey(live=False)

    anonymous = Client().get(f"/staff/surveys/{survey.pk}/preview/")
    preview = admin_client.get(f"/staff/surveys/{survey.pk}/preview/", {"page": "2", "lang": "zh-hans"})

    assert anonymous.status_code == 302
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "很抱歉。最让您失望的是什么？" in body
    assert "谢谢！您最喜欢的是什么？" in body
    assert "<button" not in body


def test_a_nul_byte_in_text_does_not_break_saving(client: Client) -> None:
    invitation = make_invitation()
    post(client, invitation, {"page": "1", "q_nps": "1"})

    answer = post(client, invitation, {"page": "2", "q_disappointed": "bad\x00 service"})

    assert answer.status_code == 302
    assert Answer.objects.get(question__key="disappointed").text == "bad service"
