"""Distributions in-process: audience, skip reasons, emails, reminders, lifecycle, triggers."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db.models import F
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.answering import response_save_page
from surveys import distributions, sending
from surveys.models import Distribution, Invitation, InvitationEmail, Segment
from surveys.periodic import periodic_tick
from tests.conftest import make_contact, make_survey
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


def make_distribution(*, contacts: list[Any], survey: Any = None, **fields: Any) -> Distribution:
    distribution = Distribution.objects.create(name="Spring", survey=survey or make_survey(), **fields)
    distribution.contacts.set(contacts)
    return distribution


def run_tick(capture: Any) -> dict[str, int]:
    """One tick, with the tasks it enqueues run in-process once its transactions commit."""
    with capture(execute=True):
        return periodic_tick(now=timezone.now())


def days_pass(days: float) -> None:
    """Move what was sent back in time, as if days had passed since."""
    Invitation.objects.filter(sent_at__isnull=False).update(sent_at=F("sent_at") - timedelta(days=days, minutes=1))


def test_a_scheduled_distribution_emails_each_eligible_contact_once(django_capture_on_commit_callbacks: Any) -> None:
    people = [make_contact(), make_contact(language="zh-hans")]
    distribution = make_distribution(contacts=people)
    distributions.distribution_schedule(distribution=distribution)

    run_tick(django_capture_on_commit_callbacks)
    run_tick(django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    chinese = next(m for m in mail.outbox if m.to == [people[1].email])
    assert chinese.subject == "我们做得怎么样？"
    assert chinese.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert chinese.extra_headers["List-Unsubscribe"].startswith("<http://testserver.example/u/")
    assert "退订" in chinese.alternatives[0].content
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}
    assert Distribution.objects.get().status == "finished"


def test_every_skipped_contact_has_a_reason(django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    survey = make_survey(min_days_between_surveys=10)
    fine = make_contact(last_surveyed_at=now - timedelta(days=11))
    quit_ = make_contact(unsubscribed_at=now)
    bounced = make_contact(bounced_at=now)
    tired = make_contact(last_surveyed_at=now - timedelta(days=9))
    distributions.distribution_schedule(
        distribution=make_distribution(contacts=[fine, quit_, bounced, tired], survey=survey)
    )

    run_tick(django_capture_on_commit_callbacks)

    reasons = dict(Invitation.objects.values_list("contact__email", "skip_reason"))
    assert reasons == {
        fine.email: "",
        quit_.email: "unsubscribed",
        bounced.email: "bounced",
        tired.email: "recently_surveyed",
    }
    assert [m.to for m in mail.outbox] == [[fine.email]]


def test_the_audience_is_the_segment_and_the_list_without_duplicates(django_capture_on_commit_callbacks: Any) -> None:
    pro = make_contact(attributes={"plan": "pro"})
    listed = make_contact(attributes={"plan": "free"})
    make_contact(attributes={"plan": "free"})
    segment = Segment.objects.create(name="Pro", rules=[{"field": "attributes.plan", "op": "eq", "value": "pro"}])
    distribution = make_distribution(contacts=[pro, listed], segment=segment)
    distributions.distribution_schedule(distribution=distribution)

    run_tick(django_capture_on_commit_callbacks)
    distributions.distribution_materialise(distribution_id=distribution.pk, now=timezone.now())

    assert sorted(Invitation.objects.values_list("contact__email", flat=True)) == sorted([pro.email, listed.email])


def test_a_bulk_send_enqueues_batches_not_one_message_per_recipient(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.SEND_BATCH_SIZE = 4
    distribution = make_distribution(contacts=[make_contact() for _ in range(10)])
    distributions.distribution_schedule(distribution=distribution)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        periodic_tick(now=timezone.now())

    assert len(callbacks) == 3
    assert InvitationEmail.objects.filter(enqueued_at__isnull=False).count() == 10


def test_reminders_go_only_to_those_who_have_not_answered_and_are_still_reachable(
    django_capture_on_commit_callbacks: Any,
) -> None:
    answered, unsubscribed, silent = make_contact(), make_contact(), make_contact()
    distribution = make_distribution(contacts=[answered, unsubscribed, silent], reminder_days=[3, 7])
    distributions.distribution_schedule(distribution=distribution)
    run_tick(django_capture_on_commit_callbacks)
    token = Invitation.objects.get(contact=answered).token
    response_save_page(token=token, page=1, data={"q_nps": ["9"]}, language="en")
    response_save_page(token=token, page=2, data={}, language="en")
    response_save_page(token=token, page=3, data={}, language="en")
    distributions.contact_unsubscribe(token=Invitation.objects.get(contact=unsubscribed).token)
    mail.outbox.clear()

    days_pass(3)
    run_tick(django_capture_on_commit_callbacks)
    days_pass(4)
    run_tick(django_capture_on_commit_callbacks)

    assert [(m.to[0], m.subject) for m in mail.outbox] == [
        (silent.email, "Reminder: How are we doing?"),
        (silent.email, "Reminder: How are we doing?"),
    ]
    assert Invitation.objects.get(contact=silent).reminders_sent == 2
    days_pass(1)
    run_tick(django_capture_on_commit_callbacks)
    assert Distribution.objects.get().status == "finished"


def test_a_paused_distribution_sends_nothing_until_resumed(django_capture_on_commit_callbacks: Any) -> None:
    distribution = make_distribution(contacts=[make_contact(), make_contact()])
    distributions.distribution_schedule(distribution=distribution)
    with django_capture_on_commit_callbacks(execute=False):
        periodic_tick(now=timezone.now())

    distributions.distribution_pause(distribution=distribution)
    run_tick(django_capture_on_commit_callbacks)
    assert mail.outbox == []

    distributions.distribution_resume(distribution=distribution)
    run_tick(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


def test_cancelling_records_what_was_waiting_as_skipped(django_capture_on_commit_callbacks: Any) -> None:
    distribution = make_distribution(contacts=[make_contact()])
    distributions.distribution_schedule(distribution=distribution)
    with django_capture_on_commit_callbacks(execute=False):
        periodic_tick(now=timezone.now())

    distributions.distribution_cancel(distribution=distribution)
    run_tick(django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert list(Invitation.objects.values_list("status", "skip_reason")) == [("skipped", "cancelled")]


def test_a_distribution_cannot_be_scheduled_for_a_draft_survey() -> None:
    distribution = make_distribution(contacts=[make_contact()], survey=make_survey(live=False))

    with pytest.raises(Exception, match="must be live"):
        distributions.distribution_schedule(distribution=distribution)

    assert Distribution.objects.get().status == "draft"


def test_the_figures_count_each_outcome(django_capture_on_commit_callbacks: Any) -> None:
    people = [make_contact(), make_contact(), make_contact(unsubscribed_at=timezone.now())]
    distributions.distribution_schedule(distribution=make_distribution(contacts=people))
    run_tick(django_capture_on_commit_callbacks)
    first = Invitation.objects.get(contact=people[0])
    Client().get(f"/s/{first.token}/", follow=True)
    response_save_page(token=first.token, page=1, data={"q_nps": ["10"]}, language="en")
    response_save_page(token=first.token, page=2, data={}, language="en")
    response_save_page(token=first.token, page=3, data={}, language="en")

    figures = distributions.distribution_figures(distribution=Distribution.objects.get())

    assert figures == {
        "audience": 3,
        "eligible": 2,
        "skipped": 1,
        "skipped_by_reason": {"unsubscribed": 1},
        "sent": 2,
        "bounced": 0,
        "failed": 0,
        "opened": 1,
        "responded": 1,
        "response_rate": 0.5,
    }


def test_a_resend_goes_out_even_to_a_recently_surveyed_contact(django_capture_on_commit_callbacks: Any) -> None:
    distributions.distribution_schedule(distribution=make_distribution(contacts=[make_contact()]))
    run_tick(django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        queued = sending.invitation_resend(invitation=Invitation.objects.get(), now=timezone.now())

    assert queued is True
    assert len(mail.outbox) == 2


def test_the_unsubscribe_link_asks_first_and_one_click_post_unsubscribes() -> None:
    contact = make_contact(language="zh-hans")
    distributions.distribution_schedule(distribution=make_distribution(contacts=[contact]))
    distributions.distribution_materialise(distribution_id=Distribution.objects.get().pk, now=timezone.now())
    token = Invitation.objects.get().token
    client = Client()

    asked = client.get(f"/u/{token}/", follow=True)
    contact.refresh_from_db()
    assert asked.status_code == 200 and contact.unsubscribed_at is None
    assert "退订" in asked.content.decode()
    assert token not in asked.redirect_chain[-1][0]
    done = Client().post(f"/u/{token}/", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    contact.refresh_from_db()
    assert done.status_code == 200
    assert contact.unsubscribed_at is not None
    assert client.get("/u/unknown-token/").status_code == 404


def test_confirming_on_the_unsubscribe_page_unsubscribes() -> None:
    contact = make_contact()
    distributions.distribution_schedule(distribution=make_distribution(contacts=[contact]))
    distributions.distribution_materialise(distribution_id=Distribution.objects.get().pk, now=timezone.now())
    client = Client()
    asked = client.get(f"/u/{Invitation.objects.get().token}/")

    done = client.post(asked["Location"])

    contact.refresh_from_db()
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert contact.unsubscribed_at is not None


@pytest.fixture
def api(admin_user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(admin_user)}")
    return client


def test_an_event_sends_a_survey_once_per_idempotency_key(
    api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    survey = make_survey()
    body = {"contact": {"email": "New@Example.com", "language": "zh-hans"}, "idempotency_key": "ticket-42"}

    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(f"/api/v1/surveys/{survey.pk}/send/", body, format="json")
        again = api.post(f"/api/v1/surveys/{survey.pk}/send/", body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["invitation"] == again.json()["invitation"]
    assert [m.to for m in mail.outbox] == [["New@Example.com"]]
    assert Invitation.objects.get().contact.language == "zh-hans"


def test_an_event_with_a_delay_waits_for_the_tick(api: APIClient, django_capture_on_commit_callbacks: Any) -> None:
    survey = make_survey()
    body = {"contact": {"email": "later@example.com"}, "idempotency_key": "t-1", "delay_minutes": 30}

    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/surveys/{survey.pk}/send/", body, format="json")
    run_tick(django_capture_on_commit_callbacks)
    assert mail.outbox == []

    InvitationEmail.objects.update(due_at=F("due_at") - timedelta(minutes=31))
    run_tick(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_bad_send_requests_get_field_messages(api: APIClient) -> None:
    survey = make_survey()

    answer = api.post(f"/api/v1/surveys/{survey.pk}/send/", {"contact": {"email": "nope"}}, format="json")

    assert answer.status_code == 400
    assert set(answer.json()) == {"contact", "idempotency_key"}
    assert not Invitation.objects.exists()


def test_distributions_over_the_api_schedule_and_show_figures(api: APIClient) -> None:
    survey, contact = make_survey(), make_contact()
    created = api.post(
        "/api/v1/distributions/",
        {"name": "Q3", "survey": survey.pk, "contacts": [contact.pk], "reminder_days": [3, 7]},
        format="json",
    )

    scheduled = api.post(f"/api/v1/distributions/{created.json()['id']}/schedule/", {}, format="json")
    wrong = api.post(f"/api/v1/distributions/{created.json()['id']}/resume/", {}, format="json")

    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == "scheduled"
    assert scheduled.json()["figures"]["audience"] == 0
    assert wrong.status_code == 400


def test_admin_shows_distribution_figures_and_schedules(admin_client: Client) -> None:
    distribution = make_distribution(contacts=[make_contact()])

    admin_client.post("/admin/surveys/distribution/", {"action": "schedule", "_selected_action": [distribution.pk]})
    page = admin_client.get(f"/admin/surveys/distribution/{distribution.pk}/change/").content.decode()

    assert Distribution.objects.get().status == "scheduled"
    assert "Response rate" in page


def test_the_distribution_list_counts_in_a_fixed_number_of_queries(
    admin_client: Client, django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(3):
        distributions.distribution_schedule(distribution=make_distribution(contacts=[make_contact()]))
    run_tick(django_capture_on_commit_callbacks)

    with django_assert_num_queries(6):
        page = admin_client.get("/admin/surveys/distribution/")

    assert page.content.decode().count('<td class="field-figures_line">1 / 0</td>') == 3
