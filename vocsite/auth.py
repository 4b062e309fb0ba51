"""The admin login lockout (django-axes): its authentication backend and its page."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    """Counts and locks out failed web logins; calls without a request are not logins to count.

    Only a person at a login form can be locked out. Code that checks credentials without a
    request (Django's test client login, a management command) goes straight to the next backend.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """A translated page saying the login is locked and for how long (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"title": _("Too many failed logins"), "minutes": minutes, "site_header": "vocsite"}
    response = render(request, "vocsite/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
