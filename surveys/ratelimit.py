"""A sending rate limit per minute shared by every worker, through Redis when there is one."""

import time
from collections import defaultdict

import redis
from django.conf import settings

WINDOW_SECONDS = 60
_local_counts: dict[int, int] = defaultdict(int)


class SendRateLimiter:
    """Fixed one-minute windows: at most `per_minute` messages in each, across all workers."""

    def __init__(self, *, per_minute: int) -> None:
        self.per_minute = per_minute
        self.redis = redis.Redis.from_url(settings.REDIS_URL) if per_minute and settings.REDIS_URL else None

    def wait(self) -> None:
        """Return when one more message may be sent, sleeping into the next window if needed."""
        if not self.per_minute:
            return
        while True:
            window = int(time.time() // WINDOW_SECONDS)
            if self._count(window) <= self.per_minute:
                return
            time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS + 0.01)

    def _count(self, window: int) -> int:
        if self.redis is None:
            _local_counts[window] += 1
            return _local_counts[window]
        key = f"vocsite:send-rate:{window}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
        return int(pipe.execute()[0])
