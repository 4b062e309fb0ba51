"""API rate limits: per user, per client address for anonymous callers, and stricter ones for some actions.

Rates come from settings.API_RATES, read on each request (so an environment change or a test's
override takes effect without re-importing anything). Counts live in the cache, which is Redis
when REDIS_URL is set, so every web process shares them. A cache outage lets requests through:
a rate limit must never turn into an outage of its own.
"""

import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from vocsite.clientaddress import address_bucket, client_address

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is being defined
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# After a cache failure this process stops counting for a while, rather than make every request
# wait for the cache's socket timeout.
CACHE_RETRY_AFTER_SECONDS = 5.0
_cache_failed_at: float | None = None


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is settings.API_RATES[scope], and which yields when the cache is down."""

    def get_rate(self) -> str | None:
        return settings.API_RATES.get(self.scope) if self.scope else None

    def allow_request(self, request: Request, view: "APIView") -> bool:
        global _cache_failed_at
        if _cache_failed_at is not None and time.monotonic() - _cache_failed_at < CACHE_RETRY_AFTER_SECONDS:
            return True
        try:
            allowed = super().allow_request(request, view)
        except RedisError:
            logger.warning("API rate limits unavailable: cache down", exc_info=True)
            _cache_failed_at = time.monotonic()
            return True
        _cache_failed_at = None
        return allowed

    def caller(self, request: Request) -> str:
        """Who is counted: the user, or the client's address (an IPv6 address's /64)."""
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"address-{address_bucket(client_address(request))}"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.caller(request)}


class UserRateThrottle(SettingsRateThrottle):
    """Each authenticated user's requests (API_RATE_PER_MINUTE)."""

    scope = "user"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        return super().get_cache_key(request, view) if request.user.is_authenticated else None


class AnonRateThrottle(SettingsRateThrottle):
    """Anonymous requests per client address (API_RATE_ANONYMOUS_PER_MINUTE)."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        return None if request.user.is_authenticated else super().get_cache_key(request, view)


class ActionRateThrottle(SettingsRateThrottle):
    """A stricter limit on the actions a view names in `throttle_scopes` ({"create": "api_tokens"})."""

    def __init__(self) -> None:
        # The scope depends on the view's action, known only in allow_request.
        self.scope: str | None = None

    def allow_request(self, request: Request, view: "APIView") -> bool:
        scopes: dict[str, str] = getattr(view, "throttle_scopes", {})
        self.scope = scopes.get(getattr(view, "action", None) or "")
        if self.scope is None:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
