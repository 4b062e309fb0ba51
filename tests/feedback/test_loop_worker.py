"""The whole closed loop with real parts: PostgreSQL, a Celery worker on Redis, an SMTP server."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from feedback import loop
from feedback.models import FollowUp, RootCause, StaffProfile
from feedback.tasks import feedback_tick
from tests.conftest import make_contact, make_invitation, make_survey
from tests.realparts import SmtpSink, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


def subjects_to(sink: SmtpSink, address: str) -> list[str]:
    return [str(message["Subject"]) for message in list(sink.messages) if str(message["To"]) == address]


def test_a_detractor_is_followed_up_reminded_escalated_resolved_and_told(
    celery_worker: Any, smtp_sink: SmtpSink
) -> None:
    User.objects.create_superuser("chief", "chief@corp.example", "a-long-password-1")
    owner = User.objects.create_user(
        "owner", "owner@corp.example", "pw-long-enough-1", is_staff=True, first_name="Olga"
    )
    manager = User.objects.create_user("manager", "manager@corp.example", "pw-long-enough-1", is_staff=True)
    StaffProfile.objects.create(user=owner, manager=manager)
    customer = make_contact(account_owner=owner, email="customer@example.com")
    invitation = make_invitation(survey=make_survey(), contact=customer)
    client, path = Client(), f"/s/{invitation.token}/"

    client.post(path, {"page": "1", "q_nps": "2"})
    client.post(path, {"page": "2", "q_disappointed": "I waited forty minutes on hold."})
    client.post(path, {"page": "3", "q_may_contact": "yes"})

    assert wait_until(lambda: subjects_to(smtp_sink, "owner@corp.example"))
    follow_up = FollowUp.objects.get()
    assert follow_up.owner == owner

    FollowUp.objects.filter(pk=follow_up.pk).update(remind_at=timezone.now() - timedelta(minutes=1))
    feedback_tick()
    feedback_tick()
    assert wait_until(lambda: len(subjects_to(smtp_sink, "owner@corp.example")) == 2)

    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_at=timezone.now() - timedelta(hours=1), next_escalation_at=timezone.now() - timedelta(minutes=1)
    )
    feedback_tick()
    feedback_tick()
    assert wait_until(lambda: subjects_to(smtp_sink, "manager@corp.example"))

    loop.follow_up_resolve(
        follow_up=FollowUp.objects.get(),
        by=owner,
        root_cause=RootCause.objects.get(name="Slow support response"),
        note="Added two agents to the morning shift.",
        shared_note="We added two people to our support team in the mornings.",
        tell_customer=True,
    )
    assert wait_until(lambda: subjects_to(smtp_sink, "customer@example.com"))

    assert subjects_to(smtp_sink, "owner@corp.example") == [
        f"Follow-up #{follow_up.pk} is yours",
        f"Reminder: follow-up #{follow_up.pk} is due soon",
    ]
    assert subjects_to(smtp_sink, "manager@corp.example") == [f"Escalated: follow-up #{follow_up.pk} is overdue"]
    told = next(m for m in smtp_sink.messages if str(m["To"]) == "customer@example.com")
    assert str(told["Reply-To"]) == "owner@corp.example"
    assert "We added two people" in told.get_content()
    status_page = Client().get(f"/s/{invitation.token}/status/", follow=True).content.decode()
    assert "Resolved" in status_page and "We added two people" in status_page
    report = StringIO()
    call_command("loop_check", "--grace-minutes=0", stdout=report)
    assert "The closed loop is whole." in report.getvalue()
