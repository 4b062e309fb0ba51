"""Staff, routing rules, digests, calendars and health weights over the API, beyond who may call what."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from feedback.models import (
    DigestSubscription,
    FollowUpEvent,
    HealthDirty,
    HealthWeight,
    RoutingRule,
    StaffProfile,
)
from surveys.models import Account, AuditEvent, Role, Team
from tests.conftest import make_survey
from tests.teams import make_person, make_side, make_world

pytestmark = pytest.mark.django_db


def client_of(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def administrator() -> Any:
    return make_person("root", team=None, role=Role.ADMINISTRATOR)


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="North")


def test_an_administrator_creates_a_staff_login_with_a_profile_and_no_password(administrator: Any) -> None:
    body = {"username": "lin", "email": "lin@staff.example", "first_name": "Lin", "profile": {"language": "zh-hans"}}

    answer = client_of(administrator).post("/api/v1/staff/", body, format="json")

    assert answer.status_code == 201
    user = get_user_model().objects.get(username="lin")
    assert (user.is_staff, user.is_active, user.has_usable_password()) == (True, True, False)
    assert StaffProfile.objects.get(user=user).language == "zh-hans"
    assert answer.json()["profile"] == {"manager": None, "language": "zh-hans"}
    assert answer.json()["memberships"] == []
    assert b"password" not in answer.content


def test_deactivating_a_colleague_keeps_them_but_stops_their_access(administrator: Any, team: Team) -> None:
    viewer = make_person("vic", team=team, role=Role.VIEWER)

    answer = client_of(administrator).post(f"/api/v1/staff/{viewer.pk}/deactivate/")

    assert answer.status_code == 200
    assert answer.json()["is_active"] is False
    viewer.refresh_from_db()
    assert viewer.is_active is False
    assert client_of(viewer).get("/api/v1/teams/").status_code == 403
    event = AuditEvent.objects.get(action=AuditEvent.Action.STAFF_DEACTIVATED)
    assert (event.actor, event.target_id, event.source) == (administrator, str(viewer.pk), AuditEvent.Source.API)


def test_a_deactivated_agents_open_follow_ups_go_to_the_team_lead(administrator: Any) -> None:
    side = make_side("north")
    agent, lead = side.people["agent"], side.people["manager"]
    Team.objects.filter(pk=side.team.pk).update(lead=lead)

    answer = client_of(administrator).post(f"/api/v1/staff/{agent.pk}/deactivate/")

    assert answer.status_code == 200
    side.follow_up.refresh_from_db()
    assert side.follow_up.owner == lead
    handed = side.follow_up.events.get(kind=FollowUpEvent.Kind.ASSIGNED)
    assert (handed.actor, handed.from_value, handed.to_value) == (administrator, agent.username, lead.username)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FOLLOW_UP_REASSIGNED).count() == 1
    deactivated = AuditEvent.objects.get(action=AuditEvent.Action.STAFF_DEACTIVATED)
    assert deactivated.details == {"follow_ups_handed_over": 1, "follow_ups_left": 0}


def test_follow_ups_nobody_can_take_stay_with_the_deactivated_owner_and_are_counted(administrator: Any) -> None:
    side = make_side("north")  # no lead, and the agent has no manager
    agent = side.people["agent"]

    client_of(administrator).post(f"/api/v1/staff/{agent.pk}/deactivate/")

    side.follow_up.refresh_from_db()
    assert side.follow_up.owner == agent
    deactivated = AuditEvent.objects.get(action=AuditEvent.Action.STAFF_DEACTIVATED)
    assert deactivated.details == {"follow_ups_handed_over": 0, "follow_ups_left": 1}


def test_an_administrator_cannot_deactivate_themselves(administrator: Any) -> None:
    answer = client_of(administrator).post(f"/api/v1/staff/{administrator.pk}/deactivate/")

    assert answer.status_code == 400
    administrator.refresh_from_db()
    assert administrator.is_active is True


def test_nobody_becomes_their_own_manager(administrator: Any, team: Team) -> None:
    agent = make_person("ann", team=team, role=Role.AGENT)

    answer = client_of(administrator).patch(
        f"/api/v1/staff/{agent.pk}/", {"profile": {"manager": agent.pk}}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json() == {"profile": {"manager": ["Nobody is their own manager."]}}


def test_a_manager_makes_rules_for_their_own_surveys_but_not_for_every_survey(team: Team) -> None:
    manager = make_person("mia", team=team, role=Role.MANAGER)
    survey = make_survey(team=team)
    client = client_of(manager)

    everywhere = client.post("/api/v1/routing-rules/", {"name": "All detractors"}, format="json")
    own = client.post("/api/v1/routing-rules/", {"name": "Our detractors", "survey": survey.pk}, format="json")

    assert everywhere.status_code == 400
    assert list(everywhere.json()) == ["survey"]
    assert own.status_code == 201
    assert RoutingRule.objects.get(pk=own.json()["id"]).survey == survey


def test_a_rule_names_an_owner_who_may_own_the_survey_s_follow_ups(team: Team) -> None:
    manager = make_person("mia", team=team, role=Role.MANAGER)
    designer = make_person("dee", team=team, role=Role.DESIGNER)
    survey = make_survey(team=team)
    body = {"name": "To Dee", "survey": survey.pk, "owner_mode": "user", "owner_user": designer.pk}

    answer = client_of(manager).post("/api/v1/routing-rules/", body, format="json")

    assert answer.status_code == 400
    assert list(answer.json()) == ["owner_user"]


def test_a_round_robin_rule_without_a_team_gets_a_field_message(administrator: Any) -> None:
    answer = client_of(administrator).post(
        "/api/v1/routing-rules/", {"name": "Turns", "owner_mode": "team"}, format="json"
    )

    assert answer.status_code == 400
    assert list(answer.json()) == ["team"]


def test_a_designer_subscribes_to_their_team_s_surveys_without_seeing_any_customer(team: Team) -> None:
    designer = make_person("dee", team=team, role=Role.DESIGNER)
    survey = make_survey(team=team)
    body = {"name": "Weekly", "user": designer.pk, "surveys": [survey.pk], "answer_languages": ["zh-hans"]}

    answer = client_of(designer).post("/api/v1/digest-subscriptions/", body, format="json")

    assert answer.status_code == 201
    subscription = DigestSubscription.objects.get(pk=answer.json()["id"])
    assert (subscription.team, list(subscription.surveys.all())) == (team, [survey])
    assert subscription.token.encode() not in answer.content
    assert client_of(designer).get("/api/v1/surveys/").status_code == 403


def test_a_subscription_without_a_recipient_gets_a_field_message(administrator: Any) -> None:
    answer = client_of(administrator).post("/api/v1/digest-subscriptions/", {"name": "Nobody"}, format="json")

    assert answer.status_code == 400
    assert list(answer.json()) == ["email"]


def test_a_calendar_with_an_unknown_timezone_or_backwards_hours_gets_field_messages(administrator: Any) -> None:
    client = client_of(administrator)

    zone = client.post(
        "/api/v1/business-calendars/", {"name": "Mars", "timezone": "Mars/Olympus", "workdays": [0]}, format="json"
    )
    hours = client.post(
        "/api/v1/business-calendars/",
        {"name": "Night", "timezone": "UTC", "workdays": [0], "day_start": "18:00"},
        format="json",
    )

    assert (zone.status_code, list(zone.json())) == (400, ["timezone"])
    assert (hours.status_code, list(hours.json())) == (400, ["day_end"])


def test_a_calendar_keeps_its_holidays_as_dates(administrator: Any) -> None:
    body = {"name": "Shanghai", "timezone": "Asia/Shanghai", "workdays": [4, 0, 0], "holidays": ["2026-10-01"]}

    answer = client_of(administrator).post("/api/v1/business-calendars/", body, format="json")

    assert answer.status_code == 201
    assert (answer.json()["workdays"], answer.json()["holidays"]) == ([0, 4], ["2026-10-01"])


def test_changing_a_health_weight_marks_every_account_for_recomputing(administrator: Any, team: Team) -> None:
    account = Account.objects.create(team=team, name="Acme")
    weight = HealthWeight.objects.order_by("pk").first()

    answer = client_of(administrator).patch(
        f"/api/v1/health-weights/{weight.pk}/", {"points": weight.points + 1}, format="json"
    )

    assert answer.status_code == 200
    weight.refresh_from_db()
    assert weight.edited_at is not None
    assert answer.json()["points"] == weight.points
    assert HealthDirty.objects.filter(account=account).exists()


def test_a_health_weight_over_100_points_gets_a_field_message(administrator: Any) -> None:
    weight = HealthWeight.objects.order_by("pk").first()

    answer = client_of(administrator).patch(f"/api/v1/health-weights/{weight.pk}/", {"points": 101}, format="json")

    assert (answer.status_code, list(answer.json())) == (400, ["points"])


def test_a_counting_alert_rule_needs_a_threshold(administrator: Any) -> None:
    body = {"name": "Drop", "kind": "health_drop", "days": 30, "threshold": 0}

    answer = client_of(administrator).post("/api/v1/alert-rules/", body, format="json")

    assert (answer.status_code, list(answer.json())) == (400, ["threshold"])


def test_a_root_cause_in_use_is_not_deleted(administrator: Any) -> None:
    world = make_world()
    cause = world.shared["rootcause"]
    world.north.follow_up.root_cause = cause
    world.north.follow_up.save(update_fields=["root_cause"])

    answer = client_of(administrator).delete(f"/api/v1/root-causes/{cause.pk}/")

    assert (answer.status_code, list(answer.json())) == (400, ["detail"])


def test_a_manager_cannot_make_a_rule_for_every_survey_in_admin_either(client: Any, team: Team) -> None:
    client.force_login(make_person("mia", team=team, role=Role.MANAGER))
    form = {
        "name": "All detractors",
        "position": 0,
        "priority": "normal",
        "owner_mode": "account_owner",
        "sla_hours": 48,
        "remind_before_hours": 4,
        "escalate_every_hours": 24,
    }

    page = client.post("/admin/feedback/routingrule/add/", form)

    assert page.status_code == 200
    assert "survey" in page.context["adminform"].form.errors
    assert not RoutingRule.objects.filter(name="All detractors").exists()
