"""API tokens: stored hashed, shown once, refused when revoked, expired or wrong, made and revoked by administrators."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import ApiToken, AuditEvent
from surveys.tokens import api_token_issue, api_token_revoke
from tests.teams import World, make_person, make_world
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def bearer(text: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def test_a_valid_token_authenticates_as_its_user(world: World) -> None:
    client = bearer(token_for(world.administrator))

    answer = client.get("/api/v1/surveys/")

    assert answer.status_code == 200
    assert answer.json()["count"] == 2


def test_the_older_token_keyword_is_accepted_too(world: World) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.administrator)}")

    assert client.get("/api/v1/surveys/").status_code == 200


@pytest.mark.parametrize(
    ("spoil", "detail"),
    [
        (lambda text: text[:-1] + ("A" if text[-1] != "A" else "B"), "Invalid token."),
        (lambda text: "voc_00000000_" + text.split("_", 2)[2], "Invalid token."),
        (lambda text: text.split("_", 2)[2], "Invalid token."),
        (lambda text: "", "Invalid token."),
    ],
    ids=["wrong secret", "unknown prefix", "secret alone", "nothing"],
)
def test_a_wrong_token_is_refused_with_401(world: World, spoil: Any, detail: str) -> None:
    text = spoil(token_for(world.administrator))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}".strip() + (" x" if not text else ""))

    answer = client.get("/api/v1/surveys/")

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_secret_says_the_token_is_invalid(world: World) -> None:
    text = token_for(world.administrator)

    answer = bearer(text[:-2] + "zz" if not text.endswith("zz") else text[:-2] + "yy").get("/api/v1/surveys/")

    assert (answer.status_code, answer.json()) == (401, {"detail": "Invalid token."})


def test_a_revoked_token_is_refused_with_401(world: World) -> None:
    issued = api_token_issue(user=world.administrator, name="old", by=world.administrator)
    api_token_revoke(token=issued.token, by=world.administrator)

    answer = bearer(issued.text).get("/api/v1/surveys/")

    assert (answer.status_code, answer.json()) == (401, {"detail": "This token has been revoked."})


def test_an_expired_token_is_refused_with_401(world: World) -> None:
    issued = api_token_issue(
        user=world.administrator, name="soon", by=world.administrator, expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    answer = bearer(issued.text).get("/api/v1/surveys/")

    assert (answer.status_code, answer.json()) == (401, {"detail": "This token has expired."})


def test_a_token_of_an_inactive_user_is_refused_with_401(world: World) -> None:
    text = token_for(world.north.people["manager"])
    get_user_model().objects.filter(pk=world.north.people["manager"].pk).update(is_active=False)

    answer = bearer(text).get("/api/v1/surveys/")

    assert (answer.status_code, answer.json()) == (401, {"detail": "The user this token acts as is inactive."})


def test_the_secret_is_stored_nowhere_only_its_hash(world: World) -> None:
    text = token_for(world.administrator)
    secret = text.split("_", 2)[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM surveys_apitoken")
        rows = cursor.fetchall()

    assert len(secret) >= 43  # 32 random bytes
    stored = " ".join(str(value) for row in rows for value in row)
    assert secret not in stored
    assert text not in stored


def test_last_used_is_written_once_then_not_again_within_a_minute(world: World, django_assert_num_queries: Any) -> None:
    issued = api_token_issue(user=world.administrator, name="sync", by=world.administrator)
    client = bearer(issued.text)
    client.get("/api/v1/touchpoints/")
    first_use = ApiToken.objects.get(pk=issued.token.pk).last_used_at

    with django_assert_num_queries(4) as queries:  # token and user, roles, count, page
        client.get("/api/v1/touchpoints/")

    assert first_use is not None
    assert [query["sql"] for query in queries.captured_queries if query["sql"].startswith("UPDATE")] == []
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first_use


def test_an_administrator_creates_a_token_over_the_api_and_sees_its_secret_only_then(world: World) -> None:
    client = bearer(token_for(world.administrator))
    agent = world.north.people["agent"]

    created = client.post("/api/v1/api-tokens/", {"name": "Helpdesk", "user": agent.pk}, format="json")
    listed = client.get("/api/v1/api-tokens/", {"user": agent.pk}).json()["results"]
    shown = client.get(f"/api/v1/api-tokens/{created.json()['id']}/").json()

    assert created.status_code == 201
    text = created.json()["token"]
    assert text.startswith(created.json()["prefix"] + "_")
    assert [row["name"] for row in listed] == ["Helpdesk"]
    assert "token" not in listed[0] and "token" not in shown
    assert bearer(text).get("/api/v1/surveys/").json()["count"] == 1  # the agent's team only
    event = AuditEvent.objects.filter(action="api_token_created", source="api").get()
    assert (event.actor, event.target_id, event.details) == (
        world.administrator,
        str(shown["id"]),
        {"user_id": agent.pk},
    )


def test_creating_a_token_with_bad_input_is_a_400_with_field_messages(world: World) -> None:
    client = bearer(token_for(world.administrator))
    customer = get_user_model().objects.create_user("customer")

    answer = client.post(
        "/api/v1/api-tokens/", {"user": customer.pk, "expires_at": "2001-01-01T00:00:00Z"}, format="json"
    )

    assert answer.status_code == 400
    assert set(answer.json()) == {"name", "user"}


def test_a_token_cannot_expire_in_the_past(world: World) -> None:
    client = bearer(token_for(world.administrator))

    answer = client.post(
        "/api/v1/api-tokens/",
        {"name": "Late", "user": world.administrator.pk, "expires_at": "2001-01-01T00:00:00Z"},
        format="json",
    )

    assert (answer.status_code, answer.json()) == (400, {"expires_at": ["The expiry must be in the future."]})


def test_an_administrator_revokes_a_token_over_the_api_once(world: World) -> None:
    client = bearer(token_for(world.administrator))
    token = world.shared["apitoken"]

    first = client.post(f"/api/v1/api-tokens/{token.pk}/revoke/")
    again = client.post(f"/api/v1/api-tokens/{token.pk}/revoke/")

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["revoked_at"] == again.json()["revoked_at"] is not None
    assert first.json()["revoked_by"] == world.administrator.pk
    assert AuditEvent.objects.filter(action="api_token_revoked", target_id=str(token.pk)).count() == 1


def test_a_manager_can_neither_list_nor_create_nor_revoke_tokens(world: World) -> None:
    client = bearer(token_for(world.north.people["manager"]))
    token = world.shared["apitoken"]

    listed = client.get("/api/v1/api-tokens/")
    created = client.post("/api/v1/api-tokens/", {"name": "Mine", "user": world.north.people["manager"].pk})
    revoked = client.post(f"/api/v1/api-tokens/{token.pk}/revoke/")

    assert (listed.status_code, created.status_code, revoked.status_code) == (403, 403, 404)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_the_service_refuses_a_token_made_by_someone_who_is_not_an_administrator(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_token_issue(user=world.north.people["agent"], name="x", by=world.north.people["manager"])

    assert not ApiToken.objects.filter(user=world.north.people["agent"]).exists()


def test_the_admin_add_form_shows_the_secret_once_and_the_list_never(world: World) -> None:
    client = Client()
    client.force_login(world.administrator)
    agent = world.north.people["agent"]

    page = client.post("/admin/surveys/apitoken/add/", {"name": "Spreadsheet", "user": agent.pk})
    token = ApiToken.objects.get(name="Spreadsheet")
    text = page.context["text"]
    changelist = client.get("/admin/surveys/apitoken/").content.decode()
    change = client.get(f"/admin/surveys/apitoken/{token.pk}/change/").content.decode()

    assert page.status_code == 200
    assert text.startswith(f"{token.prefix}_") and text in page.content.decode()
    assert bearer(text).get("/api/v1/surveys/").status_code == 200
    assert token.prefix in changelist
    secret = text.split("_", 2)[2]
    assert secret not in changelist and secret not in change
    event = AuditEvent.objects.get(action="api_token_created", source="admin")
    assert (event.actor, event.target_id) == (world.administrator, str(token.pk))


def test_the_admin_refuses_a_past_expiry_with_a_form_error(world: World) -> None:
    client = Client()
    client.force_login(world.administrator)

    page = client.post(
        "/admin/surveys/apitoken/add/",
        {"name": "Late", "user": world.administrator.pk, "expires_at_0": "2001-01-01", "expires_at_1": "00:00"},
    )

    assert page.status_code == 200
    assert page.context["adminform"].form.errors == {"expires_at": ["The expiry must be in the future."]}
    assert not ApiToken.objects.filter(name="Late").exists()


def test_the_admin_revoke_action_revokes_the_selected_tokens(world: World) -> None:
    client = Client()
    client.force_login(world.administrator)
    token = world.shared["apitoken"]

    client.post("/admin/surveys/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True)

    assert ApiToken.objects.get(pk=token.pk).revoked_by == world.administrator
    assert AuditEvent.objects.filter(action="api_token_revoked", source="admin").count() == 1


def test_the_command_prints_a_token_once_that_authenticates(world: World) -> None:
    out, err = StringIO(), StringIO()
    person = make_person("integration", team=world.north.team, role="manager")

    call_command("api_token_create", "--user", "integration", "--name", "CRM", stdout=out, stderr=err)

    text = out.getvalue().strip()
    token = ApiToken.objects.get(user=person)
    assert text.startswith(f"{token.prefix}_")
    assert bearer(text).get("/api/v1/surveys/").json()["count"] == 1
    assert AuditEvent.objects.get(action="api_token_created", target_id=str(token.pk)).source == "system"


def test_the_command_refuses_an_unknown_user() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no user"):
        call_command("api_token_create", "--user", "nobody", "--name", "CRM", stdout=StringIO(), stderr=StringIO())
