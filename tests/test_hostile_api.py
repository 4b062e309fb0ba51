"""The hostile corpus against every API operation, enumerated from the OpenAPI schema.

Each operation's writable fields (from a valid baseline body, nested fields included) and
query parameters get every hostile value; each body-taking operation gets malformed, deep,
NUL-carrying and 10 MB bodies. Nothing answers 500, and text that is accepted comes back as
the same text. A new endpoint shows up here by itself; one that takes a body fails the
coverage test until it has a baseline below.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils.http import urlencode
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from feedback.models import (
    AlertRule,
    BusinessCalendar,
    DigestSubscription,
    FollowUp,
    HealthWeight,
    RootCause,
    RoutingRule,
    SurveyResponse,
    Theme,
)
from surveys.models import Account, Contact, Distribution, Membership, Role, Segment, Survey, Team, Touchpoint
from tests import hostile
from tests.conftest import make_contact, make_invitation, make_survey
from tests.teams import make_webhook
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """The users here only need to exist; hashing their passwords properly would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    """One administrator sends hundreds of requests here; the limits have tests of their own."""
    settings.API_RATES = dict.fromkeys(settings.API_RATES, "1000000/minute")


OK = {200, 201, 202, 204}
REFUSED = {400, 404, 415}


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    query: tuple[str, ...]
    takes_json: bool

    def __str__(self) -> str:
        return self.id


def _operations() -> list[Operation]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method, spec in item.items():
            query = tuple(p["name"] for p in spec.get("parameters", []) if p["in"] == "query")
            content = spec.get("requestBody", {}).get("content", {})
            found.append(Operation(spec["operationId"], method, path, query, "application/json" in content))
    return found


OPERATIONS = _operations()
unique = count()


@dataclass
class World:
    survey: Survey
    contact: Contact
    segment: Segment
    distribution: Distribution
    follow_up: FollowUp
    cause: RootCause
    owner: Any
    account: Account
    touchpoint: Touchpoint
    settings: dict[str, Any]
    webhook: Any = None  # a WebhookSubscription and its message
    webhook_message: Any = None

    def object_for(self, path: str) -> int:
        resource = path.split("/")[3]
        return {
            "surveys": self.survey.pk,
            "contacts": self.contact.pk,
            "segments": self.segment.pk,
            "distributions": self.distribution.pk,
            "follow-ups": self.follow_up.pk,
            "responses": self.follow_up.response_id,
            "contact-imports": 0,
            "accounts": self.account.pk,
            "touchpoints": self.touchpoint.pk,
            **{name: row.pk for name, row in self.settings.items()},
            "webhook-subscriptions": self.webhook.pk,
            "webhook-messages": self.webhook_message.pk,
        }[resource]


@pytest.fixture
def world(admin_user: Any, django_capture_on_commit_callbacks: Any) -> World:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/s/{invitation.token}/", {"page": "1", "q_nps": "2"})
        client.post(f"/s/{invitation.token}/", {"page": "2", "q_disappointed": "Slow"})
        client.post(f"/s/{invitation.token}/", {"page": "3"})
    contact = make_contact()
    distribution = Distribution.objects.create(name="Spring", survey=survey)
    distribution.contacts.add(contact)
    webhook, webhook_message = make_webhook(team=Team.objects.create(name="Hooks"), contact=contact)
    return World(
        webhook=webhook,
        webhook_message=webhook_message,
        survey=survey,
        contact=contact,
        segment=Segment.objects.create(name="English", rules=[{"field": "language", "op": "eq", "value": "en"}]),
        distribution=distribution,
        follow_up=FollowUp.objects.get(response=SurveyResponse.objects.get()),
        cause=RootCause.objects.filter(active=True).first(),
        owner=get_user_model().objects.create_user("owner", "owner@corp.example", "pw-long-enough-1", is_staff=True),
        account=Account.objects.create(name="Contoso"),
        touchpoint=Touchpoint.objects.order_by("pk").first(),
        settings=_settings_rows(),
    )


def _settings_rows() -> dict[str, Any]:
    """One row of each settings resource, by its path in the API."""
    team = Team.objects.create(name="North")
    member = get_user_model().objects.create_user("member", "member@corp.example", None, is_staff=True)
    subscription = DigestSubscription.objects.create(name="Weekly", team=team, email="d@corp.example")
    return {
        "teams": team,
        "memberships": Membership.objects.create(user=member, team=team, role=Role.AGENT),
        "staff": member,
        "themes": Theme.objects.order_by("pk").first(),
        "root-causes": RootCause.objects.order_by("pk").first(),
        "business-calendars": BusinessCalendar.objects.create(name="Office", workdays=[0, 1, 2, 3, 4]),
        "routing-rules": RoutingRule.objects.create(name="Rule", survey=Survey.objects.order_by("pk").first()),
        "digest-subscriptions": subscription,
        "health-weights": HealthWeight.objects.order_by("pk").first(),
        "alert-rules": AlertRule.objects.order_by("pk").first(),
    }


@pytest.fixture
def api(admin_user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(admin_user)}")
    return client


def _contact(world: World) -> dict[str, Any]:
    n = next(unique)
    return {
        "email": f"c{n}@example.com",
        "name": "C",
        "language": "en",
        "external_id": f"x{n}",
        "attributes": {"k": "v"},
    }


def _distribution(world: World) -> dict[str, Any]:
    return {"name": "D", "survey": world.survey.pk, "contacts": [world.contact.pk], "reminder_days": [3, 7]}


def _survey(world: World) -> dict[str, Any]:
    question = {"key": "nps", "kind": "nps", "text_en": "Q?", "text_zh": "", "page": 1, "position": 0}
    return {"name": "S", "title_en": "T", "intro_en": "I", "thank_you_en": "Y", "questions": [question]}


def _account(world: World) -> dict[str, Any]:
    # No annual_revenue: a decimal is echoed in its own form ("9.5" as "9.50"), which is not text stored changed.
    return {
        "name": f"Account {next(unique)}",
        "tier": "business",
        "renewal_date": "2030-01-01",
        "attributes": {"k": "v"},
    }


def _touchpoint(world: World) -> dict[str, Any]:
    return {"key": f"stage-{next(unique)}", "name": "Stage", "name_zh": "阶段", "position": 1}


def _webhook(world: World) -> dict[str, Any]:
    # A public address literal: checked without DNS.
    return {
        "team": world.webhook.team_id,
        "url": "https://93.184.215.14/hooks",
        "events": ["response.completed"],
        "description": "CRM",
        "include_personal_data": False,
    }


def _send(world: World) -> dict[str, Any]:
    n = next(unique)
    contact = {"email": f"s{n}@example.com", "name": "N", "language": "en", "external_id": "", "attributes": {}}
    return {"contact": contact, "delay_minutes": 0, "idempotency_key": f"k{n}"}


def _named(world: World) -> dict[str, Any]:
    return {"name": f"Name {next(unique)}", "name_zh": "名称"}


def _calendar(world: World) -> dict[str, Any]:
    return {
        "name": f"Calendar {next(unique)}",
        "timezone": "Asia/Shanghai",
        "workdays": [0, 1, 2],
        "day_start": "09:00",
        "day_end": "18:00",
        "holidays": ["2030-10-01"],
    }


def _rule(world: World) -> dict[str, Any]:
    return {
        "name": "Detractors",
        "survey": world.survey.pk,
        "score_group": "detractor",
        "language": "en",
        "owner_mode": "user",
        "owner_user": world.settings["staff"].pk,
        "sla_hours": 24,
        "escalate_every_hours": 12,
    }


def _subscription(world: World) -> dict[str, Any]:
    return {
        "name": "Weekly",
        "team": world.settings["teams"].pk,
        "email": "d@corp.example",
        "cadence": "weekly",
        "weekday": 1,
        "answer_languages": ["zh-hans"],
        "product": "Pro",
    }


def _alert_rule(world: World) -> dict[str, Any]:
    return {"name": "Drop", "kind": "health_drop", "threshold": 10, "days": 30, "sla_hours": 48}


def _staff(world: World) -> dict[str, Any]:
    n = next(unique)
    return {
        "username": f"staff{n}",
        "email": f"staff{n}@corp.example",
        "first_name": "F",
        "profile": {"language": "en"},
    }


BASELINES: dict[str, Callable[[World], dict[str, Any]]] = {
    "v1_teams_create": _named,
    "v1_teams_update": _named,
    "v1_teams_partial_update": _named,
    "v1_memberships_create": lambda world: {
        "user": world.owner.pk,
        "team": world.settings["teams"].pk,
        "role": "viewer",
    },
    "v1_memberships_partial_update": lambda world: {"role": "manager"},
    "v1_staff_create": _staff,
    "v1_staff_partial_update": lambda world: {"last_name": "L", "profile": {"manager": world.owner.pk}},
    "v1_themes_create": lambda world: {**_named(world), "keywords": ["late", "迟到"]},
    "v1_themes_update": lambda world: {**_named(world), "keywords": ["late", "迟到"]},
    "v1_themes_partial_update": lambda world: {"keywords": ["late"]},
    "v1_root_causes_create": _named,
    "v1_root_causes_update": _named,
    "v1_root_causes_partial_update": _named,
    "v1_business_calendars_create": _calendar,
    "v1_business_calendars_update": _calendar,
    "v1_business_calendars_partial_update": _calendar,
    "v1_routing_rules_create": _rule,
    "v1_routing_rules_update": _rule,
    "v1_routing_rules_partial_update": _rule,
    "v1_digest_subscriptions_create": _subscription,
    "v1_digest_subscriptions_update": _subscription,
    "v1_digest_subscriptions_partial_update": _subscription,
    "v1_health_weights_partial_update": lambda world: {"points": 20},
    "v1_alert_rules_create": _alert_rule,
    "v1_alert_rules_update": _alert_rule,
    "v1_alert_rules_partial_update": _alert_rule,
    "v1_suppressed_addresses_create": lambda world: {"address": "gone@example.com"},
    "v1_accounts_create": _account,
    "v1_accounts_update": _account,
    "v1_accounts_partial_update": _account,
    "v1_api_tokens_create": lambda world: {
        "name": "Sync",
        "user": world.owner.pk,
        "expires_at": "2030-01-01T00:00:00Z",
    },
    "v1_touchpoints_create": _touchpoint,
    "v1_touchpoints_update": _touchpoint,
    "v1_touchpoints_partial_update": _touchpoint,
    "v1_contacts_create": _contact,
    "v1_contacts_update": _contact,
    "v1_contacts_partial_update": _contact,
    "v1_distributions_create": _distribution,
    "v1_distributions_update": _distribution,
    "v1_distributions_partial_update": _distribution,
    "v1_distributions_schedule_create": lambda world: {"at": "2030-01-01T09:00:00Z"},
    "v1_follow_ups_assign_create": lambda world: {"owner": world.owner.pk, "note": "Yours"},
    "v1_follow_ups_note_create": lambda world: {"kind": "call", "text": "Called"},
    "v1_follow_ups_reopen_create": lambda world: {"note": "Again"},
    "v1_follow_ups_resolve_create": lambda world: {
        "root_cause": world.cause.pk,
        "note": "Done",
        "shared_note": "Fixed",
    },
    "v1_follow_ups_start_create": lambda world: {"note": "On it"},
    "v1_segments_create": lambda world: {"name": "S", "rules": [{"field": "language", "op": "eq", "value": "en"}]},
    "v1_segments_update": lambda world: {"name": "S", "rules": [{"field": "language", "op": "eq", "value": "en"}]},
    "v1_segments_partial_update": lambda world: {"name": "S"},
    "v1_surveys_create": _survey,
    "v1_surveys_update": _survey,
    "v1_surveys_partial_update": _survey,
    "v1_surveys_send_create": _send,
    "v1_surveys_from_template_create": lambda world: {"template": "nps", "name": "From a template"},
    "v1_webhook_subscriptions_create": _webhook,
    "v1_webhook_subscriptions_update": _webhook,
    "v1_webhook_subscriptions_partial_update": _webhook,
}
WITH_BODY = [op for op in OPERATIONS if op.takes_json]
WITH_QUERY = [op for op in OPERATIONS if op.query]
WITH_ID = [op for op in OPERATIONS if "{id}" in op.path]


def test_every_api_operation_that_takes_a_body_has_a_baseline_here() -> None:
    assert sorted(op.id for op in WITH_BODY) == sorted(BASELINES)


def leaves(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a body a value can go: each field, nested fields, and the first list item."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield (*path, key)
            yield from leaves(value, (*path, key))
    elif isinstance(body, list) and body:
        yield (*path, 0)
        yield from leaves(body[0], (*path, 0))


def replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def url_of(op: Operation, world: World, object_id: Any = None) -> str:
    if "{id}" not in op.path:
        return op.path
    return op.path.replace("{id}", str(world.object_for(op.path) if object_id is None else object_id))


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_hostile_values_in_every_writable_field_are_refused_or_stored_as_text(
    api: APIClient, world: World, op: Operation
) -> None:
    failures = []
    for path in list(leaves(BASELINES[op.id](world))):
        for value in [*hostile.JSON_TEXTS, *hostile.WRONG_JSON_NUMBERS]:
            body = replaced(BASELINES[op.id](world), path, value)
            answer = api.generic(op.method.upper(), url_of(op, world), json.dumps(body), "application/json")
            if answer.status_code not in OK | REFUSED:
                failures.append((path, repr(value)[:40], answer.status_code))
            elif answer.status_code in OK and isinstance(value, str) and value.strip() and answer.status_code != 204:
                echoed = _at(answer.json(), path)
                if isinstance(echoed, str) and echoed not in {value, value.strip()}:
                    failures.append((path, repr(value)[:40], "stored as", repr(echoed)[:40]))
    assert failures == []


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_malformed_deep_and_huge_json_bodies_get_a_400_with_a_reason(
    api: APIClient, world: World, op: Operation
) -> None:
    answers = {
        name: api.generic(op.method.upper(), url_of(op, world), body, "application/json")
        for name, body in hostile.RAW_JSON_BODIES.items()
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 400)
    assert all(answer.json() for answer in answers.values())


@pytest.mark.parametrize("op", WITH_QUERY, ids=str)
def test_hostile_query_parameters_are_refused_or_ignored(api: APIClient, world: World, op: Operation) -> None:
    failures = []
    for name in op.query:
        for value in [*hostile.TEXTS, *(str(number) for number in hostile.WRONG_JSON_NUMBERS)]:
            answer = api.get(f"{url_of(op, world)}?{urlencode({name: value[:3000]})}")
            if answer.status_code not in {200, 400, 404}:
                failures.append((name, repr(value)[:40], answer.status_code))
    assert failures == []


@pytest.mark.parametrize("op", WITH_ID, ids=str)
def test_a_hostile_id_in_the_path_is_not_found(api: APIClient, world: World, op: Operation) -> None:
    statuses = {
        repr(value)[:30]: api.generic(op.method.upper(), url_of(op, world, value[:500].replace("/", "%2F"))).status_code
        for value in [*hostile.TEXTS, "99999999999999999999999999", "-1", "1.5"]
    }

    assert set(statuses.values()) <= {400, 404}, statuses


def test_hostile_text_is_escaped_in_the_browsable_api(api: APIClient) -> None:
    make_contact(name=hostile.ATTRIBUTE_BREAKER, attributes={"note": hostile.SCRIPT})

    page = api.get("/api/v1/contacts/", HTTP_ACCEPT="text/html").content.decode()

    hostile.assert_escaped(page, hostile.ATTRIBUTE_BREAKER)
    hostile.assert_escaped(page, hostile.SCRIPT)


@pytest.mark.parametrize(
    "content",
    [
        hostile.NUL.encode() + b",x\n",
        ("email,name\n" + "".join(f"p{n}@example.com,{v}\n" for n, v in enumerate(hostile.TEXTS))).encode(),
        b"\xff\xfe\x00\x00garbage",
        b"email\n" + b"a" * hostile.TEN_MB,
    ],
    ids=["NUL", "hostile names", "not UTF-8", "10 MB line"],
)
def test_a_hostile_contact_import_file_is_refused_or_imported_as_text(api: APIClient, content: bytes) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = api.post("/api/v1/contact-imports/", {"file": SimpleUploadedFile("c.csv", content)}, format="multipart")

    assert answer.status_code in {202, 400}, answer.content[:300]
    names = set(Contact.objects.values_list("name", flat=True))
    assert names <= {value.strip() for value in hostile.TEXTS} | {""}
