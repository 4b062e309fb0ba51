"""A Redis outage: first hung (it takes connections and never answers), then stopped, then back."""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.conf import settings

from tests.conftest import make_ten_question_survey
from tests.realparts import Beat, Gunicorn, HttpApi, PrivateRedis, SmtpSink, Worker, wait_until
from tests.resilience import scenario
from tests.resilience.scenario import Answered, all_done, post_all, running, stack_env, thanked, work_left
from tests.tokens import token_for
from vocsite.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS, AUDIENCE = 41, 20
# As many clients as gunicorn has (sync) workers: each latency is then the request's own, not
# time spent queueing behind another request, which more workers would shorten.
WEB_WORKERS = 2
T = TypeVar("T")


@pytest.fixture
def redis() -> Iterator[PrivateRedis]:
    """A Redis of the test's own, set up as production's must be: appendonly, noeviction."""
    server = PrivateRedis(appendonly=True).start()
    yield server
    server.remove()


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def send_to(email: str, survey_id: int) -> tuple[str, dict[str, Any]]:
    """The API call that sends a survey to one person after an event, as an integration makes it."""
    return f"/api/v1/surveys/{survey_id}/send/", {"contact": {"email": email}, "idempotency_key": email}


def test_requests_answer_within_two_seconds_while_redis_is_down_and_all_work_is_done_within_a_minute_of_its_return(
    redis: PrivateRedis, smtp_sink: SmtpSink, admin_user: Any
) -> None:
    survey = make_ten_question_survey()
    tokens = scenario.make_invited(survey, CUSTOMERS, owners=scenario.make_owners(3))
    distribution = scenario.make_distribution(survey, AUDIENCE, schedule=False)
    api_token = token_for(admin_user)
    posts = [(token, scenario.ten_answers(number)) for number, token in enumerate(tokens)]
    # The production tick (TICK_SECONDS unset): "within a minute" must hold with the defaults.
    env = {**stack_env("outage", smtp_sink), "REDIS_URL": redis.url}
    web = Gunicorn(env, workers=WEB_WORKERS, name="outage")

    worker = Worker(env, concurrency=2, name="outage")

    with running(worker, Beat(env, name="outage"), web):
        api = HttpApi(web.port, api_token)
        before = post_all(web.port, posts[:1], clients=1)
        assert wait_until(lambda: not any(work_left(invitations=0).values()) and len(smtp_sink.messages) == 1)

        redis.freeze()
        down_since = time.monotonic()
        while_hung = post_all(web.port, posts[1:21], clients=WEB_WORKERS)
        sent_while_hung, sent_while_hung_took = timed(lambda: api.post(*send_to("hung@example.com", survey.pk)))
        redis.thaw()
        redis.stop()
        while_stopped = post_all(web.port, posts[21:31], clients=WEB_WORKERS)
        scheduled, scheduled_took = timed(lambda: api.post(f"/api/v1/distributions/{distribution.pk}/schedule/", {}))
        sent_while_stopped, sent_while_stopped_took = timed(
            lambda: api.post(*send_to("stopped@example.com", survey.pk))
        )
        # Down for longer than a tick, so that the beat's ticks fail too; the last submissions
        # arrive just before Redis is back, the youngest work when the recovery starts.
        time.sleep(max(0.0, settings.TICK_SECONDS + 5 - (time.monotonic() - down_since)))
        while_stopped += post_all(web.port, posts[31:], clients=WEB_WORKERS)
        kept = OutboxMessage.objects.count()
        redis.start()
        back = time.monotonic()

        done = all_done(invitations=AUDIENCE + 2, timeout=120)
        recovered_in = time.monotonic() - back
        time.sleep(5)  # a duplicate still on its way has time to arrive
        worker_survived = worker.process.poll() is None

    during: list[Answered] = while_hung + while_stopped
    assert [thanked(answer) for answer in before + during] == [True] * CUSTOMERS
    slowest = max(answer.seconds for answer in during)
    assert slowest < 2, f"a submission took {slowest:.2f} s while Redis was down"
    assert (sent_while_hung.status, scheduled.status, sent_while_stopped.status) == (201, 200, 201)
    assert max(sent_while_hung_took, scheduled_took, sent_while_stopped_took) < 2
    assert kept > 0, "nothing waited in the outbox: Redis was not really down"
    assert worker_survived, "the worker exited instead of reconnecting; see var/test-worker-outage.log"
    assert done, work_left(invitations=AUDIENCE + 2)
    assert recovered_in < 60, f"the work left by the outage took {recovered_in:.0f} s to complete"
    assert scenario.responses_per_invitation(tokens) == Counter({1: CUSTOMERS})
    detractors = sum(scenario.is_detractor(number) for number in range(CUSTOMERS))
    assert scenario.follow_ups_per_response() == Counter({1: detractors})
    assert scenario.twice(smtp_sink) == {}
    assert scenario.emails_by_kind(smtp_sink) == Counter(invitation=AUDIENCE + 2, assigned=detractors)
    assert {"hung@example.com", "stopped@example.com"} <= set(smtp_sink.recipients())
    assert OutboxMessage.objects.count() == 0
