"""Admin that follows surveys.access: every ModelAdmin and inline of the project uses these.

Lists show only the caller's rows, another team's object answers 404, permissions come from
the roles (not Django's per-model permissions), choice lists and list filters offer only rows
the caller may use, and each admin action runs only on the selected rows it is allowed on.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from surveys import access
from surveys.access import Action
from surveys.models import Team
from vocsite.forms import SAFE_FORMFIELDS


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, permissions and choices come from the access policy."""

    # JSON fields that explain hostile input (NUL, lone surrogates, NaN, deep nesting) instead of failing.
    formfield_overrides = SAFE_FORMFIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.scope(super().get_queryset(request), request.user, Action.VIEW)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # Django redirects to the index for a missing object; another team's object must look
        # exactly like one that does not exist, and both answer 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("There is no such object."))
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.VIEW, model=self.model)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, Action.VIEW, obj, model=self.model)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.ADD, model=self.model)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, Action.CHANGE, obj, model=self.model)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, Action.DELETE, obj, model=self.model)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.EXPORT, model=self.model)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.ERASE, model=self.model)

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, Action.ASSIGN, model=self.model)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        # A plain related-field filter lists every row of the related table; this one lists
        # only those that occur among the caller's rows.
        return [
            (item, admin.RelatedOnlyFieldListFilter)
            if isinstance(item, str) and _is_relation(self.model, item)
            else item
            for item in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return scope_choices(field, request, for_model=self.model)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return scope_choices(field, request, for_model=self.model)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        team = form.base_fields.get("team")
        owned_by_team = access.resource_of(self.model).team == "team"
        if team is not None and owned_by_team and not access.is_administrator(request.user):
            # Only administrators may leave a row without a team (it would vanish from the maker's view).
            team.required = True
            team.empty_label = None
        return form

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        return {
            name: (_scoped_action(function), action_name, description)
            for name, (function, action_name, description) in actions.items()
        }


class ScopedInline:
    """Inline permissions follow the parent object: whoever may change it may edit its inlines."""

    parent_model: type[Model]
    model: type[Model]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, Action.VIEW, obj, model=self.parent_model)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, Action.CHANGE, obj, model=self.parent_model)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, Action.CHANGE, obj, model=self.parent_model)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, Action.CHANGE, obj, model=self.parent_model)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        return scope_choices(field, request, for_model=self.parent_model)


def scope_choices(field: forms.Field | None, request: HttpRequest, *, for_model: type[Model]) -> Any:
    """Limit a related field's choices to rows the caller may link to a row of for_model."""
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return field
    action = Action.ADD if queryset.model is Team else Action.CHANGE
    field.queryset = access.choices(queryset, request.user, for_model=for_model, action=action)  # type: ignore[union-attr]
    return field


def _scoped_action(function: Callable[..., Any]) -> Callable[..., Any]:
    """The action, run only on the selected rows the caller holds its permissions on."""
    needed = getattr(function, "allowed_permissions", None) or (Action.CHANGE,)

    def scoped(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        for permission in needed:
            queryset = access.scope(queryset, request.user, permission)
        return function(modeladmin, request, queryset)

    scoped.allowed_permissions = needed  # type: ignore[attr-defined]
    scoped.short_description = getattr(function, "short_description", None)  # type: ignore[attr-defined]
    return scoped


def _is_relation(model: type[Model], path: str) -> bool:
    try:
        return bool(get_fields_from_path(model, path)[-1].is_relation)
    except (FieldDoesNotExist, IndexError):
        return False
