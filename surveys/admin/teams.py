"""Admin for teams, roles, staff users and the audit log (administrators only).

Role changes go through surveys.memberships, so each one is written to the audit log.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from surveys.admin.scoped import ScopedAdmin, ScopedInline
from surveys.memberships import membership_grant, membership_revoke, user_superuser_changed
from surveys.models import AuditEvent, Membership, Team


class MembershipInline(ScopedInline, admin.TabularInline):
    model = Membership
    verbose_name_plural = _("roles in this team")
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 1


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = ["name", "lead"]
    search_fields = ["name"]
    autocomplete_fields = ["lead"]
    inlines = [MembershipInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            formset.save()
            return
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            membership_revoke(membership=membership, by=request.user, request=request)
        for membership, changed in formset.changed_objects:
            if "user" in changed:
                # Another person on the row: the first one loses the role, the second one gets it.
                membership_revoke(membership=Membership.objects.get(pk=membership.pk), by=request.user, request=request)
            membership_grant(
                user=membership.user, team=form.instance, role=membership.role, by=request.user, request=request
            )
        for membership in formset.new_objects:
            membership_grant(
                user=membership.user, team=form.instance, role=membership.role, by=request.user, request=request
            )


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    """Every role in one list, including administrators (whose row has no team)."""

    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user"]
    fields = ["user", "team", "role"]
    list_select_related = ["user", "team"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        # A changed person or team is a new membership: revoke this one and grant that one.
        return ["user", "team"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        saved = membership_grant(user=obj.user, team=obj.team, role=obj.role, by=request.user, request=request)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_revoke(membership=obj, by=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user"):
            membership_revoke(membership=membership, by=request.user, request=request)


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdmin):
    """The audit log: read, filtered and searched; never written here."""

    list_display = ["at", "actor_name", "action", "target_type", "target_id", "source", "ip_address"]
    list_filter = ["action", "source", "at"]
    search_fields = ["actor_name", "target_type", "target_id", "ip_address"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


class StaffUserAdmin(ScopedAdmin, UserAdmin):
    """Django's user admin under the access policy; switching superuser status is audited."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        switched = "is_superuser" in form.changed_data
        super().save_model(request, obj, form, change)
        if switched:
            user_superuser_changed(user=obj, by=request.user, request=request)


class StaffGroupAdmin(ScopedAdmin, GroupAdmin):
    """Django's groups; only administrators see them (roles, not groups, grant access here)."""


for model, model_admin in [(get_user_model(), StaffUserAdmin), (Group, StaffGroupAdmin)]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
