"""Two beat schedulers at once (a deploy that overlaps, a second machine): no periodic effect twice."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import DigestDelivery, DigestSubscription, FollowUp, FollowUpEvent
from surveys import distributions
from surveys.models import Distribution, Invitation, InvitationEmail, Survey
from tests.conftest import make_ten_question_survey
from tests.realparts import Beat, SmtpSink, Worker, wait_until
from tests.resilience import scenario
from tests.resilience.scenario import emails_by_kind, running, stack_env

pytestmark = pytest.mark.django_db(transaction=True)

REMINDED, ESCALATED, DIGESTS, FIRST_SENDS, REMINDER_SENDS = 10, 10, 3, 30, 20


def make_sent_two_days_ago(survey: Survey, count: int) -> None:
    """A distribution whose invitations went out two days ago, with a reminder after one day."""
    distribution = scenario.make_distribution(survey, count, prefix="earlier")
    two_days_ago = timezone.now() - timedelta(days=2)
    distributions.distribution_materialise(distribution_id=distribution.pk, now=two_days_ago)
    Distribution.objects.filter(pk=distribution.pk).update(reminder_days=[1])
    InvitationEmail.objects.filter(invitation__distribution=distribution).update(
        status=InvitationEmail.Status.SENT, sent_at=two_days_ago
    )
    Invitation.objects.filter(distribution=distribution).update(status=Invitation.Status.SENT, sent_at=two_days_ago)


def test_two_beats_at_once_send_every_periodic_email_once_and_record_every_periodic_event_once(
    queue: str, smtp_sink: SmtpSink
) -> None:
    survey = make_ten_question_survey()
    customers = scenario.make_invited(survey, REMINDED + ESCALATED, owners=scenario.make_owners(4, with_managers=True))
    follow_ups = scenario.make_assigned_follow_ups(customers)
    now = timezone.now()
    due_soon, overdue = follow_ups[:REMINDED], follow_ups[REMINDED:]
    FollowUp.objects.filter(pk__in=[f.pk for f in due_soon]).update(remind_at=now - timedelta(minutes=1))
    FollowUp.objects.filter(pk__in=[f.pk for f in overdue]).update(
        due_at=now - timedelta(hours=1), next_escalation_at=now - timedelta(minutes=1)
    )
    make_sent_two_days_ago(survey, REMINDER_SENDS)
    scenario.make_distribution(survey, FIRST_SENDS)
    for number in range(DIGESTS):
        DigestSubscription.objects.create(email=f"designer{number}@example.com", cadence="daily")
    env = stack_env(queue, smtp_sink, TICK_SECONDS="1")
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
        done = wait_until(lambda: emails_by_kind(smtp_sink) == expected, timeout=120)
        time.sleep(10)  # ten more ticks of each beat: none may repeat anything

    assert done, emails_by_kind(smtp_sink)
    assert emails_by_kind(smtp_sink) == expected
    assert scenario.twice(smtp_sink) == {}
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
