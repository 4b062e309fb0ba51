"""Survey links: the token of an email link is exchanged for a cookie, and pages live without it.

A link's token is its credential. Left in the address bar it lingers in browser history and
bookmarks, and leaks in the Referer of whatever the person opens next. So a request to a token
URL looks the token up, keeps it in a signed, HttpOnly, SameSite=Lax cookie scoped to the link's
own path, and redirects there. That path holds a keyed hash of the token (no database id, and
useless without the cookie), so a second link opened in the same browser never replaces the
first one's cookie.

Every way a link can fail (unknown, expired, closed, the cookie of another link) shows one and
the same page, and failed token lookups are counted per client address (surveys.ratelimit).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from surveys.models import Language

COOKIE_NAME = "vocsite_link"
SALT = "vocsite.surveys.links"
# The URL prefix of every page reached through a link cookie (feedback.urls, surveys.urls).
PREFIX = "r"


class LinkKind:
    INVITATION = "invitation"
    ANONYMOUS = "anonymous"


KINDS = {LinkKind.INVITATION, LinkKind.ANONYMOUS}


@dataclass(frozen=True)
class Link:
    """A credential from an email or a shared link: a personal invitation or a survey's anonymous link."""

    kind: str
    token: str

    @property
    def key(self) -> str:
        """The link's path segment: a keyed hash of the token, 128 bits, never the token itself."""
        return salted_hmac(SALT, f"{self.kind}:{self.token}", algorithm="sha256").hexdigest()[:32]

    @property
    def path(self) -> str:
        """The path its cookie is scoped to; the link's pages all live under it."""
        return f"{get_script_prefix()}{PREFIX}/{self.key}/"


def link_redirect(request: HttpRequest, link: Link, *, page: str = "") -> HttpResponse:
    """Store the link in its cookie and send the browser to its page, keeping the query (e.g. ?score=9)."""
    query = request.GET.urlencode()
    response = HttpResponseRedirect(link.path + page + (f"?{query}" if query else ""))
    link_cookie_set(response, link)
    return response


def link_cookie_value(link: Link) -> str:
    """The signed, timestamped value of a link's cookie (what set_signed_cookie stores)."""
    return signing.get_cookie_signer(salt=COOKIE_NAME + SALT).sign(f"{link.kind}:{link.token}")


def link_cookie_set(response: HttpResponse, link: Link) -> None:
    response.set_cookie(
        COOKIE_NAME,
        link_cookie_value(link),
        max_age=settings.LINK_COOKIE_MAX_AGE,
        path=link.path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def link_from_cookie(request: HttpRequest, *, key: str) -> Link | None:
    """The link whose signed, unexpired cookie came with a request to its own path, or None."""
    value = request.get_signed_cookie(COOKIE_NAME, default=None, salt=SALT, max_age=settings.LINK_COOKIE_MAX_AGE)
    if not value:
        return None
    kind, _sep, token = value.partition(":")
    link = Link(kind, token)
    if kind not in KINDS or not constant_time_compare(link.key, key):
        return None
    return link


def private_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages of a link are never cached and never tell the next site where the person came from."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped


def page_language(request: HttpRequest) -> str:
    """The ?lang= the person chose, else their browser's: nothing that depends on the link."""
    chosen = request.GET.get("lang") or request.POST.get("lang")
    if chosen in Language.values:
        return chosen
    browser = translation.get_language_from_request(request)
    return browser if browser in Language.values else Language.ENGLISH


def link_invalid_response(request: HttpRequest) -> HttpResponse:
    """The one page every failed link shows, whatever the reason, so a visitor cannot tell them apart."""
    language = page_language(request)
    with translation.override(language):
        context = {
            "title": _("This link is not valid"),
            "body": _(
                "The link may be incomplete, or the survey it belongs to has closed. "
                "Please check that you copied the whole link from the email."
            ),
            "language": language,
        }
        return render(request, "vocsite/message.html", context, status=404)


def too_many_failures_response(request: HttpRequest) -> HttpResponse:
    """A friendly 429 for an address whose link lookups keep failing."""
    language = page_language(request)
    with translation.override(language):
        context = {
            "title": _("Too many attempts"),
            "body": _("Too many links that did not work were opened from your network. Please try again later."),
            "language": language,
        }
        response = render(request, "vocsite/message.html", context, status=429)
    response["Retry-After"] = str(settings.LINK_FAILURE_WINDOW_SECONDS)
    return response
