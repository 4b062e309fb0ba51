"""A sending rate limit per minute shared by every worker, through Redis when there is one."""

import time
from collections import defaultdict

import redis
from django.conf import settings

WINDOW_SECONDS = 60
_local_counts: dict[str, int] = defaultdict(int)


class SendRateLimiter:
    """Fixed one-minute windows: at most `per_minute` messages in each, across all workers."""

    def __init__(self, *, per_minute: int, key: str = "vocsite:send-rate") -> None:
        self.per_minute = per_minute
        self.key = key
        self.redis = redis.Redis.from_url(settings.REDIS_URL) if per_minute and settings.REDIS_URL else None

    def try_acquire(self) -> bool:
        """Take one message from this minute's allowance; False when it is used up."""
        if not self.per_minute:
            return True
        window_key = f"{self.key}:{int(time.time() // WINDOW_SECONDS)}"
        if self.redis is None:
            _local_counts[window_key] += 1
            return _local_counts[window_key] <= self.per_minute
        pipe = self.redis.pipeline()
        pipe.incr(window_key)
        pipe.expire(window_key, WINDOW_SECONDS * 2)
        return int(pipe.execute()[0]) <= self.per_minute

    def wait(self) -> None:
        """Return when one more message may be sent, sleeping into the next window if needed."""
        while not self.try_acquire():
            time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS + 0.01)
