"""API-wide pieces: error bodies that always carry field messages (and a translated 429), and a careful JSON parser."""

import json
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from vocsite.jsonsafety import json_problem, json_problem_message


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn Django's ValidationError (raised by services) into a 400 with field messages."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = exc.message_dict
        else:
            detail = {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, exceptions.Throttled):
        exc = _throttled(exc)
    return drf_exception_handler(exc, context)


def _throttled(exc: exceptions.Throttled) -> exceptions.Throttled:
    """Our own words for a rate limit, in the caller's language; Retry-After comes from exc.wait."""
    refused = exceptions.Throttled(wait=exc.wait)
    if exc.wait is None:
        message = _("Too many requests. Try again later.")
    else:
        seconds = max(1, math.ceil(exc.wait))
        message = ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
    refused.detail = exceptions.ErrorDetail(message, code="throttled")
    return refused


class SafeJSONParser(JSONParser):
    """JSON bodies within the size limit, nested no deeper than API_JSON_MAX_DEPTH, holding storable text.

    DRF reads the body stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, so the
    limit is applied here. PostgreSQL cannot store a NUL character or an unpaired surrogate
    (both can be written as JSON escapes), so a body holding one is refused as a whole.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise exceptions.ParseError(_("The body is larger than %(size)s bytes.") % {"size": limit})
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            data = _TOO_DEEP
        except ValueError as error:
            raise exceptions.ParseError(_("JSON parse error: %(error)s") % {"error": error}) from None
        problem = json_problem(data, max_depth=settings.API_JSON_MAX_DEPTH) if data is not _TOO_DEEP else "depth"
        if problem:
            raise exceptions.ParseError(_problem_message(problem))
        return data


_TOO_DEEP = object()


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _problem_message(problem: str) -> str:
    return json_problem_message(problem, max_depth=settings.API_JSON_MAX_DEPTH)
