"""The closed loop in-process: routing, owners, transitions, reminders, escalations, the customer."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from feedback import loop, routing
from feedback.models import FollowUp, FollowUpEvent, RootCause, RoutingRule, StaffProfile, SurveyResponse
from feedback.tasks import feedback_tick
from surveys.memberships import membership_grant
from surveys.models import Invitation, Survey, Team
from tests.conftest import make_contact, make_invitation, make_survey
from tests.tokens import token_for

pytestmark = pytest.mark.django_db
User = get_user_model()


def make_staff(username: str, **fields: Any) -> Any:
    return User.objects.create_user(username, f"{username}@corp.example", "a-long-password-1", is_staff=True, **fields)


def complete(score: int, *, contact: Any = None, text: str = "It broke", capture: Any) -> SurveyResponse:
    """A customer answers the NPS survey; the after-commit work runs in-process."""
    invitation = make_invitation(survey=make_survey(), contact=contact or make_contact())
    client, path = Client(), f"/s/{invitation.token}/"
    with capture(execute=True):
        client.post(path, {"page": "1", "q_nps": str(score)})
        client.post(path, {"page": "2", ("q_disappointed" if score <= 6 else "q_loved"): text})
        client.post(path, {"page": "3"})
    return SurveyResponse.objects.get(invitation=invitation)


def tick(capture: Any) -> dict[str, int]:
    with capture(execute=True):
        return feedback_tick()


@pytest.fixture
def boss(db: Any) -> Any:
    return User.objects.create_superuser("chief", "chief@corp.example", "a-long-password-1")


@pytest.fixture
def cause() -> RootCause:
    return RootCause.objects.get(name="Billing error")


def test_an_unhappy_customer_gets_a_follow_up_owned_by_their_account_owner(
    boss: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_staff("ana", first_name="Ana")
    response = complete(3, contact=make_contact(account_owner=owner), capture=django_capture_on_commit_callbacks)

    follow_up = FollowUp.objects.get(response=response)

    assert (follow_up.owner, follow_up.status, follow_up.priority) == (owner, "new", "normal")
    assert follow_up.due_at == pytest.approx(follow_up.created_at + timedelta(hours=48), abs=timedelta(seconds=5))
    assert [e.kind for e in follow_up.events.all()] == ["created", "assigned"]
    assert [m.to for m in mail.outbox] == [["ana@corp.example"]]
    assert "is yours" in mail.outbox[0].subject


def test_without_an_account_owner_the_fallback_owner_takes_it(
    boss: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = complete(0, capture=django_capture_on_commit_callbacks)

    assert FollowUp.objects.get(response=response).owner == boss


def test_a_happy_customer_needs_no_follow_up_but_is_marked_routed(
    boss: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = complete(10, capture=django_capture_on_commit_callbacks)

    response.refresh_from_db()
    assert not FollowUp.objects.exists()
    assert response.routed_at is not None


def test_round_robin_takes_turns_and_skips_inactive_members(boss: Any, django_capture_on_commit_callbacks: Any) -> None:
    team = Team.objects.create(name="Care")
    first, away, second = make_staff("one"), make_staff("away", is_active=False), make_staff("two")
    team.members.set([first, away, second])
    RoutingRule.objects.create(name="Care team", position=1, score_group="detractor", owner_mode="team", team=team)

    owners = [
        FollowUp.objects.get(response=complete(2, capture=django_capture_on_commit_callbacks)).owner for _ in range(3)
    ]

    assert owners == [first, second, first]


def test_a_rule_on_theme_and_sentiment_picks_a_named_owner_and_priority(
    boss: Any, django_capture_on_commit_callbacks: Any
) -> None:
    billing_lead = make_staff("bill")
    from feedback.models import Theme

    billing = Theme.objects.get(name="Billing")
    RoutingRule.objects.create(
        name="Billing",
        position=1,
        theme=billing,
        sentiment="negative",
        owner_mode="user",
        owner_user=billing_lead,
        priority="high",
        sla_hours=4,
    )

    response = complete(4, text="The invoice was wrong twice.", capture=django_capture_on_commit_callbacks)

    follow_up = FollowUp.objects.get(response=response)
    assert (follow_up.owner, follow_up.priority) == (billing_lead, "high")


def test_routing_twice_still_makes_exactly_one_follow_up(boss: Any, django_capture_on_commit_callbacks: Any) -> None:
    response = complete(1, capture=django_capture_on_commit_callbacks)
    SurveyResponse.objects.filter(pk=response.pk).update(routed_at=None)

    again = routing.response_route(response_id=response.pk)
    tick(django_capture_on_commit_callbacks)

    assert FollowUp.objects.filter(response=response).count() == 1
    assert again == FollowUp.objects.get(response=response)


def test_only_allowed_transitions_happen_and_each_is_an_event(
    boss: Any, cause: RootCause, django_capture_on_commit_callbacks: Any
) -> None:
    follow_up = FollowUp.objects.get(response=complete(2, capture=django_capture_on_commit_callbacks))

    loop.follow_up_start(follow_up=follow_up, by=boss)
    with pytest.raises(ValidationError, match="cannot become In progress"):
        loop.follow_up_start(follow_up=follow_up, by=boss)
    with pytest.raises(ValidationError) as missing:
        loop.follow_up_resolve(follow_up=follow_up, by=boss, root_cause=None, note="")
    loop.follow_up_resolve(follow_up=follow_up, by=boss, root_cause=cause, note="Refunded")
    with pytest.raises(ValidationError, match="cannot become Waiting"):
        loop.follow_up_wait(follow_up=follow_up, by=boss)
    loop.follow_up_reopen(follow_up=follow_up, by=boss, note="Customer wrote back")

    assert set(missing.value.message_dict) == {"root_cause", "note"}
    statuses = [(e.from_value, e.to_value) for e in follow_up.events.filter(kind="status")]
    assert statuses == [("new", "in_progress"), ("in_progress", "resolved"), ("resolved", "in_progress")]
    assert all(e.actor == boss for e in follow_up.events.filter(kind="status"))
    follow_up.refresh_from_db()
    assert follow_up.first_action_at is not None


def test_the_owner_is_reminded_once_before_the_due_time(boss: Any, django_capture_on_commit_callbacks: Any) -> None:
    follow_up = FollowUp.objects.get(response=complete(2, capture=django_capture_on_commit_callbacks))
    FollowUp.objects.filter(pk=follow_up.pk).update(remind_at=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()

    tick(django_capture_on_commit_callbacks)
    tick(django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == [f"Reminder: follow-up #{follow_up.pk} is due soon"]


def test_an_overdue_follow_up_escalates_up_the_chain_again_and_again_once_per_step(
    boss: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner, manager, director = make_staff("owner"), make_staff("manager"), make_staff("director")
    StaffProfile.objects.create(user=owner, manager=manager)
    StaffProfile.objects.create(user=manager, manager=director)
    response = complete(2, contact=make_contact(account_owner=owner), capture=django_capture_on_commit_callbacks)
    follow_up = FollowUp.objects.get(response=response)
    mail.outbox.clear()

    for _step in range(3):
        FollowUp.objects.filter(pk=follow_up.pk).update(
            due_at=F("due_at") - timedelta(days=10), next_escalation_at=timezone.now() - timedelta(seconds=1)
        )
        tick(django_capture_on_commit_callbacks)
        tick(django_capture_on_commit_callbacks)

    follow_up.refresh_from_db()
    assert follow_up.escalation_level == 3
    assert [m.to[0] for m in mail.outbox] == ["manager@corp.example", "director@corp.example", "director@corp.example"]
    assert follow_up.events.filter(kind="escalated").count() == 3


def test_resolving_tells_the_customer_in_their_language_and_the_status_page_shows_it(
    boss: Any, cause: RootCause, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_staff("lin", first_name="林")
    contact = make_contact(language="zh-hans", account_owner=owner)
    response = complete(1, contact=contact, text="发票开错了", capture=django_capture_on_commit_callbacks)
    follow_up = FollowUp.objects.get(response=response)
    status_path = f"/s/{response.invitation.token}/status/"
    handling = Client().get(status_path, follow=True).content.decode()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        loop.follow_up_resolve(
            follow_up=follow_up,
            by=owner,
            root_cause=cause,
            note="Fixed the invoice",
            shared_note="我们已更正发票。",
            tell_customer=True,
        )

    assert "林" in handling
    email = mail.outbox[0]
    assert (email.to, email.reply_to) == ([contact.email], ["lin@corp.example"])
    assert "我们已更正发票。" in email.body and "发票开错了" in email.body
    resolved = Client().get(status_path, follow=True).content.decode()
    assert "我们已更正发票。" in resolved
    assert "Fixed the invoice" not in resolved


def test_a_recovery_check_is_planned_after_resolving(
    boss: Any, cause: RootCause, django_capture_on_commit_callbacks: Any
) -> None:
    RoutingRule.objects.update(recovery_survey_days=14)
    follow_up = FollowUp.objects.get(response=complete(3, capture=django_capture_on_commit_callbacks))

    loop.follow_up_resolve(follow_up=follow_up, by=boss, root_cause=cause, note="Done")

    follow_up.refresh_from_db()
    recovery = follow_up.recovery_invitation
    assert recovery.kind == Invitation.Kind.RECOVERY
    assert recovery.emails.get().due_at == pytest.approx(timezone.now() + timedelta(days=14), abs=timedelta(minutes=1))


def test_staff_email_the_customer_with_replies_going_to_the_owner(
    boss: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_staff("sam")
    follow_up = FollowUp.objects.get(
        response=complete(2, contact=make_contact(account_owner=owner), capture=django_capture_on_commit_callbacks)
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        loop.follow_up_email_customer(follow_up=follow_up, by=owner, subject="About your invoice", message="Call me?")

    assert (mail.outbox[0].subject, mail.outbox[0].reply_to) == ("About your invoice", ["sam@corp.example"])
    assert FollowUpEvent.objects.filter(follow_up=follow_up, kind="email").exists()


def test_the_invariant_check_finds_nothing_when_whole_and_names_what_is_broken(
    boss: Any, django_capture_on_commit_callbacks: Any
) -> None:
    complete(2, capture=django_capture_on_commit_callbacks)
    SurveyResponse.objects.update(completed_at=timezone.now() - timedelta(hours=1))
    whole = StringIO()
    call_command("loop_check", stdout=whole)
    assert "The closed loop is whole." in whole.getvalue()

    FollowUp.objects.all().delete()
    broken = StringIO()
    with pytest.raises(CommandError):
        call_command("loop_check", stdout=broken)
    assert "unhappy responses without a follow-up: 1" in broken.getvalue()


def test_follow_ups_over_the_api(boss: Any, cause: RootCause, django_capture_on_commit_callbacks: Any) -> None:
    follow_up = FollowUp.objects.get(response=complete(2, capture=django_capture_on_commit_callbacks))
    team = Team.objects.create(name="Care")
    Survey.objects.filter(pk=follow_up.survey_id).update(team=team)
    other = make_staff("other")
    membership_grant(user=other, team=team, role="agent", by=boss)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(boss)}")
    base = f"/api/v1/follow-ups/{follow_up.pk}"

    assigned = api.post(f"{base}/assign/", {"owner": other.pk}, format="json")
    started = api.post(f"{base}/start/", {}, format="json")
    noted = api.post(f"{base}/note/", {"kind": "call", "text": "Left a voicemail"}, format="json")
    incomplete = api.post(f"{base}/resolve/", {"note": "x"}, format="json")
    resolved = api.post(f"{base}/resolve/", {"root_cause": cause.pk, "note": "Refunded"}, format="json")
    again = api.post(f"{base}/start/", {}, format="json")

    assert (assigned.json()["owner"], started.json()["status"], noted.status_code) == ("other", "in_progress", 200)
    assert incomplete.status_code == 400 and "root_cause" in incomplete.json()
    assert resolved.json()["status"] == "resolved"
    assert again.status_code == 400
    assert api.get("/api/v1/follow-ups/", {"status": "resolved"}).json()["count"] == 1


def test_my_follow_ups_lists_overdue_first_and_the_page_acts(
    boss: Any, cause: RootCause, admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    done_earlier = FollowUp.objects.get(response=complete(3, capture=django_capture_on_commit_callbacks))
    loop.follow_up_resolve(follow_up=done_earlier, by=boss, root_cause=cause, note="Done")
    FollowUp.objects.filter(pk=done_earlier.pk).update(due_at=timezone.now() - timedelta(days=3))
    later = FollowUp.objects.get(response=complete(2, capture=django_capture_on_commit_callbacks))
    overdue = FollowUp.objects.get(response=complete(1, capture=django_capture_on_commit_callbacks))
    FollowUp.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=1))

    listing = admin_client.get("/admin/feedback/followup/")
    page = admin_client.get(f"/admin/feedback/followup/{later.pk}/change/").content.decode()
    refused = admin_client.post(f"/admin/feedback/followup/{later.pk}/act/", {"action": "resolve"}, follow=True)
    done = admin_client.post(
        f"/admin/feedback/followup/{later.pk}/act/", {"action": "resolve", "root_cause": cause.pk, "text": "Refund"}
    )

    assert [row.pk for row in listing.context["cl"].result_list] == [overdue.pk, later.pk, done_earlier.pk]
    assert "It broke" in page and "Timeline" in page
    assert "Choose a root cause." in refused.content.decode()
    assert done.status_code == 302
    assert FollowUp.objects.get(pk=later.pk).status == "resolved"


def test_loop_metrics_count_rates_medians_and_causes(
    boss: Any, cause: RootCause, django_capture_on_commit_callbacks: Any
) -> None:
    from feedback.loop_metrics import loop_metrics
    from feedback.metrics import MetricFilters
    from feedback.rollups import rollups_rebuild

    resolved, late, waiting = (
        FollowUp.objects.get(response=complete(score, capture=django_capture_on_commit_callbacks))
        for score in (1, 2, 3)
    )
    loop.follow_up_resolve(follow_up=resolved, by=boss, root_cause=cause, note="Fixed")
    FollowUp.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    loop.follow_up_resolve(follow_up=late, by=boss, root_cause=cause, note="Fixed late")

    figures = loop_metrics(filters=MetricFilters(live=True))
    rollups_rebuild()
    from_rollups = loop_metrics(filters=MetricFilters())

    assert {k: v for k, v in from_rollups.items() if not k.startswith(("median", "medians"))} == {
        k: v for k, v in figures.items() if not k.startswith(("median", "medians"))
    }
    assert from_rollups["median_hours_to_resolution"] == 1.0
    assert (figures["follow_ups"], figures["open"]) == (3, 1)
    assert figures["closed_loop_rate"]["value"] == pytest.approx(200 / 3)
    assert figures["sla_attainment"]["value"] == 50.0
    assert figures["open_by_owner"] == [{"owner_name": "chief", "n": 1}]
    assert figures["top_root_causes"] == [{"cause": "Billing error", "cause_zh": "账单错误", "n": 2}]
    assert figures["median_hours_to_resolution"] is not None
    assert waiting.status == "new"


def test_a_second_complaint_joins_the_open_follow_up_of_the_same_customer(
    boss: Any, admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    customer = make_contact()
    first = complete(2, contact=customer, capture=django_capture_on_commit_callbacks)
    second = complete(1, contact=customer, text="Still broken", capture=django_capture_on_commit_callbacks)

    follow_up = FollowUp.objects.get()
    second.refresh_from_db()
    assert follow_up.response == first
    assert second.attached_to == follow_up
    assert follow_up.events.filter(kind="note").exists()
    page = admin_client.get(f"/admin/feedback/followup/{follow_up.pk}/change/").content.decode()
    assert "Still broken" in page
    call_command("loop_check", "--grace-minutes=0", stdout=StringIO())


def test_attaching_can_be_switched_off_per_rule(boss: Any, django_capture_on_commit_callbacks: Any) -> None:
    RoutingRule.objects.update(attach_to_open_follow_up=False)
    customer = make_contact()

    complete(2, contact=customer, capture=django_capture_on_commit_callbacks)
    complete(1, contact=customer, capture=django_capture_on_commit_callbacks)

    assert FollowUp.objects.filter(contact=customer).count() == 2
