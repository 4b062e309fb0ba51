"""The access policy in the REST API: a permission class, a viewset mixin, scoped relations and filters.

Every view asks surveys.access: the area on each request, the object on each object a view
fetches (custom actions included). Querysets are scoped, so another team's object is a 404;
related ids in a body and in filters accept only rows the caller may use, so another team's
id is a 400 with a field message.
"""

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.db.models import Model, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import permissions, serializers
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.request import Request
from rest_framework.views import APIView

from surveys import access
from surveys.access import Action
from surveys.models import Team

DEFAULT_ACTIONS = {
    "list": Action.VIEW,
    "retrieve": Action.VIEW,
    "create": Action.ADD,
    "update": Action.CHANGE,
    "partial_update": Action.CHANGE,
    "destroy": Action.DELETE,
}


def required_action(view: APIView, request: Request) -> Action:
    """The access action a request needs: the view's own map for custom actions, then the defaults."""
    name = getattr(view, "action", None)
    custom = getattr(view, "action_permissions", {})
    if name in custom:
        return Action(custom[name])
    if name in DEFAULT_ACTIONS:
        return DEFAULT_ACTIONS[name]
    return Action.VIEW if request.method in permissions.SAFE_METHODS else Action.CHANGE


class RolePermission(permissions.BasePermission):
    """Allowed when the caller's roles grant the action: on the area, then on each object."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
        if lookup and lookup in getattr(view, "kwargs", {}):
            # One object: found among the caller's rows or a 404, then checked for the action.
            # So another team's object is a 404 for everyone, whatever their role.
            return access.is_administrator(user) or bool(access.roles(user))
        action = required_action(view, request)
        area = getattr(view, "access_area", None)
        if area is not None:
            return access.can_area(user, area, action)
        return access.can(user, action, model=_model_of(view))

    def has_object_permission(self, request: Request, view: APIView, obj: Model) -> bool:
        return access.can(request.user, required_action(view, request), obj)


class ScopedViewSetMixin:
    """Lists and lookups see only the caller's rows; actions need the role the policy names."""

    permission_classes = [RolePermission]
    # Custom @action name -> access action, e.g. {"publish": "change"}; unlisted writes need "change".
    action_permissions: dict[str, str] = {}
    request: Request

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Scoped before any filter runs, for lists and for get_object() alike.
        return super().filter_queryset(access.scope(queryset, self.request.user, Action.VIEW))  # type: ignore[misc]


class ScopedRelationsMixin:
    """Related fields of a body accept only rows the caller may link to this serializer's model."""

    context: dict[str, Any]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # type: ignore[misc]
        request = self.context.get("request")
        if request is None:
            return fields
        model = self.Meta.model  # type: ignore[attr-defined]
        for field in fields.values():
            relation = field.child_relation if isinstance(field, ManyRelatedField) else field
            if isinstance(relation, RelatedField) and not relation.read_only and relation.queryset is not None:
                action = Action.ADD if relation.queryset.model is Team else Action.CHANGE
                relation.queryset = access.choices(relation.queryset, request.user, for_model=model, action=action)
        return fields


class ScopedFilterSet(django_filters.FilterSet):
    """Filters by a related row accept only rows the caller sees (another team's id: 400)."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        for filter_ in self.filters.values():
            queryset = getattr(filter_, "queryset", None)
            if isinstance(filter_, django_filters.filters.QuerySetRequestMixin) and isinstance(queryset, QuerySet):
                model = self._meta.model
                filter_.queryset = access.choices(queryset, user, for_model=model, action=Action.VIEW)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # PostgreSQL refuses offsets beyond ±15:59 that Python accepts (a 500): compare in UTC.
        for name, value in self.form.cleaned_data.items():
            if isinstance(value, datetime) and value.tzinfo is not None:
                self.form.cleaned_data[name] = value.astimezone(UTC)
        return super().filter_queryset(queryset)


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter with ScopedFilterSet as the base of every generated filter set."""

    filterset_base = ScopedFilterSet


def _model_of(view: APIView) -> type[Model]:
    model = getattr(view, "access_model", None)
    if model is None:
        model = view.get_queryset().model  # type: ignore[attr-defined]
    return model
