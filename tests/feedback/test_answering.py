"""The answering service: saving pages, completing, idempotency, versions, statement budget."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.answering import PageInvalid, SurveyNotOpen, response_save_page
from feedback.models import Answer, SurveyResponse
from surveys import services
from tests.conftest import make_invitation, make_survey, make_ten_question_survey
from tests.survey_data import TEN_ANSWERS

pytestmark = pytest.mark.django_db


def save(invitation: Any, page: int, language: str = "en", **answers: str | list[str]) -> Any:
    data = {f"q_{key}": value if isinstance(value, list) else [value] for key, value in answers.items()}
    return response_save_page(token=invitation.token, page=page, data=data, language=language)


def test_it_completes_a_ten_question_page_in_two_statements_and_one_transaction() -> None:
    invitation = make_invitation(survey=make_ten_question_survey())

    with CaptureQueriesContext(connection) as queries:
        saved = response_save_page(token=invitation.token, page=1, data=TEN_ANSWERS, language="en")

    assert saved.completed is True
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2, statements
    response = SurveyResponse.objects.get(invitation=invitation)
    assert response.status == "completed"
    assert response.score == 9
    stored = {a.question.key: a.display_value() for a in response.answers.select_related("question")}
    assert stored == {
        "nps": "9",
        "csat": "4",
        "ces": "6",
        "stars": "5",
        "plan": "Paid",
        "used": "Web, API",
        "role": "Ops lead",
        "best": "Fast support",
        "worst": "Slow exports",
        "else": "Keep going",
    }
    invitation.refresh_from_db()
    assert invitation.responded_at == response.completed_at


def test_a_resubmitted_page_replaces_its_answers_and_keeps_their_tagging_columns() -> None:
    # Given a survey whose first page was saved and its free text tagged
    survey = services.survey_create(
        name="Two pages",
        content={"title_en": "Two"},
        questions=[
            {"key": "why", "kind": "long_text", "text_en": "Why?", "page": 1},
            {"key": "score", "kind": "nps", "text_en": "Score?", "page": 2},
        ],
    )
    services.survey_publish(survey=survey)
    invitation = make_invitation(survey=survey)
    save(invitation, 1, why="Slow exports")
    Answer.objects.filter(question__key="why").update(sentiment="negative", text_language="en")

    # When the respondent goes back and changes the text
    saved = save(invitation, 1, why="Slow exports and invoices")

    # Then the one answer row holds the new text, the tagging columns are untouched, the response is still open
    answer = Answer.objects.get(response__invitation=invitation)
    assert (answer.text, answer.sentiment, answer.text_language) == ("Slow exports and invoices", "negative", "en")
    assert saved.completed is False
    invitation.refresh_from_db()
    assert invitation.responded_at is None


def test_it_saves_each_page_so_a_survey_can_be_resumed() -> None:
    invitation = make_invitation()

    first = save(invitation, 1, nps="3")

    assert first.completed is False
    assert first.next_page == 2
    response = SurveyResponse.objects.get(invitation=invitation)
    assert (response.status, response.current_page, response.score) == ("in_progress", 2, 3)
    invitation.refresh_from_db()
    assert invitation.responded_at is None


def test_it_follows_the_branch_of_the_score() -> None:
    invitation = make_invitation()
    save(invitation, 1, nps="3")

    with pytest.raises(PageInvalid) as invalid:
        save(invitation, 2, loved="Everything")

    assert invalid.value.errors[""].code == "unknown_question"
    save(invitation, 2, disappointed="Slow support")
    done = save(invitation, 3, may_contact="yes")
    assert done.completed is True
    keys = set(Answer.objects.filter(response__invitation=invitation).values_list("question__key", flat=True))
    assert keys == {"nps", "disappointed", "may_contact"}


def test_changing_an_earlier_score_drops_answers_the_new_branch_hides() -> None:
    invitation = make_invitation()
    save(invitation, 1, nps="3")
    save(invitation, 2, disappointed="Slow support")

    save(invitation, 1, nps="10")

    keys = set(Answer.objects.filter(response__invitation=invitation).values_list("question__key", flat=True))
    assert keys == {"nps"}
    assert SurveyResponse.objects.get(invitation=invitation).score == 10


def test_a_completed_response_is_never_changed_by_a_second_submission() -> None:
    invitation = make_invitation(survey=make_ten_question_survey())
    response_save_page(token=invitation.token, page=1, data=TEN_ANSWERS, language="en")

    again = response_save_page(token=invitation.token, page=1, data={**TEN_ANSWERS, "q_nps": ["0"]}, language="zh-hans")

    assert again.completed is True
    response = SurveyResponse.objects.get(invitation=invitation)
    assert (response.score, response.language) == (9, "en")
    assert Answer.objects.get(response=response, question__key="nps").number == 9
    assert SurveyResponse.objects.count() == 1


def test_an_invalid_page_saves_nothing_and_keeps_earlier_pages() -> None:
    invitation = make_invitation()
    save(invitation, 1, nps="2")

    with pytest.raises(PageInvalid):
        save(invitation, 2, disappointed="x", may_contact="maybe")

    response = SurveyResponse.objects.get(invitation=invitation)
    assert list(response.answers.values_list("question__key", "number")) == [("nps", 2)]


def test_it_refuses_answers_to_a_closed_survey() -> None:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    services.survey_close(survey=survey)

    with pytest.raises(SurveyNotOpen):
        save(invitation, 1, nps="9")

    assert not SurveyResponse.objects.exists()


def test_answers_keep_pointing_to_the_question_text_they_answered() -> None:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    save(invitation, 1, nps="8")
    questions = [
        {"key": "nps", "kind": "nps", "text_en": "Would you recommend our new app?", "page": 1, "required": True}
    ]

    services.survey_questions_replace(survey=survey, questions=questions)

    answer = Answer.objects.select_related("question").get(response__invitation=invitation)
    assert answer.question.text_en == "How likely are you to recommend us to a friend or colleague?"
    assert answer.question.version == 1
    survey.refresh_from_db()
    assert survey.version == 2
    assert list(survey.current_questions().values_list("text_en", flat=True)) == ["Would you recommend our new app?"]


def test_a_response_started_on_an_old_version_finishes_on_it() -> None:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    save(invitation, 1, nps="4")
    services.survey_version_fork(survey=survey)

    save(invitation, 2, disappointed="Billing errors")

    answer = Answer.objects.select_related("question").get(question__key="disappointed")
    assert answer.question.version == 1
