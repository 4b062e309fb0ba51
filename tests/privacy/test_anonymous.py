"""Anonymous surveys stay anonymous: no link to a contact, no address or browser stored."""

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import IntegrityError
from django.test import Client

from feedback.models import FollowUp, SurveyResponse
from surveys.models import Invitation, Survey
from tests.conftest import make_contact, make_survey
from tests.privacy.conftest import stored_mentions

pytestmark = pytest.mark.django_db

VISITOR = {
    "REMOTE_ADDR": "203.0.113.77",
    "HTTP_X_FORWARDED_FOR": "198.51.100.23",
    "HTTP_USER_AGENT": "ProbeBrowser/9.1 (unique-agent-4471)",
    "HTTP_REFERER": "https://mail.example.com/inbox/message-5521",
}


def test_an_anonymous_answer_is_tied_to_no_one_and_stores_no_address_or_browser(
    chief: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey = make_survey(anonymous_link_enabled=True)
    make_contact(email="someone@example.com")
    client = Client(**VISITOR)

    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"/a/{survey.anonymous_token}/")
        first = client.post(f"/a/{survey.anonymous_token}/", {"q_nps": "1"})
        path = first["Location"].split("?")[0]
        client.post(path, {"page": "2", "q_disappointed": "Nothing worked today."})
        client.post(path, {"page": "3"})

    response = SurveyResponse.objects.get()
    assert response.is_completed()
    assert (response.contact_id, response.invitation.contact_id, response.invitation.kind) == (None, None, "anonymous")
    assert FollowUp.objects.get(response=response).contact_id is None
    assert stored_mentions("203.0.113.77", "198.51.100.23", "ProbeBrowser", "unique-agent", "message-5521") == []
    sessions = [str(session.get_decoded()) for session in Session.objects.all()]
    assert [text for text in sessions if "203.0.113" in text or "ProbeBrowser" in text] == []


def test_the_database_refuses_an_anonymous_invitation_with_a_contact(survey: Survey) -> None:
    with pytest.raises(IntegrityError):
        Invitation.objects.create(survey=survey, contact=make_contact(), kind=Invitation.Kind.ANONYMOUS)
