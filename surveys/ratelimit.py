"""Rate limits shared by every process: sending per minute, and failed link lookups per client."""

import logging
import time
from collections import defaultdict

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from vocsite.clientaddress import address_bucket, client_address

logger = logging.getLogger(__name__)

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


class LinkFailures:
    """Failed link lookups per client address in fixed windows, shared by all web processes.

    A client that keeps opening links that do not exist is guessing tokens: once it reaches
    LINK_FAILURE_LIMIT within LINK_FAILURE_WINDOW_SECONDS, its link lookups wait out the window.
    The counts live in the cache (Redis in production); if that is down, nobody is blocked.
    """

    PREFIX = "link-failures"

    def _key(self, request: HttpRequest) -> str:
        return self._address_key(client_address(request))

    def _address_key(self, address: str) -> str:
        return f"{self.PREFIX}:{address_bucket(address)}"

    def blocked(self, request: HttpRequest) -> bool:
        """Whether this client has used up its failed lookups for now."""
        try:
            return int(cache.get(self._key(request), 0)) >= settings.LINK_FAILURE_LIMIT
        except RedisError:
            logger.warning("link rate limit unavailable: cache down", exc_info=True)
            return False

    def record(self, request: HttpRequest) -> None:
        """Count one failed lookup; the window starts with the first failure."""
        key = self._key(request)
        try:
            cache.add(key, 0, timeout=settings.LINK_FAILURE_WINDOW_SECONDS)
            cache.incr(key)
        except ValueError:
            pass  # the window ended between add and incr: this failure starts no new one
        except RedisError:
            logger.warning("link rate limit unavailable: cache down", exc_info=True)

    def reset_address(self, address: str) -> None:
        """Forget the failures counted against an address (tests, or an administrator's shell)."""
        cache.delete(self._address_key(address))


link_failures = LinkFailures()
