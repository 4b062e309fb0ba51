"""Two beat schedulers at once (a deploy that overlaps, a second machine): no periodic effect twice."""

import os
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.utils import timezone

from feedback import routing
from feedback.answering import response_save_page
from feedback.models import DigestDelivery, DigestSubscription, FollowUp, FollowUpEvent, FollowUpNotification
from surveys import distributions
from surveys.models import Distribution, Invitation, InvitationEmail, Survey
from tests.conftest import make_ten_question_survey
from tests.realparts import Beat, SmtpSink, Worker, service_env, wait_until
from tests.resilience.conftest import make_distribution, make_invited, make_owners, running, ten_answers, twice

pytestmark = pytest.mark.django_db(transaction=True)

REMINDED, ESCALATED, DIGESTS, FIRST_SENDS, REMINDER_SENDS = 10, 10, 3, 30, 20


def make_follow_ups(survey: Survey, count: int) -> list[FollowUp]:
    """Detractors' follow-ups, assigned and their owners told (so the only emails left are periodic)."""
    tokens = make_invited(survey, count, owners=make_owners(4, with_managers=True))
    for token in tokens:
        saved = response_save_page(token=token, page=1, data=parse_qs(ten_answers(0).decode()), language="en")
        routing.response_route(response_id=saved.response_id)
    FollowUpNotification.objects.update(status=FollowUpNotification.Status.SENT, sent_at=timezone.now())
    return list(FollowUp.objects.order_by("pk"))


def make_sent_two_days_ago(survey: Survey, count: int) -> None:
    """A distribution whose invitations went out two days ago, with a reminder after one day."""
    distribution = make_distribution(survey, count, prefix="earlier")
    two_days_ago = timezone.now() - timedelta(days=2)
    distributions.distribution_materialise(distribution_id=distribution.pk, now=two_days_ago)
    Distribution.objects.filter(pk=distribution.pk).update(reminder_days=[1])
    InvitationEmail.objects.filter(invitation__distribution=distribution).update(
        status=InvitationEmail.Status.SENT, sent_at=two_days_ago
    )
    Invitation.objects.filter(distribution=distribution).update(status=Invitation.Status.SENT, sent_at=two_days_ago)


def periodic_emails(sink: SmtpSink) -> Counter[str]:
    """What the server took, by kind of periodic email."""
    kinds: Counter[str] = Counter()
    for subject in sink.subjects():
        if subject.startswith("Escalated:"):
            kinds["escalation"] += 1
        elif subject.startswith("Reminder: follow-up"):
            kinds["follow-up reminder"] += 1
        elif subject.startswith("Reminder:"):
            kinds["invitation reminder"] += 1
        elif subject.startswith("Customer complaints"):
            kinds["digest"] += 1
        else:
            kinds["invitation"] += 1
    return kinds


def test_two_beats_at_once_send_every_periodic_email_once_and_record_every_periodic_event_once(
    queue: str, smtp_sink: SmtpSink
) -> None:
    survey = make_ten_question_survey()
    follow_ups = make_follow_ups(survey, REMINDED + ESCALATED)
    now = timezone.now()
    due_soon, overdue = follow_ups[:REMINDED], follow_ups[REMINDED:]
    FollowUp.objects.filter(pk__in=[f.pk for f in due_soon]).update(remind_at=now - timedelta(minutes=1))
    FollowUp.objects.filter(pk__in=[f.pk for f in overdue]).update(
        due_at=now - timedelta(hours=1), next_escalation_at=now - timedelta(minutes=1)
    )
    make_sent_two_days_ago(survey, REMINDER_SENDS)
    make_distribution(survey, FIRST_SENDS)
    for number in range(DIGESTS):
        DigestSubscription.objects.create(email=f"designer{number}@example.com", cadence="daily")
    env = service_env(
        database_name=connection.settings_dict["NAME"],
        redis_url=os.environ["REDIS_URL"],
        smtp_port=smtp_sink.port,
        queue=queue,
        TICK_SECONDS="1",
    )
    expected = Counter(
        {
            "invitation": FIRST_SENDS,
            "invitation reminder": REMINDER_SENDS,
            "follow-up reminder": REMINDED,
            "escalation": ESCALATED,
            "digest": DIGESTS,
        }
    )

    with running(
        Worker(env, concurrency=2, name=f"{queue}-a"),
        Worker(env, concurrency=2, name=f"{queue}-b"),
        Beat(env, name=f"{queue}-a"),
        Beat(env, name=f"{queue}-b"),
    ):
        done = wait_until(lambda: periodic_emails(smtp_sink) == expected, timeout=120)
        time.sleep(10)  # ten more ticks of each beat: none may repeat anything

    assert done, periodic_emails(smtp_sink)
    assert periodic_emails(smtp_sink) == expected
    assert twice(smtp_sink) == {}
    events = FollowUpEvent.objects.filter(kind__in=[FollowUpEvent.Kind.REMINDED, FollowUpEvent.Kind.ESCALATED])
    assert Counter(events.values_list("follow_up", "kind")) == Counter(
        {(f.pk, FollowUpEvent.Kind.REMINDED): 1 for f in due_soon}
        | {(f.pk, FollowUpEvent.Kind.ESCALATED): 1 for f in overdue}
    )
    assert FollowUp.objects.filter(pk__in=[f.pk for f in overdue], escalation_level=1).count() == ESCALATED
    assert DigestDelivery.objects.filter(status=DigestDelivery.Status.SENT).count() == DIGESTS
    assert InvitationEmail.objects.filter(status=InvitationEmail.Status.SENT).count() == (
        REMINDER_SENDS * 2 + FIRST_SENDS
    )
