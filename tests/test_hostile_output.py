"""The hostile corpus in what staff and customers read: admin, staff pages, emails, charts and exports."""

import csv
import io
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django import forms
from django.contrib import admin
from django.test import Client, RequestFactory

from feedback import export
from feedback.digest_charts import score_trend_png, theme_volume_png
from feedback.models import RootCause, SurveyResponse
from surveys.emails import invitation_email_build
from surveys.models import Contact, Segment, Survey
from tests import hostile
from tests.conftest import make_contact, make_invitation, make_survey
from vocsite.forms import SafeJSONFormField

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def answered(contact: Contact, text: str, survey: Survey | None = None) -> SurveyResponse:
    """A detractor who wrote `text`, answered through the public pages."""
    invitation = make_invitation(survey=survey or make_survey(), contact=contact)
    client = Client()
    client.post(f"/s/{invitation.token}/", {"page": "1", "q_nps": "1"})
    client.post(f"/s/{invitation.token}/", {"page": "2", "q_disappointed": text})
    client.post(f"/s/{invitation.token}/", {"page": "3"})
    return SurveyResponse.objects.get(invitation=invitation)


@pytest.mark.parametrize("value", [hostile.CRLF, "Title\nBcc: x@evil.example", hostile.SCRIPT, hostile.BIDI])
def test_a_hostile_title_and_name_never_split_an_email_header(value: str) -> None:
    survey = make_survey(title_en=value)
    invitation = make_invitation(survey=survey, contact=make_contact(name=value))

    message = invitation_email_build(invitation=invitation).message()

    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["Bcc"] is None
    assert message["To"] == invitation.contact.email
    html = message.get_payload()[1].get_payload(decode=True).decode()
    hostile.assert_escaped(html, value)


def test_formula_answers_are_neutralised_in_the_csv_export() -> None:
    contact = make_contact(name="=cmd|' /C calc'!A0")
    for formula in hostile.FORMULAS:
        answered(contact, formula)

    rows = list(export.response_export_rows(SurveyResponse.objects.all()))

    written = io.StringIO()
    csv.writer(written).writerows(rows)
    cells = [cell for row in csv.reader(io.StringIO(written.getvalue())) for cell in row]
    risky = [cell for cell in cells if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    assert risky == []
    assert "'=HYPERLINK" in written.getvalue()
    assert "'=cmd|' /C calc'!A0" in written.getvalue()


@pytest.mark.parametrize("label", ["$x^$", "Price $5 and $", "$\\frac{", hostile.SCRIPT, hostile.BIDI])
def test_digest_charts_print_theme_names_as_they_are(label: str) -> None:
    volume = theme_volume_png(["1/1", "1/8"], {label: [1, 2]}, title=label)
    trend = score_trend_png(["1/1", "1/8"], [10.0, None], [1.0, None], [20.0, None], title=label)

    assert volume.startswith(b"\x89PNG") and trend.startswith(b"\x89PNG")


def test_hostile_customer_text_is_escaped_in_the_admin_lists_and_pages(admin_client: Client) -> None:
    contact = make_contact(name=hostile.ATTRIBUTE_BREAKER, external_id=hostile.SVG)
    response = answered(contact, hostile.SCRIPT)
    pages = [
        "/admin/feedback/surveyresponse/",
        f"/admin/feedback/surveyresponse/{response.pk}/change/",
        "/admin/feedback/followup/",
        "/admin/surveys/contact/",
        f"/admin/surveys/contact/{contact.pk}/change/",
        "/admin/surveys/invitation/",
        "/admin/feedback/answer/",
    ]
    for path in pages:
        page = admin_client.get(path)

        assert page.status_code == 200, path
        for value in (hostile.ATTRIBUTE_BREAKER, hostile.SVG, hostile.SCRIPT):
            hostile.assert_escaped(page.content.decode(), value)


def _changelists() -> list[str]:
    return [f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry]


@pytest.mark.parametrize("path", _changelists())
def test_hostile_search_sorting_and_filters_in_every_admin_list_never_break_it(admin_client: Client, path: str) -> None:
    listing = admin_client.get(path).content.decode()
    filters = sorted({name for query in re.findall(r'href="\?([^"]+)"', listing) for name in _names(query)})
    failures = []
    for name in ["q", "o", "p", "all", *filters]:
        for value in hostile.TEXTS if name == "q" else hostile.SAMPLE:
            page = admin_client.get(f"{path}?{urlencode({name: value[:3000]})}")
            if page.status_code not in {200, 302, 400}:
                failures.append((name, repr(value)[:30], page.status_code))
            hostile.assert_escaped(page.content.decode(), value)
    assert failures == []


def _names(query: str) -> list[str]:
    return [part.split("=", 1)[0] for part in query.replace("&amp;", "&").split("&") if part]


ADD_FORMS: dict[str, dict[str, str]] = {
    "/admin/surveys/contact/add/": {"email": "new@example.com", "name": "N", "language": "en", "attributes": "{}"},
    "/admin/surveys/segment/add/": {"name": "S", "rules": '[{"field": "language", "op": "eq", "value": "en"}]'},
    "/admin/feedback/rootcause/add/": {"name": "R", "name_zh": "", "active": "on"},
    "/admin/surveys/team/add/": {"name": "T"},
}


@pytest.mark.parametrize("path", ADD_FORMS)
def test_hostile_text_in_admin_add_forms_is_refused_or_stored_as_text(admin_client: Client, path: str) -> None:
    failures = []
    for field in ADD_FORMS[path]:
        for value in hostile.TEXTS:
            data = {**ADD_FORMS[path], field: value}
            if field == "email":
                data[field] = value[:50] + "@example.com"
            page = admin_client.post(path, data)
            if page.status_code not in {200, 302}:
                failures.append((field, repr(value)[:30], page.status_code))
            hostile.assert_escaped(page.content.decode(), value)
            Contact.objects.all().delete()
            Segment.objects.all().delete()
    assert failures == []
    names = set(RootCause.objects.values_list("name", flat=True))
    assert "\x00" not in "".join(names)


@pytest.mark.parametrize(
    "json_text",
    ['{"a": "\\u0000"}', '{"a": "\\ud800"}', hostile.deeply_nested_json(), '{"a": NaN}', "[" * 40 + "]" * 40],
    ids=["NUL", "lone surrogate", "deep", "NaN", "40 deep"],
)
def test_json_fields_in_admin_forms_refuse_what_postgresql_cannot_store(admin_client: Client, json_text: str) -> None:
    page = admin_client.post(
        "/admin/surveys/contact/add/",
        {"email": "j@example.com", "name": "J", "language": "en", "attributes": json_text},
    )

    assert page.status_code == 200
    assert "errorlist" in page.content.decode()
    assert not Contact.objects.filter(email="j@example.com").exists()


@pytest.mark.parametrize("value", hostile.TEXTS, ids=lambda value: repr(value[:24]))
def test_hostile_dashboard_filters_get_a_400_form_not_an_error(admin_client: Client, value: str) -> None:
    query = {name: value[:3000] for name in ("survey", "period", "language", "segment", "since", "until")}

    page = admin_client.get("/staff/dashboard/", query)
    preview = admin_client.get(f"/staff/surveys/{make_survey().pk}/preview/", {"page": value, "lang": value})

    assert page.status_code == 400 or "\x00" in value
    assert preview.status_code in {200, 400}
    hostile.assert_escaped(page.content.decode(), value)


def test_every_json_field_of_every_admin_form_is_the_safe_kind(admin_user: Any) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    unsafe = []
    for model_admin in admin.site._registry.values():
        forms_of = [model_admin.get_form(request)]
        forms_of += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form in forms_of:
            unsafe += [
                f"{type(model_admin).__name__}.{name}"
                for name, field in form.base_fields.items()
                if isinstance(field, forms.JSONField) and not isinstance(field, SafeJSONFormField)
            ]
    assert unsafe == []
