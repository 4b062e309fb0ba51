"""Every API view and serializer names what it allows: ordering, filters and fields are explicit lists.

The views are found by walking the URL conf, and the serializers among all the project's
classes, so an endpoint added later is held to the same rule without anyone listing it here.
"""

from typing import Any

import django_filters
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

PROJECT_APPS = ("surveys", "feedback", "vocsite")


def api_views(patterns: list[Any] | None = None, prefix: str = "") -> dict[str, type]:
    """Each DRF view class of the URL conf under api/, by the route it first appears at."""
    found: dict[str, type] = {}
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found = {**api_views(pattern.url_patterns, route), **found}
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and view.__module__.startswith(PROJECT_APPS):
                found.setdefault(view.__name__, view)
    return found


def project_subclasses(base: type) -> list[type]:
    """Every subclass of base defined in the project's apps, however deep."""
    seen: list[type] = []
    pending = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(PROJECT_APPS) and cls not in seen:
            seen.append(cls)
    return seen


def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def test_the_walk_finds_the_api_views() -> None:
    views = api_views()

    assert {"SurveyViewSet", "ContactViewSet", "ApiTokenViewSet", "MetricsView"} <= views.keys()


def test_every_api_view_orders_only_by_an_explicit_list_of_fields() -> None:
    views = [view for view in api_views().values() if issubclass(view, GenericAPIView)]

    unlisted = [view.__name__ for view in views if not is_list(getattr(view, "ordering_fields", None))]

    assert unlisted == [], "declare ordering_fields = [...] (never '__all__', never left out)"


def test_every_api_view_filters_only_through_declared_filters() -> None:
    problems = []
    for view in api_views().values():
        if not issubclass(view, GenericAPIView):
            continue
        fields, filterset = getattr(view, "filterset_fields", None), getattr(view, "filterset_class", None)
        if fields is None and filterset is None:
            problems.append(f"{view.__name__}: declare filterset_fields or filterset_class")
        elif fields is not None and not is_list(fields):
            problems.append(f"{view.__name__}: filterset_fields must be a list")
        elif filterset is not None:
            problems += filterset_problems(filterset)

    assert problems == []


def filterset_problems(filterset: type[django_filters.FilterSet]) -> list[str]:
    meta = getattr(filterset, "Meta", None)
    fields = getattr(meta, "fields", [])
    if getattr(meta, "exclude", None) or not (is_list(fields) or isinstance(fields, dict)):
        return [f"{filterset.__name__}: list the filter fields (no '__all__', no exclude)"]
    return []


def test_every_model_serializer_lists_its_fields() -> None:
    model_serializers = project_subclasses(serializers.ModelSerializer)

    unlisted = [
        serializer.__name__
        for serializer in model_serializers
        if not is_list(getattr(serializer.Meta, "fields", None)) or hasattr(serializer.Meta, "exclude")
    ]

    assert len(model_serializers) > 10
    assert unlisted == [], "list Meta.fields explicitly (never '__all__', never exclude)"


def test_every_api_list_is_paginated() -> None:
    unpaginated = [
        view.__name__
        for view in api_views().values()
        if issubclass(view, GenericAPIView) and hasattr(view, "list") and view.pagination_class is None
    ]

    assert unpaginated == []
