"""Real API tokens for tests: issued by the same service administrators use, stored hashed."""

from typing import Any

from rest_framework.test import APIClient

from surveys.tokens import api_token_issue


def token_for(user: Any, *, name: str = "tests") -> str:
    """The whole text of a new token acting as this staff user (issued by the system)."""
    return api_token_issue(user=user, name=name, by=None).text


def api_client_for(user: Any, **defaults: Any) -> APIClient:
    """An API client that sends a new token of this user in the Authorization header."""
    client = APIClient(**defaults)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client
