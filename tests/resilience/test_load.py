"""Load: two thousand submissions from two hundred concurrent clients while a distribution sends."""

import os
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from feedback.loop_checks import loop_problems
from feedback.models import Answer, FollowUp
from surveys.models import InvitationEmail
from tests.conftest import make_ten_question_survey
from tests.realparts import Beat, Gunicorn, SmtpSink, Worker, service_env, wait_until
from tests.resilience.conftest import (
    follow_ups_per_response,
    is_detractor,
    make_distribution,
    make_invited,
    make_owners,
    post_all,
    received,
    responses_per_invitation,
    running,
    ten_answers,
    thanked,
    twice,
    unrouted_responses,
    unsent_notifications,
    untagged_answers,
)

pytestmark = pytest.mark.django_db(transaction=True)

SUBMISSIONS, CLIENTS, AUDIENCE = 2000, 200, 300


def sent_invitations() -> int:
    return InvitationEmail.objects.filter(status=InvitationEmail.Status.SENT).count()


def test_two_thousand_concurrent_submissions_during_a_send_are_stored_once_then_tagged_and_routed(
    queue: str, smtp_sink: SmtpSink
) -> None:
    owners = make_owners(10)
    survey = make_ten_question_survey()
    tokens = make_invited(survey, SUBMISSIONS, owners=owners)
    make_distribution(survey, AUDIENCE)
    detractors = sum(is_detractor(number) for number in range(SUBMISSIONS))
    # A slow mail server keeps the distribution sending while the submissions arrive.
    smtp_sink.rcpt_delay = 0.05
    env = service_env(
        database_name=connection.settings_dict["NAME"],
        redis_url=os.environ["REDIS_URL"],
        smtp_port=smtp_sink.port,
        queue=queue,
        TICK_SECONDS="10",
        SEND_BATCH_SIZE="25",
    )
    web = Gunicorn(env, workers=3, name=queue)

    with running(Worker(env, concurrency=2), Beat(env, name=queue), web):
        assert wait_until(lambda: len(smtp_sink.messages) > 0), "the distribution did not start sending"
        emails_before = len(smtp_sink.messages)
        answered = post_all(web.port, [(token, ten_answers(n)) for n, token in enumerate(tokens)], clients=CLIENTS)
        emails_during = len(smtp_sink.messages) - emails_before

        done = wait_until(
            lambda: (
                (untagged_answers(), unrouted_responses(), unsent_notifications(), sent_invitations())
                == (0, 0, 0, AUDIENCE)
            ),
            timeout=600,
            interval=1,
        )

    failed = Counter((answer.status, answer.location[:80]) for answer in answered if not thanked(answer))
    assert (len(answered), failed) == (SUBMISSIONS, Counter())
    assert emails_during > 0, "the distribution was not sending during the load"
    assert done, (untagged_answers(), unrouted_responses(), unsent_notifications(), sent_invitations())
    assert responses_per_invitation(tokens) == Counter({1: SUBMISSIONS})
    assert Answer.objects.count() == 10 * SUBMISSIONS
    assert follow_ups_per_response() == Counter({1: detractors})
    assert FollowUp.objects.exclude(response__score=3).count() == 0
    assert twice(smtp_sink) == {}
    subjects = Counter(subject.startswith("Follow-up #") for _, subject in received(smtp_sink))
    assert subjects == Counter({True: detractors, False: AUDIENCE})
    assert all(problems == [] for problems in loop_problems(now=timezone.now(), grace_minutes=0).values())
