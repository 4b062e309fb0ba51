"""Friendly answers to requests that cannot be handled: a page for people, JSON for the API."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _


def message_response(request: HttpRequest, *, title: str, body: str, status: int) -> HttpResponse:
    """A short page (or, under /api/, a JSON body with a detail) with the given status."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": body}, status=status)
    context = {"title": title, "body": body, "language": translation.get_language()}
    return render(request, "vocsite/message.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: the body was too large or malformed, or the address held what no page takes."""
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
        body = _("What was sent is too large. Please shorten it and try again.")
    else:
        body = _("Please check the address or go back and try again.")
    return message_response(request, title=_("This request could not be handled"), body=body, status=400)
