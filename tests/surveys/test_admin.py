"""Survey design in Django admin: templates, editing with versions, design checks, actions."""

from typing import Any

import pytest
from django.test import Client

from feedback.answering import response_save_page
from feedback.models import Answer
from surveys.models import Question, Survey
from tests.conftest import make_invitation, make_survey

pytestmark = pytest.mark.django_db


def change_form_data(page: Any) -> dict[str, Any]:
    """The POST data of an admin change page as it was rendered, management forms included."""
    data: dict[str, Any] = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): field.value() for name, field in management_fields(management)})
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = form.fields[name].prepare_value(value) if name == "choices" else value
    return data


def management_fields(form: Any) -> list[tuple[str, Any]]:
    return [(name, form[name]) for name in form.fields]


def question_index(data: dict[str, Any], key: str) -> str:
    return next(name.removesuffix("-key") for name, value in data.items() if name.endswith("-key") and value == key)


def test_staff_create_a_survey_from_a_template(admin_client: Client) -> None:
    page = admin_client.post("/admin/surveys/survey/from-template/", {"template": "enps", "name": "Pulse"})

    survey = Survey.objects.get(name="Pulse")
    assert page.status_code == 302
    assert page["Location"] == f"/admin/surveys/survey/{survey.pk}/change/"
    assert survey.anonymous_link_enabled is True
    assert survey.current_questions().first().kind == "nps"


def test_editing_a_question_without_answers_changes_it_in_place(admin_client: Client) -> None:
    survey = make_survey(live=False)
    data = change_form_data(admin_client.get(f"/admin/surveys/survey/{survey.pk}/change/"))
    data[question_index(data, "nps") + "-text_en"] = "Would you recommend us?"

    saved = admin_client.post(f"/admin/surveys/survey/{survey.pk}/change/", data)

    assert saved.status_code == 302
    survey.refresh_from_db()
    assert survey.version == 1
    assert survey.current_questions().get(key="nps").text_en == "Would you recommend us?"


def test_editing_an_answered_survey_saves_a_new_version_and_keeps_old_answers(admin_client: Client) -> None:
    survey = make_survey()
    response_save_page(token=make_invitation(survey=survey).token, page=1, data={"q_nps": ["3"]}, language="en")
    data = change_form_data(admin_client.get(f"/admin/surveys/survey/{survey.pk}/change/"))
    data[question_index(data, "nps") + "-text_en"] = "Would you recommend our new app?"
    data[question_index(data, "may_contact") + "-DELETE"] = "on"

    saved = admin_client.post(f"/admin/surveys/survey/{survey.pk}/change/", data, follow=True)

    assert "saved as version 2" in saved.content.decode()
    survey.refresh_from_db()
    assert survey.version == 2
    assert survey.current_questions().get(key="nps").text_en == "Would you recommend our new app?"
    assert not survey.current_questions().filter(key="may_contact").exists()
    assert Answer.objects.get().question.text_en == "How likely are you to recommend us to a friend or colleague?"
    assert Question.objects.filter(survey=survey, version=1).count() == 5


def test_a_branch_on_the_same_page_is_refused_with_a_message(admin_client: Client) -> None:
    survey = make_survey(live=False)
    data = change_form_data(admin_client.get(f"/admin/surveys/survey/{survey.pk}/change/"))
    data[question_index(data, "loved") + "-page"] = "1"

    page = admin_client.post(f"/admin/surveys/survey/{survey.pk}/change/", data)

    assert page.status_code == 200
    assert "A condition can only refer to a question on an earlier page." in page.content.decode()
    assert survey.current_questions().get(key="loved").page == 2


def test_choices_are_edited_one_per_line(admin_client: Client) -> None:
    survey = make_survey(live=False)
    data = change_form_data(admin_client.get(f"/admin/surveys/survey/{survey.pk}/change/"))
    data[question_index(data, "may_contact") + "-choices"] = "yes | Yes please | 好的\nLater"

    admin_client.post(f"/admin/surveys/survey/{survey.pk}/change/", data)

    assert survey.current_questions().get(key="may_contact").choices == [
        {"value": "yes", "en": "Yes please", "zh": "好的"},
        {"value": "later", "en": "Later", "zh": ""},
    ]


def test_publish_close_and_duplicate_actions(admin_client: Client) -> None:
    survey = make_survey(live=False)
    changelist = "/admin/surveys/survey/"

    admin_client.post(changelist, {"action": "publish", "_selected_action": [survey.pk]})
    assert Survey.objects.get(pk=survey.pk).status == "live"
    admin_client.post(changelist, {"action": "close", "_selected_action": [survey.pk]})
    assert Survey.objects.get(pk=survey.pk).status == "closed"
    admin_client.post(changelist, {"action": "duplicate", "_selected_action": [survey.pk]})
    assert Survey.objects.filter(name=f"Copy of {survey.name}", status="draft").exists()


def test_the_survey_page_links_to_previews_and_shows_the_response_count(admin_client: Client) -> None:
    survey = make_survey()
    response_save_page(token=make_invitation(survey=survey).token, page=1, data={"q_nps": ["9"]}, language="en")
    response_save_page(token=make_invitation(survey=survey).token, page=1, data={"q_nps": ["9"]}, language="en")

    change = admin_client.get(f"/admin/surveys/survey/{survey.pk}/change/").content.decode()
    listing = admin_client.get("/admin/surveys/survey/").content.decode()

    assert f"/staff/surveys/{survey.pk}/preview/?lang=zh-hans" in change
    assert '<td class="field-answered">0</td>' in listing


def test_the_admin_is_available_in_chinese(admin_client: Client) -> None:
    page = admin_client.get("/admin/surveys/survey/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "问卷" in page
