"""Load: two thousand submissions from two hundred concurrent clients while a distribution sends."""

from collections import Counter

import pytest
from django.utils import timezone

from feedback.loop_checks import loop_problems
from feedback.models import Answer, FollowUp
from tests.conftest import make_ten_question_survey
from tests.realparts import Beat, Gunicorn, SmtpSink, Worker, wait_until
from tests.resilience import scenario
from tests.resilience.scenario import all_done, emails_by_kind, post_all, running, stack_env, thanked, work_left

pytestmark = pytest.mark.django_db(transaction=True)

SUBMISSIONS, CLIENTS, AUDIENCE = 2000, 200, 300


def test_two_thousand_concurrent_submissions_during_a_send_are_stored_once_then_tagged_and_routed(
    queue: str, smtp_sink: SmtpSink
) -> None:
    survey = make_ten_question_survey()
    tokens = scenario.make_invited(survey, SUBMISSIONS, owners=scenario.make_owners(10))
    scenario.make_distribution(survey, AUDIENCE)
    detractors = sum(scenario.is_detractor(number) for number in range(SUBMISSIONS))
    # A slow mail server keeps the distribution sending while the submissions arrive.
    smtp_sink.rcpt_delay = 0.05
    env = stack_env(queue, smtp_sink, TICK_SECONDS="10", SEND_BATCH_SIZE="25")
    web = Gunicorn(env, workers=3, name=queue)

    with running(Worker(env, concurrency=2), Beat(env, name=queue), web):
        assert wait_until(lambda: len(smtp_sink.messages) > 0), "the distribution did not start sending"
        emails_before = len(smtp_sink.messages)
        posts = [(token, scenario.ten_answers(number)) for number, token in enumerate(tokens)]
        answered = post_all(web.port, posts, clients=CLIENTS)
        emails_during = len(smtp_sink.messages) - emails_before
        done = all_done(invitations=AUDIENCE, timeout=600)

    failed = Counter((answer.status, answer.location[:80]) for answer in answered if not thanked(answer))
    assert (len(answered), failed) == (SUBMISSIONS, Counter())
    assert emails_during > 0, "the distribution was not sending during the load"
    assert done, work_left(invitations=AUDIENCE)
    assert scenario.responses_per_invitation(tokens) == Counter({1: SUBMISSIONS})
    assert Answer.objects.count() == 10 * SUBMISSIONS
    assert scenario.follow_ups_per_response() == Counter({1: detractors})
    assert FollowUp.objects.exclude(response__score=3).count() == 0
    assert scenario.twice(smtp_sink) == {}
    assert emails_by_kind(smtp_sink) == Counter(invitation=AUDIENCE, assigned=detractors)
    assert all(problems == [] for problems in loop_problems(now=timezone.now(), grace_minutes=0).values())
