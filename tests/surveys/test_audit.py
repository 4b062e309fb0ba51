"""The audit log: exports, role changes and reassignments, with who, when and from where; append-only."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.test import Client
from rest_framework.test import APIClient

from surveys.audit import Action, audit_record
from surveys.memberships import membership_grant, membership_revoke
from surveys.models import AuditEvent, Membership
from tests.teams import World, make_world
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def logged_in(user: Any) -> Client:
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(user)
    return client


def test_exporting_responses_records_who_what_and_from_where(world: World) -> None:
    manager = world.north.people["manager"]
    selected = [world.north.response.pk, world.south.response.pk]

    export = logged_in(manager).post(
        "/admin/feedback/surveyresponse/", {"action": "export_csv", "_selected_action": selected}
    )

    csv = b"".join(export.streaming_content).decode()
    event = AuditEvent.objects.get(action="responses_exported")
    assert "customer@north.example" in csv and "customer@south.example" not in csv
    assert (event.actor, event.actor_name, event.source, event.ip_address) == (
        manager,
        "manager-north",
        "admin",
        "203.0.113.9",
    )
    assert event.details == {"responses": 1, "survey_ids": [world.north.survey.pk], "format": "csv"}


def test_an_agent_may_not_export(world: World) -> None:
    agent = logged_in(world.north.people["agent"])

    page = agent.post(
        "/admin/feedback/surveyresponse/", {"action": "export_csv", "_selected_action": [world.north.response.pk]}
    )

    assert page.status_code == 200  # the list again: the action is not offered to agents
    assert not AuditEvent.objects.filter(action="responses_exported").exists()


def test_granting_changing_and_revoking_a_role_is_recorded(world: World) -> None:
    newcomer = get_user_model().objects.create_user("newcomer", password="a-long-password-1")
    team = world.north.team

    membership = membership_grant(user=newcomer, team=team, role="viewer", by=world.administrator)
    membership_grant(user=newcomer, team=team, role="agent", by=world.administrator)
    membership_revoke(membership=Membership.objects.get(pk=membership.pk), by=world.administrator)

    newcomer.refresh_from_db()
    events = AuditEvent.objects.filter(target_type="surveys.membership").order_by("pk")
    assert newcomer.is_staff
    assert [(event.action, event.details) for event in events] == [
        ("membership_granted", {"user_id": newcomer.pk, "team_id": team.pk, "role": "viewer"}),
        ("membership_changed", {"user_id": newcomer.pk, "team_id": team.pk, "from": "viewer", "to": "agent"}),
        ("membership_revoked", {"user_id": newcomer.pk, "team_id": team.pk, "role": "agent"}),
    ]
    assert not Membership.objects.filter(user=newcomer).exists()


def test_roles_given_in_the_team_admin_page_are_recorded(world: World) -> None:
    newcomer = get_user_model().objects.create_user("newcomer", password="a-long-password-1")
    team = world.north.team
    rows = list(Membership.objects.filter(team=team).order_by("pk"))
    form = {
        "name": team.name,
        "memberships-TOTAL_FORMS": str(len(rows) + 1),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        form |= {f"memberships-{index}-id": row.pk, f"memberships-{index}-user": row.user_id}
        form |= {f"memberships-{index}-role": row.role}
    new = len(rows)
    form |= {f"memberships-{new}-user": newcomer.pk, f"memberships-{new}-role": "designer"}
    form |= {"memberships-0-DELETE": "on"}

    page = logged_in(world.administrator).post(f"/admin/surveys/team/{team.pk}/change/", form)

    assert page.status_code == 302, page.context["inline_admin_formsets"][0].formset.errors
    assert Membership.objects.get(user=newcomer).role == "designer"
    assert not Membership.objects.filter(pk=rows[0].pk).exists()
    assert list(AuditEvent.objects.filter(source="admin").order_by("pk").values_list("action", "actor_name")) == [
        ("membership_revoked", "administrator"),
        ("membership_granted", "administrator"),
    ]


def test_switching_superuser_status_in_the_user_admin_is_recorded(world: World) -> None:
    viewer = world.north.people["viewer"]
    form = {"username": viewer.username, "email": viewer.email, "is_active": "on", "is_staff": "on"}
    form |= {"is_superuser": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}

    logged_in(world.administrator).post(f"/admin/auth/user/{viewer.pk}/change/", form)

    viewer.refresh_from_db()
    event = AuditEvent.objects.get(action="superuser_changed")
    assert viewer.is_superuser
    assert (event.target_type, event.target_id, event.details) == ("auth.user", str(viewer.pk), {"is_superuser": True})


def test_a_reassignment_over_the_api_is_recorded_with_both_owners(world: World) -> None:
    north = world.north
    client = APIClient(REMOTE_ADDR="198.51.100.4")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(north.people['manager'])}")

    client.post(f"/api/v1/follow-ups/{north.follow_up.pk}/assign/", {"owner": north.people["manager"].pk})

    event = AuditEvent.objects.get(action="follow_up_reassigned")
    assert (event.actor_name, event.source, event.ip_address) == ("manager-north", "api", "198.51.100.4")
    assert (event.target_type, event.target_id) == ("feedback.followup", str(north.follow_up.pk))
    assert event.details == {"from_user_id": north.people["agent"].pk, "to_user_id": north.people["manager"].pk}


def test_the_audit_log_cannot_be_changed_or_deleted(world: World) -> None:
    event = audit_record(actor=world.administrator, action=Action.CONTACT_ERASED, target=world.north.contact)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).actor_name == "administrator"


def test_administrators_read_the_log_over_the_api_and_nobody_else_does(world: World) -> None:
    audit_record(actor=world.administrator, action=Action.FOLLOW_UP_REASSIGNED, target=world.north.people["agent"])
    administrator, manager = APIClient(), APIClient()
    administrator.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(world.administrator)}")
    manager.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(world.north.people['manager'])}")

    listed = administrator.get("/api/v1/audit-events/", {"action": "follow_up_reassigned"}).json()["results"]

    assert [(row["action"], row["actor_name"], row["target_type"]) for row in listed] == [
        ("follow_up_reassigned", "administrator", "auth.user")
    ]
    assert manager.get("/api/v1/audit-events/").status_code == 403


def test_exporting_and_erasing_a_contact_are_recorded(world: World) -> None:
    contact = world.north.contact
    client = APIClient(REMOTE_ADDR="192.0.2.7")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(world.administrator)}")

    exported = client.get(f"/api/v1/contacts/{contact.pk}/export/")
    erased = client.post(f"/api/v1/contacts/{contact.pk}/erase/")

    assert (exported.status_code, erased.status_code) == (200, 200)
    events = AuditEvent.objects.filter(source="api").order_by("pk")
    assert [(event.action, event.actor_name, event.ip_address) for event in events] == [
        ("contact_exported", "administrator", "192.0.2.7"),
        ("contact_erased", "administrator", "192.0.2.7"),
    ]
    assert (events[0].target_type, events[0].target_id) == ("surveys.contact", str(contact.pk))
    assert events[1].details == {"contact_id": contact.pk}
