"""A worker killed with SIGKILL while it sends invitations, tags answers and escalates follow-ups."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback import loop
from feedback.models import FollowUp, FollowUpEvent, SurveyResponse
from surveys.periodic import periodic_tick
from tests.conftest import make_ten_question_survey
from tests.realparts import Beat, SmtpSink, Worker, kill_between_messages, wait_until
from tests.resilience import scenario
from tests.resilience.scenario import all_done, emails_by_kind, running, stack_env, submit, work_left

pytestmark = pytest.mark.django_db(transaction=True)

AUDIENCE, OVERDUE, SUBMISSIONS = 40, 20, 40
# The mail server waits this long before taking each recipient: the worker spends its time
# there, and the kill lands there (see kill_between_messages), at least a third of it after the
# last message was taken: long enough, on a loaded machine too, for that sender to record it sent.
RCPT_DELAY = 1.0


def queue_work(follow_ups: list[FollowUp], tokens: list[str]) -> None:
    """The work the first worker finds: a batch of invitations, then escalations and answers to tag, mixed.

    The tick and the escalation run here, in the test, so that the messages are queued in this
    order and the worker has all three kinds of work in hand at once.
    """
    periodic_tick(now=timezone.now())
    for number, token in enumerate(tokens):
        if number < len(follow_ups):
            past = timezone.now() - timedelta(minutes=5)
            FollowUp.objects.filter(pk=follow_ups[number].pk).update(due_at=past, next_escalation_at=past)
            loop.follow_ups_escalate_due(now=timezone.now())
        submit(token, number)


def tagged_responses() -> int:
    return SurveyResponse.objects.filter(answers__analysed_at__isnull=False).distinct().count()


def test_a_worker_killed_mid_work_loses_nothing_and_sends_no_email_twice(queue: str, smtp_sink: SmtpSink) -> None:
    owners = scenario.make_owners(4, with_managers=True)
    survey = make_ten_question_survey()
    overdue = scenario.make_invited(survey, OVERDUE, owners=owners, prefix="overdue")
    follow_ups = scenario.make_assigned_follow_ups(overdue)
    scenario.make_distribution(survey, AUDIENCE)
    queue_work(follow_ups, scenario.make_invited(survey, SUBMISSIONS, owners=owners))
    smtp_sink.rcpt_delay = RCPT_DELAY
    # A killed worker's claims and lost messages come back after seconds, not minutes.
    env = stack_env(queue, smtp_sink, TICK_SECONDS="1", SEND_LEASE_SECONDS="10", SWEEP_GRACE_SECONDS="5")
    worker = Worker(env, concurrency=3, name=f"{queue}-first")

    with running(worker):
        in_the_middle = wait_until(
            lambda: min(emails_by_kind(smtp_sink)["invitation"], emails_by_kind(smtp_sink)["escalation"]) >= 3,
            timeout=60,
        )
        kill_between_messages(worker, smtp_sink)
        at_the_kill = emails_by_kind(smtp_sink), tagged_responses()
    smtp_sink.rcpt_delay = 0
    # A new worker, and the beat whose sweeps find what the killed one left.
    with running(Worker(env, concurrency=2, name=f"{queue}-second"), Beat(env, name=queue)):
        done = all_done(invitations=AUDIENCE, timeout=180)
        time.sleep(3)  # a duplicate still on its way has time to arrive

    assert in_the_middle, "the worker never got to send invitations and escalations together"
    sent_at_kill, tagged_at_kill = at_the_kill
    assert 0 < sent_at_kill["invitation"] < AUDIENCE and 0 < sent_at_kill["escalation"] < OVERDUE, sent_at_kill
    assert OVERDUE < tagged_at_kill < OVERDUE + SUBMISSIONS
    assert done, work_left(invitations=AUDIENCE)
    assert scenario.twice(smtp_sink) == {}
    detractors = sum(scenario.is_detractor(number) for number in range(SUBMISSIONS))
    assert emails_by_kind(smtp_sink) == Counter(invitation=AUDIENCE, escalation=OVERDUE, assigned=detractors)
    assert scenario.follow_ups_per_response() == Counter({1: OVERDUE + detractors})
    escalations = FollowUpEvent.objects.filter(kind=FollowUpEvent.Kind.ESCALATED)
    assert Counter(escalations.values_list("follow_up", flat=True)) == Counter({f.pk: 1 for f in follow_ups})
    assert FollowUp.objects.filter(escalation_level=1).count() == OVERDUE
