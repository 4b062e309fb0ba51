"""Every route of the project, as the URL resolver spells it (for tests that sweep them all)."""

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
