"""API rate limits bite, with a 429, a translated detail and Retry-After; counted in the real cache (Redis)."""

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.teams import World, make_world
from tests.tokens import api_client_for
from vocsite import throttling

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def tiny(settings: Any, **rates: str) -> None:
    """Lower some rates for this test; the rest stay as configured."""
    settings.API_RATES = {**settings.API_RATES, **rates}


def forget(scope: str, caller: str) -> None:
    """Drop what an earlier run counted for this caller (the cache outlives a test database)."""
    cache.delete(throttling.SettingsRateThrottle.cache_format % {"scope": scope, "ident": caller})


def test_a_user_over_the_rate_gets_a_429_with_retry_after(world: World, settings: Any) -> None:
    tiny(settings, user="2/minute")
    forget("user", f"user-{world.administrator.pk}")
    client = api_client_for(world.administrator)

    answers = [client.get("/api/v1/touchpoints/") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[-1]
    seconds = int(refused.headers["Retry-After"])
    assert 1 <= seconds <= 60
    assert refused.json() == {"detail": f"Too many requests. Try again in {seconds} seconds."}


def test_each_user_has_an_allowance_of_their_own(world: World, settings: Any) -> None:
    tiny(settings, user="1/minute")
    manager, viewer = world.north.people["manager"], world.north.people["viewer"]
    forget("user", f"user-{manager.pk}")
    forget("user", f"user-{viewer.pk}")
    first, second = api_client_for(manager), api_client_for(viewer)

    codes = [first.get("/api/v1/surveys/").status_code, second.get("/api/v1/surveys/").status_code]

    assert codes == [200, 200]
    assert first.get("/api/v1/surveys/").status_code == 429


def test_anonymous_callers_are_counted_per_address(settings: Any) -> None:
    tiny(settings, anon="1/minute")
    forget("anon", "address-198.51.100.23")
    forget("anon", "address-198.51.100.24")
    one, other = APIClient(REMOTE_ADDR="198.51.100.23"), APIClient(REMOTE_ADDR="198.51.100.24")

    codes = [one.get("/api/schema/").status_code, one.get("/api/schema/").status_code]

    assert codes == [200, 429]
    assert other.get("/api/schema/").status_code == 200


def test_creating_tokens_has_a_stricter_limit_that_leaves_reading_alone(world: World, settings: Any) -> None:
    tiny(settings, api_tokens="1/minute")
    forget("api_tokens", f"user-{world.administrator.pk}")
    client = api_client_for(world.administrator)
    body = {"name": "Sync", "user": world.administrator.pk}

    codes = [client.post("/api/v1/api-tokens/", body, format="json").status_code for _ in range(2)]

    assert codes == [201, 429]
    assert client.get("/api/v1/api-tokens/").status_code == 200


def test_exporting_contacts_has_a_stricter_limit(world: World, settings: Any) -> None:
    tiny(settings, contact_privacy="1/minute")
    forget("contact_privacy", f"user-{world.administrator.pk}")
    client = api_client_for(world.administrator)
    url = f"/api/v1/contacts/{world.north.contact.pk}/export/"

    codes = [client.get(url).status_code, client.get(url).status_code]

    assert codes == [200, 429]
    assert client.get(f"/api/v1/contacts/{world.north.contact.pk}/").status_code == 200


def test_a_cache_outage_lets_requests_through(world: World, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = api_client_for(world.administrator)
    monkeypatch.setattr(throttling, "_cache_failed_at", None)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    answers = [client.get("/api/v1/touchpoints/").status_code for _ in range(2)]

    assert answers == [200, 200]
    assert throttling._cache_failed_at is not None
