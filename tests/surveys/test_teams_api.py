"""Teams and roles over the API: every role change is in the audit log, bad bodies get field messages."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from surveys.models import AuditEvent, Contact, Membership, Role, Team
from tests.teams import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator() -> Any:
    return make_person("root", team=None, role=Role.ADMINISTRATOR)


@pytest.fixture
def api(administrator: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=administrator)
    return client


def test_granting_a_role_is_recorded_in_the_audit_log_as_done_over_the_api(api: APIClient, administrator: Any) -> None:
    team = Team.objects.create(name="North")
    person = make_person("ann", team=Team.objects.create(name="South"), role=Role.AGENT)

    answer = api.post("/api/v1/memberships/", {"user": person.pk, "team": team.pk, "role": "manager"}, format="json")

    assert answer.status_code == 201
    membership = Membership.objects.get(user=person, team=team)
    assert answer.json() == {
        "id": membership.pk,
        "user": person.pk,
        "team": team.pk,
        "role": "manager",
        "created_at": answer.json()["created_at"],
    }
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBERSHIP_GRANTED)
    assert (event.actor, event.source, event.target_id) == (administrator, AuditEvent.Source.API, str(membership.pk))
    assert event.details == {"user_id": person.pk, "team_id": team.pk, "role": "manager"}


def test_changing_a_role_records_what_it_was_and_what_it_became(api: APIClient) -> None:
    team = Team.objects.create(name="North")
    person = make_person("ann", team=team, role=Role.AGENT)
    membership = Membership.objects.get(user=person)

    answer = api.patch(f"/api/v1/memberships/{membership.pk}/", {"role": "viewer"}, format="json")

    assert answer.status_code == 200
    assert answer.json()["role"] == "viewer"
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBERSHIP_CHANGED)
    assert event.details == {"user_id": person.pk, "team_id": team.pk, "from": "agent", "to": "viewer"}


def test_revoking_a_role_deletes_it_and_records_it(api: APIClient) -> None:
    person = make_person("ann", team=Team.objects.create(name="North"), role=Role.AGENT)
    membership = Membership.objects.get(user=person)

    answer = api.delete(f"/api/v1/memberships/{membership.pk}/")

    assert answer.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.get(action=AuditEvent.Action.MEMBERSHIP_REVOKED).target_id == str(membership.pk)


def test_a_membership_cannot_move_to_another_person_and_nothing_is_recorded(api: APIClient) -> None:
    team = Team.objects.create(name="North")
    person = make_person("ann", team=team, role=Role.AGENT)
    other = make_person("bob", team=team, role=Role.AGENT)
    membership = Membership.objects.get(user=person)

    answer = api.patch(f"/api/v1/memberships/{membership.pk}/", {"user": other.pk, "role": "viewer"}, format="json")

    assert answer.status_code == 400
    assert list(answer.json()) == ["user"]
    assert Membership.objects.get(pk=membership.pk).role == Role.AGENT
    assert not AuditEvent.objects.exists()


def test_an_administrator_role_in_a_team_gets_a_field_message(api: APIClient) -> None:
    team = Team.objects.create(name="North")
    person = make_person("ann", team=team, role=Role.AGENT)

    answer = api.post(
        "/api/v1/memberships/", {"user": person.pk, "team": team.pk, "role": "administrator"}, format="json"
    )

    assert answer.status_code == 400
    assert list(answer.json()) == ["role"]
    assert not AuditEvent.objects.exists()


def test_a_team_that_owns_contacts_is_not_deleted(api: APIClient) -> None:
    team = Team.objects.create(name="North")
    Contact.objects.create(team=team, email="someone@example.com")

    answer = api.delete(f"/api/v1/teams/{team.pk}/")

    assert answer.status_code == 400
    assert list(answer.json()) == ["detail"]
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_member_sees_their_own_team_only_with_its_member_count() -> None:
    north, south = Team.objects.create(name="North"), Team.objects.create(name="South")
    viewer = make_person("vic", team=north, role=Role.VIEWER)
    make_person("ann", team=north, role=Role.AGENT)
    make_person("sam", team=south, role=Role.AGENT)
    client = APIClient()
    client.force_authenticate(user=viewer)

    answer = client.get("/api/v1/teams/")

    assert answer.status_code == 200
    assert answer.json()["results"] == [{"id": north.pk, "name": "North", "lead": None, "members_count": 2}]


def test_an_empty_change_to_an_administrator_role_keeps_it(api: APIClient, administrator: Any) -> None:
    membership = Membership.objects.get(user=administrator)

    answer = api.patch(f"/api/v1/memberships/{membership.pk}/", {}, format="json")

    assert answer.status_code == 200
    assert answer.json()["role"] == Role.ADMINISTRATOR
    assert Membership.objects.filter(user=administrator, team=None, role=Role.ADMINISTRATOR).exists()
