"""Webhooks against a real HTTP receiver on 127.0.0.1, checked with the standardwebhooks package.

The receiver is a private address, so these tests turn WEBHOOKS_ALLOW_PRIVATE_ADDRESSES on; the
refusals are tested with it off. Tasks run in-process here (tests/test_webhooks_worker.py runs a
real worker); retries are driven by making messages due and running the sweep, never by sleeping.
"""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from feedback import loop
from feedback.answering import response_save_page
from feedback.models import FollowUp, RootCause, WebhookAttempt, WebhookMessage, WebhookSubscription
from feedback.webhooks import addresses, delivery, outbox, services
from surveys.distributions import distributions_finish
from surveys.models import Distribution, Role, Survey, Team
from tests.conftest import make_contact, make_invitation, make_survey, make_ten_question_survey
from tests.realparts import SmtpSink, free_port
from tests.receiver import Receiver
from tests.survey_data import TEN_ANSWERS
from tests.teams import make_person
from vocsite.privacy.erasure import contact_erase

pytestmark = pytest.mark.django_db
ALL_EVENTS = [
    "distribution.finished",
    "follow_up.created",
    "follow_up.escalated",
    "follow_up.resolved",
    "response.completed",
    "response.tagged",
]


@pytest.fixture
def team(db: Any) -> Team:
    get_user_model().objects.create_superuser("chief", "chief@corp.example", None)
    return Team.objects.create(name="North")


def subscribe(team: Team, url: str, *, events: list[str] | None = None, personal: bool = False) -> tuple[Any, str]:
    return services.webhook_subscription_create(
        team=team, url=url, events=events or ["response.completed"], include_personal_data=personal, by=None
    )


def complete_response(
    team: Team, *, score: int = 2, text: str = "The invoice was wrong twice.", email: str = "customer@north.example"
) -> Any:
    contact = make_contact(team=team, email=email, name="Customer North")
    invitation = make_invitation(survey=make_survey(team=team), contact=contact)
    response_save_page(token=invitation.token, page=1, data={"q_nps": [str(score)]}, language="en")
    key = "q_disappointed" if score <= 6 else "q_loved"
    response_save_page(token=invitation.token, page=2, data={key: [text]}, language="en")
    response_save_page(token=invitation.token, page=3, data={}, language="en")
    return invitation


def verified(received: Any, secret: str) -> dict[str, Any]:
    return Webhook(secret).verify(received.body, received.headers)


def sweep_when_due(captured: Any) -> None:
    """Make every waiting message due now and run the sweep, as the next tick after its delay would."""
    WebhookMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    with captured(execute=True):
        delivery.webhooks_tick(now=timezone.now())


def test_a_completed_response_arrives_signed_and_verifies_with_an_independent_implementation(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    subscription, secret = subscribe(team, receiver.url())

    with django_capture_on_commit_callbacks(execute=True):
        complete_response(team, score=2)

    [received] = receiver.received()
    payload = verified(received, secret)
    assert received.path == "/hooks"
    assert received.headers["webhook-id"].startswith("msg_")
    assert payload["type"] == "response.completed"
    data = payload["data"]
    assert data["team"] == {"id": team.pk}
    assert data["response"]["score"] == 2
    assert data["response"]["nps_category"] == "detractor"
    assert data["response"]["scores"] == {"nps": 2}
    assert "contact" not in data and "answers" not in data
    assert b"customer@north.example" not in received.body and b"invoice" not in received.body
    message = WebhookMessage.objects.get(subscription=subscription)
    assert (message.status, message.attempts, message.msg_id) == ("delivered", 1, received.headers["webhook-id"])
    assert list(message.attempt_log.values_list("status_code", flat=True)) == [200]


def test_only_a_subscription_that_opted_in_receives_the_customer_and_what_they_wrote(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    _plain, plain_secret = subscribe(team, receiver.url("/plain"))
    _personal, personal_secret = subscribe(team, receiver.url("/personal"), personal=True)

    with django_capture_on_commit_callbacks(execute=True):
        complete_response(team)

    by_path = {received.path: received for received in receiver.received()}
    plain = verified(by_path["/plain"], plain_secret)["data"]
    personal = verified(by_path["/personal"], personal_secret)["data"]
    assert "contact" not in plain and "answers" not in plain
    assert personal["contact"]["email"] == "customer@north.example"
    assert personal["contact"]["name"] == "Customer North"
    assert personal["answers"] == {"disappointed": "The invoice was wrong twice."}
    assert personal["response"] == plain["response"]


def test_each_event_is_delivered_from_its_real_action(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    _subscription, secret = subscribe(team, receiver.url(), events=ALL_EVENTS)

    with django_capture_on_commit_callbacks(execute=True):
        invitation = complete_response(team, score=1)
    follow_up = FollowUp.objects.get()
    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_at=timezone.now() - timedelta(hours=1), next_escalation_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        loop.follow_ups_escalate_due(now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        loop.follow_up_resolve(
            follow_up=FollowUp.objects.get(), by=follow_up.owner, root_cause=RootCause.objects.first(), note="Refunded"
        )
    Distribution.objects.filter(pk=_distribution(invitation).pk).update(
        status=Distribution.Status.SENDING, materialized_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        distributions_finish(now=timezone.now())

    payloads = [verified(received, secret) for received in receiver.received()]
    assert sorted(payload["type"] for payload in payloads) == ALL_EVENTS
    by_type = {payload["type"]: payload["data"] for payload in payloads}
    assert by_type["follow_up.created"]["follow_up"]["id"] == follow_up.pk
    assert by_type["follow_up.escalated"]["follow_up"]["escalation_level"] == 1
    assert by_type["follow_up.resolved"]["follow_up"]["status"] == "resolved"
    assert by_type["follow_up.resolved"]["follow_up"]["root_cause"] == RootCause.objects.first().name
    assert by_type["response.tagged"]["answers"][0]["sentiment"] in ("negative", "neutral", "positive")
    assert by_type["distribution.finished"]["distribution"]["figures"]["responded"] == 1
    assert "resolution_note" not in by_type["follow_up.resolved"]


def _distribution(invitation: Any) -> Distribution:
    distribution = Distribution.objects.create(name="Spring", survey=invitation.survey)
    type(invitation).objects.filter(pk=invitation.pk).update(distribution=distribution)
    return distribution


def test_a_500_is_retried_with_the_same_id_and_a_byte_identical_body(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    _subscription, secret = subscribe(team, receiver.url())
    receiver.statuses.extend([500, 500])

    with django_capture_on_commit_callbacks(execute=True):
        complete_response(team)
    sweep_when_due(django_capture_on_commit_callbacks)
    sweep_when_due(django_capture_on_commit_callbacks)
    sweep_when_due(django_capture_on_commit_callbacks)

    requests = receiver.received()
    assert len(requests) == 3
    assert len({received.body for received in requests}) == 1
    assert len({received.headers["webhook-id"] for received in requests}) == 1
    assert all(verified(received, secret) for received in requests)
    message = WebhookMessage.objects.get()
    assert (message.status, message.attempts) == ("delivered", 3)
    assert list(message.attempt_log.values_list("status_code", flat=True)) == [500, 500, 200]


def test_a_failed_attempt_waits_for_the_next_step_of_the_schedule(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(team, receiver.url())
    receiver.statuses.extend([500, 500])

    with django_capture_on_commit_callbacks(execute=True):
        complete_response(team)
    with django_capture_on_commit_callbacks(execute=True):
        delivery.webhooks_tick(now=timezone.now())

    message = WebhookMessage.objects.get()
    assert message.attempts == 1 and message.status == "pending"
    assert timedelta(seconds=4) < message.next_attempt_at - message.attempt_log.get().at < timedelta(seconds=6)
    assert len(receiver.received()) == 1
    assert [delivery.SCHEDULE_SECONDS[n] for n in range(8)] == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


def test_a_message_failing_every_attempt_disables_the_subscription_and_tells_the_managers(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any, smtp_sink: SmtpSink, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    manager = make_person("manager-north", team=team, role=Role.MANAGER)
    subscription, _secret = subscribe(team, receiver.url())
    receiver.statuses.extend([500] * 20)

    with django_capture_on_commit_callbacks(execute=True):
        complete_response(team)
    for _attempt in range(len(delivery.SCHEDULE_SECONDS) + 2):
        sweep_when_due(django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    assert len(receiver.received()) == len(delivery.SCHEDULE_SECONDS)
    assert WebhookMessage.objects.get().status == "failed"
    assert WebhookAttempt.objects.count() == 8
    assert (subscription.active, subscription.disabled_reason) == (False, "HTTP 500")
    told = [(str(m["To"]), str(m["Subject"])) for m in smtp_sink.messages if "Webhook" in str(m["Subject"])]
    assert told == [(manager.email, f"Webhook disabled: {subscription}")]

    with django_capture_on_commit_callbacks(execute=True):
        complete_response(team, email="again@north.example")
    sweep_when_due(django_capture_on_commit_callbacks)
    assert len(receiver.received()) == 8
    assert WebhookMessage.objects.count() == 1

    client = APIClient()
    client.force_authenticate(user=manager)
    answer = client.post(f"/api/v1/webhook-subscriptions/{subscription.pk}/enable/")
    assert answer.status_code == 200 and answer.json()["active"] is True


def test_the_disabled_notice_waits_out_a_mail_server_outage_and_goes_out_once(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any, smtp_sink: SmtpSink, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    manager = make_person("manager-north", team=team, role=Role.MANAGER)
    subscription, _secret = subscribe(team, receiver.url())
    receiver.statuses.extend([500] * len(delivery.SCHEDULE_SECONDS))
    with django_capture_on_commit_callbacks(execute=True):
        complete_response(team)
    for _attempt in range(len(delivery.SCHEDULE_SECONDS)):
        sweep_when_due(django_capture_on_commit_callbacks)
    subscription.refresh_from_db()
    assert (subscription.active, subscription.disabled_told_at) == (False, None)

    settings.EMAIL_PORT = smtp_sink.port
    for _tick in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            delivery.webhooks_tick(now=timezone.now())

    told = [str(m["To"]) for m in smtp_sink.messages if "Webhook" in str(m["Subject"])]
    assert told == [manager.email]
    subscription.refresh_from_db()
    assert subscription.disabled_told_at is not None


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    subscription, _secret = subscribe(team, receiver.url())
    receiver.statuses.append(302)

    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_subscription_ping(subscription=subscription)

    assert [received.path for received in receiver.received()] == ["/hooks"]
    message = WebhookMessage.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.attempt_log.get().status_code == 302


REFUSED = [
    "https://127.0.0.1/hooks",
    "https://10.1.2.3/hooks",
    "https://192.168.0.10/hooks",
    "https://169.254.169.254/latest/meta-data",
    "https://100.100.100.200/",
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[::ffff:10.0.0.1]/hooks",
    "https://[2002:a00:1::]/hooks",
    "https://[fd00:ec2::254]/",
    "https://100.64.0.1/hooks",
    "https://0.0.0.0/hooks",
    "https://localhost/hooks",
    "http://93.184.215.14/hooks",
    "https://user:password@93.184.215.14/hooks",
    "ftp://93.184.215.14/hooks",
    "not a url",
]


@pytest.mark.parametrize("url", REFUSED)
def test_an_unsafe_url_is_refused_at_creation_with_a_field_message(team: Team, url: str) -> None:
    client = APIClient()
    client.force_authenticate(user=make_person("manager-north", team=team, role=Role.MANAGER))

    answer = client.post(
        "/api/v1/webhook-subscriptions/", {"team": team.pk, "url": url, "events": ["response.completed"]}, format="json"
    )

    assert answer.status_code == 400
    assert list(answer.json()) == ["url"]
    assert not WebhookSubscription.objects.exists()


def test_metadata_addresses_stay_refused_when_private_addresses_are_allowed(settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True

    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://100.100.100.200/"):
        with pytest.raises(addresses.AddressRefused):
            addresses.target_for(url)
    assert addresses.target_for("http://127.0.0.1:8000/x?a=1").path == "/x?a=1"


def test_delivery_checks_the_address_again_and_connects_to_the_one_it_checked(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a host that resolved to the receiver when subscribed
    answers = {"hooks.example.test": ["127.0.0.1"]}
    monkeypatch.setattr(addresses, "resolve", lambda host, port: answers[host])
    subscription, _secret = subscribe(team, f"http://hooks.example.test:{receiver.port}/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_subscription_ping(subscription=subscription)
    [received] = receiver.received()
    assert received.headers["Host"] == f"hooks.example.test:{receiver.port}"

    # When it resolves to a metadata address at the next delivery
    answers["hooks.example.test"] = ["169.254.169.254"]
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_subscription_ping(subscription=subscription)

    # Then nothing is sent, and the attempt says why
    assert len(receiver.received()) == 1
    refused = WebhookMessage.objects.order_by("pk").last().attempt_log.get()
    assert refused.status_code is None
    assert "169.254.169.254" in refused.error and "metadata" in refused.error


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    subscription, old_secret = subscribe(team, receiver.url())
    new_secret = services.webhook_subscription_rotate_secret(subscription=subscription)

    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_subscription_ping(subscription=subscription)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(previous_secret_until=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        delivery.webhooks_tick(now=timezone.now())  # drops the old secret
        services.webhook_subscription_ping(subscription=subscription)

    during, after = receiver.received()
    assert new_secret != old_secret
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verified(during, old_secret)["type"] == "webhook.ping"
    assert verified(during, new_secret)["type"] == "webhook.ping"
    assert verified(after, new_secret)["type"] == "webhook.ping"
    with pytest.raises(WebhookVerificationError):
        verified(after, old_secret)


def test_secrets_are_stored_encrypted(team: Team) -> None:
    subscription, secret = subscribe(team, "https://93.184.215.14/hooks")

    stored = WebhookSubscription.objects.filter(pk=subscription.pk).values_list("secret_encrypted", flat=True)[0]

    assert secret.startswith("whsec_") and secret not in stored and secret.removeprefix("whsec_") not in stored


def test_a_submission_costs_no_statement_when_nobody_listens_and_one_when_someone_does(team: Team) -> None:
    other = Team.objects.create(name="South")
    subscribe(other, "https://93.184.215.14/hooks")
    outbox.listening_refresh()

    assert _final_page_statements(team) == 2
    subscribe(team, "https://93.184.215.14/hooks")
    assert _final_page_statements(team) == 3  # cache not yet refreshed: the INSERT finds out
    outbox.listening_refresh()
    assert _final_page_statements(team) == 3
    assert WebhookMessage.objects.filter(subscription__team=team, event="response.completed").count() == 2


def _final_page_statements(team: Team) -> int:
    """The statements of a one-page submission (the benchmark's shape: two without webhooks)."""
    survey = make_ten_question_survey()
    Survey.objects.filter(pk=survey.pk).update(team=team)
    invitation = make_invitation(survey=Survey.objects.get(pk=survey.pk), contact=make_contact(team=team))
    with CaptureQueriesContext(connection) as queries:
        response_save_page(token=invitation.token, page=1, data=TEN_ANSWERS, language="en")
    return len([q for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])


def test_the_api_shows_the_secret_once_and_every_attempt(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    client = APIClient()
    client.force_authenticate(user=make_person("manager-north", team=team, role=Role.MANAGER))
    body = {"team": team.pk, "url": receiver.url(), "events": ["response.completed"], "description": "CRM"}

    created = client.post("/api/v1/webhook-subscriptions/", body, format="json")
    pk = created.json()["id"]
    receiver.statuses.append(503)
    with django_capture_on_commit_callbacks(execute=True):
        tested = client.post(f"/api/v1/webhook-subscriptions/{pk}/test/")
    rotated = client.post(f"/api/v1/webhook-subscriptions/{pk}/rotate-secret/")
    shown = client.get(f"/api/v1/webhook-subscriptions/{pk}/")
    messages = client.get("/api/v1/webhook-messages/", {"subscription": pk, "status": "pending"})

    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    assert tested.status_code == 202
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != created.json()["secret"]
    assert "secret" not in shown.json() and created.json()["secret"] not in shown.content.decode()
    [message] = messages.json()["results"]
    assert message["event"] == "webhook.ping"
    assert [attempt["status_code"] for attempt in message["log"]] == [503]
    assert json.loads(message["body"])["data"]["subscription"] == {"id": pk}


def test_unknown_events_are_refused_with_a_field_message(team: Team) -> None:
    client = APIClient()
    client.force_authenticate(user=make_person("manager-north", team=team, role=Role.MANAGER))

    for events in (["response.deleted"], [], ["webhook.ping"], "response.completed"):
        answer = client.post(
            "/api/v1/webhook-subscriptions/",
            {"team": team.pk, "url": "https://93.184.215.14/hooks", "events": events},
            format="json",
        )
        assert answer.status_code == 400 and list(answer.json()) == ["events"], events


def test_the_schema_describes_the_webhook_endpoints(client: Any) -> None:
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert {
        "/api/v1/webhook-subscriptions/",
        "/api/v1/webhook-subscriptions/{id}/rotate-secret/",
        "/api/v1/webhook-subscriptions/{id}/enable/",
        "/api/v1/webhook-subscriptions/{id}/test/",
        "/api/v1/webhook-messages/",
        "/api/v1/webhook-messages/{id}/",
    } <= set(paths)


def test_erasing_a_customer_redacts_the_payloads_that_named_them(team: Team) -> None:
    subscribe(team, "https://93.184.215.14/hooks", personal=True)
    subscribe(team, "https://93.184.215.15/hooks")
    invitation = complete_response(team)

    contact_erase(contact_id=invitation.contact_id, by=None)

    bodies = list(WebhookMessage.objects.filter(event="response.completed").values_list("body", flat=True))
    assert len(bodies) == 2
    assert all("customer@north.example" not in body and "invoice" not in body for body in bodies)
    assert {json.loads(body)["data"].get("contact", "absent") for body in bodies} == {None, "absent"}


def test_old_messages_and_their_attempts_are_purged_after_the_retention_window(
    receiver: Receiver, team: Team, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    subscription, _secret = subscribe(team, receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        old = services.webhook_subscription_ping(subscription=subscription)
        recent = services.webhook_subscription_ping(subscription=subscription)
    WebhookMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.WEBHOOK_RETENTION_DAYS + 1)
    )

    delivery.webhook_messages_purge(now=timezone.now())

    assert list(WebhookMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert WebhookAttempt.objects.filter(message_id=old.pk).count() == 0


def test_a_completed_payload_holds_every_score_and_choice_and_only_opted_in_ones_the_texts(team: Team) -> None:
    subscribe(team, "https://93.184.215.14/hooks")
    subscribe(team, "https://93.184.215.15/hooks", personal=True)

    _final_page_statements(team)

    plain, personal = (
        json.loads(body)["data"] for body in WebhookMessage.objects.order_by("pk").values_list("body", flat=True)
    )
    assert plain["response"]["scores"] == {"nps": 9, "csat": 4, "ces": 6, "stars": 5}
    assert plain["response"]["choices"] == {"plan": ["paid"], "used": ["web", "api"]}
    assert plain["response"]["nps_category"] == "promoter"
    assert "answers" not in plain
    assert personal["answers"] == {
        "role": "Ops lead",
        "best": "Fast support",
        "worst": "Slow exports",
        "else": "Keep going",
    }
