"""What PostgreSQL cannot store in a JSON column, found before it is sent there."""

import math
import re
from typing import Any

from django.utils.translation import gettext as _

_SURROGATES = re.compile("[\ud800-\udfff]")


def json_problem(data: Any, *, max_depth: int) -> str | None:
    """Why a parsed JSON document cannot be stored: "depth", "nul", "surrogate", "number", or None.

    PostgreSQL refuses a NUL character or an unpaired surrogate in jsonb (both can be written
    as JSON escapes) and NaN or infinity (which Python's json module accepts).
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                return "depth"
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))
        elif isinstance(value, str):
            if "\x00" in value:
                return "nul"
            if _SURROGATES.search(value):
                return "surrogate"
        elif isinstance(value, float) and not math.isfinite(value):
            return "number"
    return None


def json_problem_message(problem: str, *, max_depth: int) -> str:
    """The sentence that explains a json_problem() to the person who sent it."""
    messages = {
        "depth": _("JSON nested deeper than %(depth)s levels is not accepted.") % {"depth": max_depth},
        "nul": _("Text may not contain NUL characters (\\u0000)."),
        "surrogate": _("Text may not contain unpaired surrogates (\\ud800-\\udfff)."),
        "number": _("NaN and Infinity are not numbers JSON allows."),
    }
    return messages[problem]
