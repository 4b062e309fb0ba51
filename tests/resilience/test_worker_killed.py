"""A worker killed with SIGKILL while it sends invitations, tags answers and escalates follow-ups."""

import os
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.utils import timezone

from feedback import loop, routing
from feedback.answering import response_save_page
from feedback.models import FollowUp, FollowUpEvent, FollowUpNotification, SurveyResponse
from surveys.models import InvitationEmail
from surveys.periodic import periodic_tick
from tests.conftest import make_ten_question_survey
from tests.realparts import Beat, SmtpSink, Worker, service_env, wait_until
from tests.resilience.conftest import (
    follow_ups_per_response,
    is_detractor,
    make_distribution,
    make_invited,
    make_owners,
    running,
    ten_answers,
    twice,
    unrouted_responses,
    unsent_notifications,
    untagged_answers,
)

pytestmark = pytest.mark.django_db(transaction=True)

AUDIENCE, OVERDUE, SUBMISSIONS = 40, 20, 40
# The mail server waits this long before taking each recipient: the worker spends its time
# there, and a kill lands there, not in the millisecond between the server taking a message
# and the worker recording it (that window no sender can close).
RCPT_DELAY = 0.3


def submit(token: str, number: int) -> int:
    """Complete a response through the service the answer page calls; its tagging is enqueued."""
    saved = response_save_page(token=token, page=1, data=parse_qs(ten_answers(number).decode()), language="en")
    return saved.response_id


def make_assigned_follow_ups(tokens: list[str]) -> list[FollowUp]:
    """Follow-ups assigned (and their owners told) a while ago."""
    for token in tokens:
        routing.response_route(response_id=submit(token, number=0))
    FollowUpNotification.objects.update(status=FollowUpNotification.Status.SENT, sent_at=timezone.now())
    return list(FollowUp.objects.order_by("pk"))


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


def received_subjects(sink: SmtpSink) -> Counter[str]:
    """What the server took so far, by kind: invitation, escalation or assignment."""
    kinds: Counter[str] = Counter()
    for subject in sink.subjects():
        if subject.startswith("Escalated"):
            kinds["escalation"] += 1
        elif subject.endswith("is yours"):
            kinds["assigned"] += 1
        else:
            kinds["invitation"] += 1
    return kinds


def kill_between_messages(worker: Worker, sink: SmtpSink) -> None:
    """SIGKILL while the worker waits on the server for a recipient, long after the last message was taken."""
    quiet = wait_until(
        lambda: RCPT_DELAY / 2 <= time.monotonic() - sink.last_accepted <= RCPT_DELAY * 0.8, interval=0.01
    )
    assert quiet, "the server never paused between messages"
    worker.kill()


def test_a_worker_killed_mid_work_loses_nothing_and_sends_no_email_twice(queue: str, smtp_sink: SmtpSink) -> None:
    owners = make_owners(4, with_managers=True)
    survey = make_ten_question_survey()
    follow_ups = make_assigned_follow_ups(make_invited(survey, OVERDUE, owners=owners, prefix="overdue"))
    make_distribution(survey, AUDIENCE)
    queue_work(follow_ups, make_invited(survey, SUBMISSIONS, owners=owners))
    smtp_sink.rcpt_delay = RCPT_DELAY
    env = service_env(
        database_name=connection.settings_dict["NAME"],
        redis_url=os.environ["REDIS_URL"],
        smtp_port=smtp_sink.port,
        queue=queue,
        TICK_SECONDS="1",
        SEND_BATCH_SIZE="3",
        # A killed worker's claims and lost messages come back after seconds, not minutes.
        SEND_LEASE_SECONDS="10",
        SWEEP_GRACE_SECONDS="5",
    )
    worker = Worker(env, concurrency=3, name=f"{queue}-first")

    with running(worker):
        in_the_middle = wait_until(
            lambda: min(received_subjects(smtp_sink)["invitation"], received_subjects(smtp_sink)["escalation"]) >= 3,
            timeout=60,
        )
        kill_between_messages(worker, smtp_sink)
        at_the_kill = received_subjects(smtp_sink), tagged_responses()
    smtp_sink.rcpt_delay = 0
    # A new worker, and the beat whose sweeps find what the killed one left.
    with running(Worker(env, concurrency=2, name=f"{queue}-second"), Beat(env, name=queue)):
        done = wait_until(
            lambda: (
                (untagged_answers(), unrouted_responses(), unsent_notifications(), sent_invitations())
                == (0, 0, 0, AUDIENCE)
                and FollowUp.objects.filter(escalation_level=1).count() == OVERDUE
            ),
            timeout=180,
            interval=0.5,
        )
        time.sleep(3)  # a duplicate still on its way has time to arrive

    assert in_the_middle, "the worker never got to send invitations and escalations together"
    sent_at_kill, tagged_at_kill = at_the_kill
    assert 0 < sent_at_kill["invitation"] < AUDIENCE and 0 < sent_at_kill["escalation"] < OVERDUE, sent_at_kill
    assert OVERDUE < tagged_at_kill < OVERDUE + SUBMISSIONS
    assert done, (untagged_answers(), unrouted_responses(), unsent_notifications(), sent_invitations())
    assert twice(smtp_sink) == {}
    detractors = sum(is_detractor(number) for number in range(SUBMISSIONS))
    assert received_subjects(smtp_sink) == Counter(invitation=AUDIENCE, escalation=OVERDUE, assigned=detractors)
    assert follow_ups_per_response() == Counter({1: OVERDUE + detractors})
    escalations = FollowUpEvent.objects.filter(kind=FollowUpEvent.Kind.ESCALATED)
    assert Counter(escalations.values_list("follow_up", flat=True)).most_common(1)[0][1] == 1
    assert escalations.count() == OVERDUE


def sent_invitations() -> int:
    return InvitationEmail.objects.filter(status=InvitationEmail.Status.SENT).count()


def tagged_responses() -> int:
    return SurveyResponse.objects.filter(answers__analysed_at__isnull=False).distinct().count()
