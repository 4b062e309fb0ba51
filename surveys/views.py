"""Public pages of distribution: one-click unsubscribe (RFC 8058) from any survey email."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from surveys import distributions
from surveys.links import (
    Link,
    LinkKind,
    link_from_cookie,
    link_invalid_response,
    link_redirect,
    private_page,
    too_many_failures_response,
)
from surveys.models import Invitation
from surveys.ratelimit import link_failures


def _invitation(token: str) -> Invitation | None:
    return Invitation.objects.select_related("contact").filter(token=token, contact__isnull=False).first()


@private_page
@csrf_exempt  # the unguessable token in the URL is the credential; mail clients POST without a cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET exchanges the token for the link cookie (mail scanners follow links); POST unsubscribes at once."""
    if link_failures.blocked(request):
        return too_many_failures_response(request)
    invitation = _invitation(token)
    if invitation is None:
        link_failures.record(request)
        return link_invalid_response(request)
    if request.method == "POST":
        return _unsubscribe_now(request, invitation)
    return link_redirect(request, Link(LinkKind.INVITATION, token), page="unsubscribe/")


@private_page
@csrf_exempt  # the link cookie is SameSite=Lax: another site's form cannot post with it
@require_http_methods(["GET", "POST"])
def link_unsubscribe(request: HttpRequest, key: str) -> HttpResponse:
    """Asks for confirmation; the confirming POST unsubscribes."""
    link = link_from_cookie(request, key=key)
    invitation = _invitation(link.token) if link and link.kind == LinkKind.INVITATION else None
    if invitation is None:
        return link_invalid_response(request)
    if request.method == "POST":
        return _unsubscribe_now(request, invitation)
    language = invitation.contact.language
    with translation.override(language):
        state = "done" if invitation.contact.unsubscribed_at else "confirm"
        return render(request, "surveys/unsubscribe.html", {"state": state, "language": language})


def _unsubscribe_now(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    distributions.contact_unsubscribe(token=invitation.token)
    language = invitation.contact.language
    with translation.override(language):
        return render(request, "surveys/unsubscribe.html", {"state": "done", "language": language})
