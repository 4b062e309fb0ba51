"""Every route of the project, as the URL resolver spells it (for tests that sweep them all)."""

import re
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def project_routes(patterns: list[Any] | None = None, prefix: str = "") -> set[str]:
    """Each URL pattern with the prefixes of the resolvers it sits under."""
    found: set[str] = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found |= project_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.add(prefix + str(pattern.pattern))
    return found


def readable(route: str) -> str:
    """A route as people write it: a DRF route's format-suffix twin folded in, `{pk}` for the object id."""
    # The app index lists the registered apps in registration order; any order is the same route.
    route = re.sub(r"\(\?P<app_label>[^)]*\)", "<app_label>", route)
    if "<drf_format_suffix:format>" in route:
        return route.replace("<drf_format_suffix:format>", "")
    route = re.sub(r"\\\.\(\?P<format>\[a-z0-9\]\+\)/\?\$$", "/$", route)
    if route.startswith("api/v1/^"):
        route = route.replace("(?P<pk>[^/.]+)", "{pk}").replace("^", "").replace("$", "")
    return route


def api_endpoints(patterns: list[Any] | None = None, prefix: str = "") -> dict[str, set[str]]:
    """Each API route (readable) with the HTTP methods its view answers (HEAD and OPTIONS aside)."""
    found: dict[str, set[str]] = {}
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            for key, methods in api_endpoints(pattern.url_patterns, route).items():
                found[key] = found.get(key, set()) | methods
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            found[readable(route)] = found.get(readable(route), set()) | _methods(pattern.callback)
    return found


def _methods(callback: Any) -> set[str]:
    view = callback.cls
    actions = getattr(callback, "actions", None)
    if actions is not None:
        # A viewset can turn some of its router's methods away (PUT, say) with http_method_names.
        return set(actions) & set(view.http_method_names) - {"head", "options"}
    return {name for name in view.http_method_names if name not in ("head", "options") and hasattr(view, name)}
