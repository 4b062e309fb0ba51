"""Concurrent submissions on PostgreSQL: one invitation never gets two responses."""

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from feedback.models import Answer, SurveyResponse
from tests.conftest import make_invitation, make_ten_question_survey
from tests.survey_data import TEN_ANSWERS

pytestmark = pytest.mark.django_db(transaction=True)

SUBMITTERS = 8


def submit_all_at_once(path: str, forms: list[dict[str, Any]]) -> list[int]:
    """POST each form from its own thread and connection, all released by one barrier."""
    barrier = threading.Barrier(len(forms))
    statuses: list[int] = []

    def submit(form: dict[str, Any]) -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            statuses.append(client.post(path, form).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_simultaneous_submissions_of_one_link_store_exactly_one_response() -> None:
    invitation = make_invitation(survey=make_ten_question_survey())
    forms = [{**TEN_ANSWERS, "q_nps": [str(score)]} for score in range(SUBMITTERS)]

    statuses = submit_all_at_once(f"/s/{invitation.token}/", forms)

    assert statuses == [302] * SUBMITTERS
    response = SurveyResponse.objects.get()
    assert response.status == "completed"
    # The stored answers all come from the one submission that won, never a mix.
    assert Answer.objects.get(response=response, question__key="nps").number == response.score
    assert Answer.objects.filter(response=response).count() == 10


def test_two_tabs_finishing_a_multi_page_survey_complete_it_once() -> None:
    invitation = make_invitation()
    client = Client()
    client.post(f"/s/{invitation.token}/", {"page": "1", "q_nps": "9"})
    client.post(f"/s/{invitation.token}/", {"page": "2", "q_loved": "Speed"})
    forms = [{"page": "3", "q_may_contact": choice} for choice in ["yes", "no"] * (SUBMITTERS // 2)]

    statuses = submit_all_at_once(f"/s/{invitation.token}/", forms)

    assert statuses == [302] * SUBMITTERS
    assert SurveyResponse.objects.filter(status="completed").count() == 1
    assert Answer.objects.filter(question__key="may_contact").count() == 1
    invitation.refresh_from_db()
    assert invitation.responded_at == SurveyResponse.objects.get().completed_at
