"""Segments: each rule op on contact fields and attributes, rejected rules, live size in admin and API."""

from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from surveys.models import Contact, Segment
from surveys.segments import segment_contacts, segment_rules_validate
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def people() -> None:
    make_contact(
        email="ann@example.com",
        name="Ann Wong",
        language="en",
        external_id="CRM-1",
        attributes={"plan": "pro", "seats": "12", "renewal": "2025-03-01", "odd key__x.y": "yes"},
        last_surveyed_at=at("2025-01-10T08:00:00+00:00"),
    )
    make_contact(
        email="bo@example.cn",
        name="Bo",
        language="zh-hans",
        attributes={"plan": "free", "seats": "9", "vip": True},
        last_surveyed_at=at("2025-01-31T23:30:00+00:00"),
    )
    make_contact(email="cy@example.com", name="Cy", language="en", attributes={"seats": "n/a", "score": 7})
    Contact.objects.filter(email="ann@example.com").update(created_at=at("2024-06-01T12:00:00+00:00"))
    Contact.objects.filter(email="bo@example.cn").update(created_at=at("2024-12-31T12:00:00+00:00"))
    Contact.objects.filter(email="cy@example.com").update(created_at=at("2025-02-01T00:00:00+00:00"))


def names(rules: list[dict[str, Any]]) -> list[str]:
    segment = Segment.objects.create(name="s", rules=rules)
    return sorted(segment_contacts(segment=segment).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "language", "op": "eq", "value": "zh-hans"}, ["Bo"]),
        ({"field": "language", "op": "ne", "value": "zh-hans"}, ["Ann Wong", "Cy"]),
        ({"field": "email", "op": "in", "value": ["ann@example.com", "cy@example.com"]}, ["Ann Wong", "Cy"]),
        ({"field": "email", "op": "contains", "value": "EXAMPLE.CN"}, ["Bo"]),
        ({"field": "name", "op": "contains", "value": "wong"}, ["Ann Wong"]),
        ({"field": "external_id", "op": "exists"}, ["Ann Wong"]),
        ({"field": "external_id", "op": "not_exists"}, ["Bo", "Cy"]),
        ({"field": "created_at", "op": "gte", "value": "2024-12-31"}, ["Bo", "Cy"]),
        ({"field": "created_at", "op": "lte", "value": "2024-12-31"}, ["Ann Wong", "Bo"]),
        ({"field": "created_at", "op": "lte", "value": "2024-12-31T12:00:00+00:00"}, ["Ann Wong", "Bo"]),
        ({"field": "created_at", "op": "lte", "value": "2024-12-31T11:59:59+00:00"}, ["Ann Wong"]),
        ({"field": "last_surveyed_at", "op": "lte", "value": "2025-01-31"}, ["Ann Wong", "Bo"]),
        ({"field": "last_surveyed_at", "op": "gte", "value": "2025-01-11"}, ["Bo"]),
        ({"field": "last_surveyed_at", "op": "not_exists"}, ["Cy"]),
        ({"field": "attributes.plan", "op": "eq", "value": "pro"}, ["Ann Wong"]),
        ({"field": "attributes.plan", "op": "ne", "value": "pro"}, ["Bo", "Cy"]),
        ({"field": "attributes.plan", "op": "in", "value": ["pro", "free"]}, ["Ann Wong", "Bo"]),
        ({"field": "attributes.plan", "op": "contains", "value": "RO"}, ["Ann Wong"]),
        ({"field": "attributes.plan", "op": "exists"}, ["Ann Wong", "Bo"]),
        ({"field": "attributes.plan", "op": "not_exists"}, ["Cy"]),
        ({"field": "attributes.seats", "op": "gte", "value": 10}, ["Ann Wong"]),
        ({"field": "attributes.seats", "op": "lte", "value": 9.5}, ["Bo"]),
        ({"field": "attributes.renewal", "op": "gte", "value": "2025-01-01"}, ["Ann Wong"]),
        ({"field": "attributes.vip", "op": "eq", "value": True}, ["Bo"]),
        ({"field": "attributes.score", "op": "eq", "value": 7}, ["Cy"]),
        ({"field": "attributes.odd key__x.y", "op": "eq", "value": "yes"}, ["Ann Wong"]),
    ],
)
def test_each_rule_op_selects_the_matching_contacts(people: None, rule: dict[str, Any], expected: list[str]) -> None:
    assert names([rule]) == expected


def test_all_rules_must_hold(people: None) -> None:
    rules = [
        {"field": "language", "op": "eq", "value": "en"},
        {"field": "attributes.seats", "op": "exists"},
        {"field": "last_surveyed_at", "op": "exists"},
    ]

    assert names(rules) == ["Ann Wong"]


def test_no_rules_select_every_contact(people: None) -> None:
    assert names([]) == ["Ann Wong", "Bo", "Cy"]


@pytest.mark.parametrize(
    ("rules", "messages"),
    [
        ({"field": "language"}, ["Rules must be a list of rules."]),
        (["language"], ['Rule 1: must be an object like {"field": "language", "op": "eq", "value": "en"}.']),
        (
            [{"field": "phone", "op": "eq", "value": "1"}],
            [
                'Rule 1: unknown field "phone"; use one of email, name, language, external_id, created_at, '
                "last_surveyed_at or attributes.<key>."
            ],
        ),
        (
            [{"field": "name", "op": "gte", "value": "a"}],
            ['Rule 1: name cannot use op "gte"; use one of eq, ne, in, contains, exists, not_exists.'],
        ),
        (
            [{"field": "language", "op": "eq", "value": "fr"}],
            ['Rule 1: unknown language "fr"; use one of en, zh-hans.'],
        ),
        ([{"field": "email", "op": "in", "value": []}], ["Rule 1: op in needs a non-empty list of values."]),
        (
            [{"field": "email", "op": "in", "value": "a@example.com"}],
            ["Rule 1: op in needs a non-empty list of values."],
        ),
        ([{"field": "name", "op": "contains", "value": ""}], ["Rule 1: op contains needs a non-empty text value."]),
        (
            [{"field": "created_at", "op": "gte", "value": "last week"}],
            ["Rule 1: value must be an ISO date such as 2025-01-31 or 2025-01-31T09:00:00+00:00."],
        ),
        (
            [{"field": "attributes.", "op": "exists"}],
            [
                'Rule 1: unknown field "attributes."; use one of email, name, language, external_id, created_at, '
                "last_surveyed_at or attributes.<key>."
            ],
        ),
        (
            [{"field": "attributes.plan", "op": "eq", "value": ["x"]}],
            ["Rule 1: value must be text, a number or true/false."],
        ),
        (
            [{"field": "name", "op": "eq", "value": "x", "extra": 1}],
            ["Rule 1: unknown key extra; a rule has only field, op and value."],
        ),
        (
            [{"field": "name", "op": "eq", "value": "ok"}, {"field": "name", "op": "eq", "value": 3}, {"op": "eq"}],
            [
                "Rule 2: value must be text.",
                "Rule 3: unknown field null; use one of email, name, language, external_id, created_at, "
                "last_surveyed_at or attributes.<key>.",
            ],
        ),
    ],
)
def test_invalid_rules_are_rejected_with_a_message_per_bad_rule(rules: Any, messages: list[str]) -> None:
    with pytest.raises(ValidationError) as rejected:
        segment_rules_validate(rules=rules)

    assert rejected.value.messages == messages


def test_a_segment_whose_stored_rules_are_invalid_is_never_widened() -> None:
    make_contact(email="ann@example.com")
    segment = Segment.objects.create(name="broken", rules=[{"field": "plan", "op": "eq", "value": "pro"}])

    with pytest.raises(ValidationError):
        segment_contacts(segment=segment)


def test_admin_shows_each_segments_live_size(admin_client: Client, people: None) -> None:
    segment = Segment.objects.create(name="English", rules=[{"field": "language", "op": "eq", "value": "en"}])

    listing = admin_client.get("/admin/surveys/segment/")
    page = admin_client.get(f"/admin/surveys/segment/{segment.pk}/change/")

    assert '<td class="field-live_size">2</td>' in listing.content.decode()
    assert '<div class="readonly">2</div>' in page.content.decode()


def test_admin_refuses_invalid_rules_with_the_message(admin_client: Client) -> None:
    posted = admin_client.post(
        "/admin/surveys/segment/add/", {"name": "Bad", "rules": '[{"field": "plan", "op": "eq", "value": "pro"}]'}
    )

    assert posted.status_code == 200
    assert "Rule 1: unknown field &quot;plan&quot;" in posted.content.decode()
    assert Segment.objects.count() == 0


def test_admin_saves_valid_rules(admin_client: Client) -> None:
    posted = admin_client.post(
        "/admin/surveys/segment/add/",
        {"name": "Pro", "rules": '[{"field": "attributes.plan", "op": "eq", "value": "pro"}]'},
    )

    assert posted.status_code == 302
    assert Segment.objects.get().rules == [{"field": "attributes.plan", "op": "eq", "value": "pro"}]


@pytest.mark.urls("tests.surveys.test_contact_import")
def test_the_api_creates_a_segment_and_shows_its_live_size(admin_client: Client, people: None) -> None:
    rules = [{"field": "attributes.plan", "op": "in", "value": ["pro", "free"]}]

    posted = admin_client.post("/api/v1/segments/", {"name": "Paid", "rules": rules}, content_type="application/json")
    listed = admin_client.get("/api/v1/segments/")

    assert posted.status_code == 201
    assert posted.json()["size"] == 2
    assert [(s["name"], s["rules"], s["size"]) for s in listed.json()["results"]] == [("Paid", rules, 2)]


@pytest.mark.urls("tests.surveys.test_contact_import")
def test_the_api_refuses_invalid_rules_with_a_field_message(admin_client: Client) -> None:
    rules = [{"field": "language", "op": "eq", "value": "fr"}]

    posted = admin_client.post("/api/v1/segments/", {"name": "Bad", "rules": rules}, content_type="application/json")

    assert posted.status_code == 400
    assert posted.json() == {"rules": ['Rule 1: unknown language "fr"; use one of en, zh-hans.']}
    assert Segment.objects.count() == 0
