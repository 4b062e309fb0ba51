"""Webhooks with a real Celery worker on Redis: delivered after commit, retried by the sweep, at least once."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from standardwebhooks import Webhook

from feedback.answering import response_save_page
from feedback.models import WebhookMessage
from feedback.webhooks import delivery, services
from surveys.models import Team
from tests.conftest import make_contact, make_invitation, make_survey
from tests.realparts import wait_until
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_settings() -> dict[str, str]:
    return {"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1"}


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
