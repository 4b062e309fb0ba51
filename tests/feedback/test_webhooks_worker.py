"""Webhooks across processes and threads: a real Celery worker on Redis delivers after commit and the
sweep's retry, and two senders never make the same attempt twice."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from standardwebhooks import Webhook

from feedback.answering import response_save_page
from feedback.models import WebhookAttempt, WebhookMessage
from feedback.webhooks import delivery, services
from surveys.models import Team
from tests.conftest import make_contact, make_invitation, make_survey
from tests.realparts import wait_until
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_settings() -> dict[str, str]:
    return {"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1"}


def test_an_attempt_in_flight_is_not_made_again_by_another_worker(receiver: Receiver) -> None:
    # Given a due message whose first attempt is held in flight by the receiver
    team = Team.objects.create(name="North")
    subscription, _secret = services.webhook_subscription_create(
        team=team, url=receiver.url(), events=["response.completed"], by=None
    )
    now = timezone.now()
    message = WebhookMessage.objects.create(
        subscription=subscription,
        event="webhook.ping",
        msg_id="msg_held",
        body="{}",
        created_at=now,
        next_attempt_at=now,
    )
    receiver.go.clear()
    first = ThreadPoolExecutor(max_workers=1).submit(delivery.message_deliver, message_id=message.pk)
    assert wait_until(lambda: WebhookMessage.objects.get().attempts == 1)

    # When another worker (or the sweep) tries the same message meanwhile
    second = delivery.message_deliver(message_id=message.pk)
    receiver.go.set()

    # Then it skips it, and the receiver saw a single request
    assert (second, first.result(timeout=30)) == ("skipped", "delivered")
    assert len(receiver.received()) == 1
    assert WebhookAttempt.objects.count() == 1


def message_state() -> tuple[str, int] | None:
    message = WebhookMessage.objects.first()
    return (message.status, message.attempts) if message else None


def test_a_worker_delivers_a_completed_response_and_the_sweep_retries_it_after_a_500(
    celery_worker: Any, receiver: Receiver
) -> None:
    # Given a team subscribed to completed responses, whose receiver fails once
    get_user_model().objects.create_superuser("chief", "chief@corp.example", None)
    team = Team.objects.create(name="North")
    _subscription, secret = services.webhook_subscription_create(
        team=team, url=receiver.url(), events=["response.completed"], by=None
    )
    receiver.statuses.append(500)
    invitation = make_invitation(survey=make_survey(team=team), contact=make_contact(team=team))

    # When a customer completes the survey, and the sweep runs once the retry is due
    response_save_page(token=invitation.token, page=1, data={"q_nps": ["10"]}, language="en")
    response_save_page(token=invitation.token, page=2, data={"q_loved": ["Quick answers"]}, language="en")
    response_save_page(token=invitation.token, page=3, data={}, language="en")
    assert wait_until(lambda: message_state() == ("pending", 1))
    WebhookMessage.objects.update(next_attempt_at=timezone.now())
    delivery.webhooks_tick(now=timezone.now())

    # Then the worker delivered it on the second attempt, the same message byte for byte
    assert wait_until(lambda: message_state() == ("delivered", 2))
    first, second = receiver.received()
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    payload = Webhook(secret).verify(second.body, second.headers)
    assert payload["type"] == "response.completed"
    assert payload["data"]["response"]["nps_category"] == "promoter"
    assert list(WebhookMessage.objects.get().attempt_log.values_list("status_code", flat=True)) == [500, 200]
