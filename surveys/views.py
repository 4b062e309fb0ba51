"""Public pages of distribution: one-click unsubscribe (RFC 8058) from any survey email."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from surveys import distributions
from surveys.models import Invitation, Language


@csrf_exempt  # the unguessable token in the URL is the credential; mail clients POST without a cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (mail scanners follow links); POST unsubscribes at once."""
    invitation = Invitation.objects.select_related("contact").filter(token=token, contact__isnull=False).first()
    language = invitation.contact.language if invitation else Language.ENGLISH
    with translation.override(language):
        if invitation is None:
            return render(request, "surveys/unsubscribe.html", {"state": "unknown", "language": language}, status=404)
        if request.method == "POST":
            distributions.contact_unsubscribe(token=token)
            return render(request, "surveys/unsubscribe.html", {"state": "done", "language": language})
        state = "done" if invitation.contact.unsubscribed_at else "confirm"
        return render(request, "surveys/unsubscribe.html", {"state": state, "language": language})
