"""Request checks that apply to every page, the admin and the API alike."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from vocsite.errors import message_response


class RejectNulInQueryMiddleware:
    """A NUL character in the path or query string gets a 400.

    No page has a use for one, and PostgreSQL refuses a NUL in any text it is given, so a
    filter, search or token lookup with one would otherwise end in a server error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or _has_nul(request):
            return message_response(
                request,
                title=_("This request could not be handled"),
                body=_("The address contains a character that is not allowed (NUL)."),
                status=400,
            )
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
