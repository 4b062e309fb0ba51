"""Teams own their surveys and customers; roles decide what each person sees and does."""

from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from feedback import routing
from feedback.digests import DigestFilters, digest_content
from feedback.models import FollowUp, HealthAlert, HealthBand, HealthScore, RoutingRule, SurveyResponse
from feedback.rollups import rollups_rebuild
from surveys import access, distributions
from surveys.access import Action, Area
from surveys.models import Contact, Invitation, Membership, Segment
from surveys.segments import segment_contacts
from tests.conftest import make_contact, make_survey
from tests.teams import World, make_world
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def api_as(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def test_an_agent_sees_their_own_follow_ups_not_their_teammates(world: World) -> None:
    north = world.north
    teammate = FollowUp.objects.create(
        response=_second_response(world),
        survey=north.survey,
        owner=north.people["manager"],
        team=north.team,
        due_at=timezone.now(),
    )
    agent = api_as(north.people["agent"])

    listed = [row["id"] for row in agent.get("/api/v1/follow-ups/").json()["results"]]
    other = agent.get(f"/api/v1/follow-ups/{teammate.pk}/")
    manager_sees = [row["id"] for row in api_as(north.people["manager"]).get("/api/v1/follow-ups/").json()["results"]]

    assert listed == [north.follow_up.pk]
    assert other.status_code == 404
    assert sorted(manager_sees) == sorted([north.follow_up.pk, teammate.pk])


def test_a_proactive_follow_up_belongs_to_its_accounts_team(world: World) -> None:
    north, south = world.north, world.south
    proactive = FollowUp.objects.create(
        alert=HealthAlert.objects.create(rule=south.alert.rule, account=north.account, period=date(2026, 2, 2)),
        account=north.account,
        owner=north.people["agent"],
        due_at=timezone.now(),
    )

    manager_sees = api_as(north.people["manager"]).get(f"/api/v1/follow-ups/{proactive.pk}/")
    agent_sees = api_as(north.people["agent"]).get(f"/api/v1/follow-ups/{proactive.pk}/")
    south_manager_sees = api_as(south.people["manager"]).get(f"/api/v1/follow-ups/{proactive.pk}/")

    assert (manager_sees.status_code, agent_sees.status_code, south_manager_sees.status_code) == (200, 200, 404)
    assert access.team_of(proactive) == north.team.pk
    assert access.can(north.people["agent"], Action.CHANGE, proactive)
    assert not access.can(south.people["manager"], Action.VIEW, proactive)


def test_a_contacts_health_score_belongs_to_the_contacts_team(world: World) -> None:
    north, south = world.north, world.south
    now = timezone.now()
    score = HealthScore.objects.create(
        contact=north.contact, score=30, band=HealthBand.CRITICAL, computed_at=now, changed_at=now
    )

    north_viewer = access.scope(HealthScore.objects.all(), north.people["viewer"])
    south_viewer = access.scope(HealthScore.objects.all(), south.people["viewer"])

    assert set(north_viewer) == {north.health, score}
    assert set(south_viewer) == {south.health}
    assert access.scope(HealthScore.objects.all(), north.people["designer"]).count() == 0


def test_a_follow_up_goes_only_to_a_manager_or_agent_of_its_team(world: World) -> None:
    north = world.north
    manager = api_as(north.people["manager"])
    url = f"/api/v1/follow-ups/{north.follow_up.pk}/assign/"

    to_designer = manager.post(url, {"owner": north.people["designer"].pk}, format="json")
    to_manager = manager.post(url, {"owner": north.people["manager"].pk}, format="json")

    assert to_designer.status_code == 400
    assert to_designer.json() == {"owner": [f'Invalid pk "{north.people["designer"].pk}" - object does not exist.']}
    assert to_manager.status_code == 200
    assert to_manager.json()["owner"] == "manager-north"


def test_a_manager_of_one_team_gets_it_by_default_and_one_of_two_must_choose(world: World) -> None:
    north, south = world.north, world.south
    two_teams = north.people["manager"]
    one_team = south.people["manager"]
    Membership.objects.create(user=two_teams, team=south.team, role="manager")
    body = {"name": "Onboarding", "title_en": "How was onboarding?"}

    mine = api_as(one_team).post("/api/v1/surveys/", body, format="json")
    undecided = api_as(two_teams).post("/api/v1/surveys/", body, format="json")

    assert mine.status_code == 201
    assert mine.json()["team"] == south.team.pk
    assert undecided.status_code == 400
    assert undecided.json() == {"team": ["Choose the team this belongs to."]}


def test_each_team_keeps_its_own_customer_list(world: World) -> None:
    north, south = world.north, world.south
    same_person = {"email": north.contact.email.upper(), "name": "Also ours"}

    in_south = api_as(south.people["manager"]).post("/api/v1/contacts/", same_person, format="json")
    again_in_north = api_as(north.people["manager"]).post("/api/v1/contacts/", same_person, format="json")

    assert in_south.status_code == 201
    assert again_in_north.status_code == 400
    assert again_in_north.json() == {"email": ["A contact with this email already exists."]}
    assert Contact.objects.with_address(north.contact.email).count() == 2


def test_unsubscribing_stops_every_team_emailing_that_address(world: World) -> None:
    north, south = world.north, world.south
    twin = Contact.objects.create(team=south.team, email=north.contact.email.upper())

    Client().post(f"/u/{north.invitation.token}/")

    twin.refresh_from_db()
    south.contact.refresh_from_db()
    assert twin.unsubscribed_at is not None
    assert south.contact.unsubscribed_at is None


def test_a_distribution_invites_only_the_survey_teams_customers(world: World) -> None:
    north, south = world.north, world.south
    # Rows written around the forms: the audience still stops at the team's edge.
    north.distribution.contacts.add(south.contact)

    distributions.distribution_schedule(distribution=north.distribution)
    distributions.distribution_materialise(distribution_id=north.distribution.pk, now=timezone.now())

    invited = set(Invitation.objects.filter(distribution=north.distribution).values_list("contact_id", flat=True))
    assert invited == {north.contact.pk}


def test_a_distribution_naming_another_teams_segment_is_refused_with_field_messages(world: World) -> None:
    north, south = world.north, world.south

    with pytest.raises(ValidationError) as refused:
        distributions.distribution_audience_validate(
            survey=north.survey, segment=south.segment, contacts=[south.contact]
        )

    assert refused.value.message_dict == {
        "segment": ["This segment belongs to another team than the survey."],
        "contacts": ["Some of these contacts belong to another team than the survey."],
    }


def test_a_segment_selects_only_its_teams_contacts(world: World) -> None:
    everyone = Segment.objects.create(team=world.north.team, name="Everyone", rules=[])

    assert list(segment_contacts(segment=everyone)) == [world.north.contact]


def test_a_teams_digest_covers_only_its_teams_surveys(world: World) -> None:
    north, south = world.north, world.south
    start, end = timezone.localdate(), date.fromordinal(timezone.localdate().toordinal() + 1)

    content = digest_content(filters=DigestFilters(team_id=north.team.pk), start=start, end=end)
    everything = digest_content(filters=DigestFilters(), start=start, end=end)

    assert north.response.score == south.response.score == 2
    assert (content["complaints"], everything["complaints"]) == (1, 2)


def test_round_robin_skips_designers_and_viewers(world: World) -> None:
    north = world.north
    rule = RoutingRule.objects.create(name="North", position=0, owner_mode="team", team=north.team)

    owners = [routing.owner_for(rule, north.response)[0].username for _turn in range(4)]

    assert owners == ["manager-north", "agent-north", "manager-north", "agent-north"]


def test_a_designer_sees_metrics_without_any_customer_detail(world: World) -> None:
    designer = api_as(world.north.people["designer"])
    rollups_rebuild()

    metrics = designer.get("/api/v1/metrics/", {"period": "day"})
    responses = designer.get("/api/v1/responses/")

    assert metrics.status_code == 200
    assert metrics.json()["funnel"] == {"sent": 0, "opened": 0, "answered": 0}
    assert sum(row["responses"] for row in metrics.json()["series"]) == 1  # north's only
    assert "customer@" not in metrics.content.decode()
    assert responses.status_code == 403


def test_administrators_by_role_or_by_superuser_see_every_team(world: World) -> None:
    superuser = get_user_model().objects.create_superuser("root", "root@staff.example", "a-long-password-1")

    by_role = api_as(world.administrator).get("/api/v1/surveys/").json()["results"]
    by_flag = api_as(superuser).get("/api/v1/surveys/").json()["results"]

    both = sorted([world.north.survey.pk, world.south.survey.pk])
    assert sorted(row["id"] for row in by_role) == both
    assert sorted(row["id"] for row in by_flag) == both


def test_a_staff_user_without_a_role_sees_nothing(world: World) -> None:
    stranger = get_user_model().objects.create_user("stranger", password="a-long-password-1", is_staff=True)
    client = Client()
    client.force_login(stranger)

    assert api_as(stranger).get("/api/v1/surveys/").status_code == 403
    assert client.get("/admin/surveys/survey/").status_code == 403
    assert client.get("/staff/dashboard/").status_code == 403


def test_surveys_made_before_teams_are_seen_by_administrators_only(world: World) -> None:
    legacy = make_survey(name="Before teams")
    contact = make_contact()

    assert legacy.team is None and contact.team is None
    assert not access.can(world.north.people["manager"], Action.VIEW, legacy)
    assert not access.scope(Contact.objects.all(), world.north.people["viewer"]).filter(pk=contact.pk).exists()
    assert access.can(world.administrator, Action.CHANGE, legacy)


def test_admin_choice_lists_offer_only_the_callers_rows(world: World) -> None:
    client = Client()
    client.force_login(world.north.people["manager"])

    form = client.get("/admin/surveys/distribution/add/").context["adminform"].form

    assert list(form.fields["survey"].queryset) == [world.north.survey]
    assert list(form.fields["segment"].queryset) == [world.north.segment]
    assert list(form.fields["contacts"].queryset) == [world.north.contact]


def test_an_admin_action_runs_only_on_the_rows_the_caller_may_change(world: World) -> None:
    north, south = world.north, world.south
    Membership.objects.create(user=north.people["manager"], team=south.team, role="viewer")
    client = Client()
    client.force_login(north.people["manager"])

    client.post(
        "/admin/surveys/survey/",
        {"action": "close", "_selected_action": [north.survey.pk, south.survey.pk]},
    )

    north.survey.refresh_from_db()
    south.survey.refresh_from_db()
    assert (north.survey.status, south.survey.status) == ("closed", "live")


def test_listing_scoped_rows_takes_the_same_queries_for_one_row_or_many(
    world: World, django_assert_num_queries: Any
) -> None:
    manager = api_as(world.north.people["manager"])
    manager.get("/api/v1/contacts/")  # warm up: content types, token

    # Token and user, roles, count, page: scoping adds no query, whatever the number of rows.
    with django_assert_num_queries(4) as one:
        manager.get("/api/v1/contacts/")
    Contact.objects.bulk_create(Contact(team=world.north.team, email=f"c{n}@north.example") for n in range(20))
    Contact.objects.bulk_create(Contact(team=world.south.team, email=f"c{n}@south.example") for n in range(20))
    with django_assert_num_queries(len(one.captured_queries)):
        listed = manager.get("/api/v1/contacts/").json()

    assert listed["count"] == 21


def test_the_admin_follow_up_list_is_scoped_in_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    client = Client()
    client.force_login(world.north.people["manager"])
    client.get("/admin/feedback/followup/")

    with django_assert_num_queries(11) as few:
        client.get("/admin/feedback/followup/")
    for _extra in range(5):
        FollowUp.objects.create(
            response=_second_response(world),
            survey=world.north.survey,
            owner=world.north.people["agent"],
            team=world.north.team,
            due_at=timezone.now(),
        )
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get("/admin/feedback/followup/")

    assert len(page.context["cl"].result_list) == 6


def test_area_grants_are_what_the_roles_promise(world: World) -> None:
    people = world.north.people

    assert access.can_area(people["designer"], Area.METRICS)
    assert not access.can_area(people["designer"], Area.FEEDBACK)
    assert not access.can_area(people["designer"], Area.CONTACTS)
    assert access.can_area(people["viewer"], Area.FEEDBACK)
    assert not access.can_area(people["viewer"], Area.FEEDBACK, Action.CHANGE)
    assert access.reach(people["agent"], Area.FOLLOW_UPS, Action.CHANGE).own == {world.north.team.pk}
    assert not access.can_area(people["manager"], Area.SETTINGS)
    assert access.team_ids(world.administrator, Area.SETTINGS) is None


def _second_response(world: World) -> Any:
    """Another completed response of north's customer (a follow-up needs a response of its own)."""
    north = world.north
    invitation = Invitation.objects.create(survey=north.survey, contact=north.contact)
    now = timezone.now()
    return SurveyResponse.objects.create(
        invitation=invitation,
        survey=north.survey,
        survey_version=1,
        contact=north.contact,
        status="completed",
        score=1,
        started_at=now,
        updated_at=now,
        completed_at=now,
    )
