"""Survey design services: templates, states, duplicates, versions, invitation emails."""

import re

import pytest
from django.core.exceptions import ValidationError

from surveys import catalog, services
from surveys.emails import invitation_email_build
from surveys.models import Question, Survey
from tests.conftest import make_contact, make_invitation, make_survey

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("template", sorted(catalog.TEMPLATES))
def test_every_template_makes_a_valid_bilingual_draft(template: str) -> None:
    survey = services.survey_create_from_template(template=template)

    assert survey.status == "draft"
    questions = list(survey.current_questions())
    assert len(questions) >= 2
    assert all(q.text_en and q.text_zh for q in questions)
    assert survey.title_zh and survey.thank_you_zh
    services.survey_publish(survey=survey)
    assert Survey.objects.get(pk=survey.pk).status == "live"


def test_the_nps_template_branches_on_the_score() -> None:
    survey = services.survey_create_from_template(template="nps")

    branches = {
        q.key: (q.show_if_key, q.show_if_min, q.show_if_max) for q in survey.current_questions() if q.show_if_key
    }

    assert branches == {"disappointed": ("nps", 0, 6), "improve": ("nps", 7, 8), "loved": ("nps", 9, 10)}


def test_only_allowed_status_changes_happen() -> None:
    survey = make_survey(live=False)

    with pytest.raises(ValidationError):
        services.survey_close(survey=survey)
    services.survey_publish(survey=survey)
    with pytest.raises(ValidationError):
        services.survey_publish(survey=survey)
    services.survey_close(survey=survey)
    assert Survey.objects.get(pk=survey.pk).status == "closed"


def test_duplicating_copies_content_and_questions_into_a_new_draft() -> None:
    survey = make_survey()

    copy = services.survey_duplicate(survey=survey)

    assert copy.pk != survey.pk
    assert copy.status == "draft"
    assert copy.name == f"Copy of {survey.name}"
    assert copy.anonymous_token != survey.anonymous_token
    original = list(survey.current_questions().values_list("key", "text_zh", "show_if_min"))
    assert list(copy.current_questions().values_list("key", "text_zh", "show_if_min")) == original


def test_replacing_unanswered_questions_edits_in_place() -> None:
    survey = make_survey()

    services.survey_questions_replace(survey=survey, questions=[{"key": "nps", "kind": "nps", "text_en": "New?"}])

    assert survey.version == 1
    assert list(Question.objects.filter(survey=survey).values_list("text_en", flat=True)) == ["New?"]


def test_forking_keeps_the_old_rows_and_copies_them_into_the_next_version() -> None:
    survey = make_survey()
    old = list(survey.current_questions())

    copies = services.survey_version_fork(survey=survey)

    assert survey.version == 2
    assert Survey.objects.get(pk=survey.pk).version == 2
    assert sorted(copies) == sorted(q.pk for q in old)
    assert all(copies[q.pk].key == q.key and copies[q.pk].version == 2 for q in old)
    assert Question.objects.filter(survey=survey, version=1).count() == len(old)


def test_the_invitation_email_has_both_parts_and_one_click_score_links_in_the_contacts_language() -> None:
    invitation = make_invitation(contact=make_contact(language="zh-hans", name="王伟"))

    message = invitation_email_build(invitation=invitation)

    html = message.alternatives[0].content
    assert message.subject == "我们做得怎么样？"
    assert "您有多大可能向朋友或同事推荐我们？" in message.body
    links = re.findall(r'href="([^"]+)"', html)
    assert links[:11] == [
        f"http://testserver.example/s/{invitation.token}/?score={n}&amp;lang=zh-hans" for n in range(11)
    ]
    assert f"http://testserver.example/s/{invitation.token}/?score=10&lang=zh-hans" in message.body
