"""The sending rate limit is shared by every worker through Redis."""

import time
import uuid

from surveys.ratelimit import WINDOW_SECONDS, SendRateLimiter


def test_two_workers_share_one_allowance_per_minute() -> None:
    if time.time() % WINDOW_SECONDS > WINDOW_SECONDS - 2:
        time.sleep(2.5)  # stay inside one window for the whole test
    key = f"test:rate:{uuid.uuid4().hex}"
    first, second = SendRateLimiter(per_minute=3, key=key), SendRateLimiter(per_minute=3, key=key)

    taken = [first.try_acquire(), second.try_acquire(), first.try_acquire(), second.try_acquire()]

    assert first.redis is not None
    assert taken == [True, True, True, False]


def test_no_limit_means_no_waiting() -> None:
    limiter = SendRateLimiter(per_minute=0)

    assert all(limiter.try_acquire() for _ in range(1000))
    assert limiter.redis is None
