"""Admin for API tokens (administrators only): made here, their secret shown once, revoked, never deleted.

The secret is shown on the page that answers the add form, straight from memory: it is not put
in a message, a session or a cookie, so after that page nobody can see it again.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.admin.scoped import ScopedAdmin
from surveys.models import ApiToken
from surveys.tokens import api_token_issue, api_token_revoke


class ApiTokenForm(forms.ModelForm):
    """Name, user and expiry; the user must be active staff and the expiry in the future."""

    class Meta:
        model = ApiToken
        fields = ["name", "user", "expires_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = get_user_model().objects.filter(is_active=True, is_staff=True)

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now() and "expires_at" in self.changed_data:
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    form = ApiTokenForm
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["created_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["name", "user", "expires_at"]
        return ["name", "prefix", "user", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        # A token acts as one person for good; only its name and expiry may change.
        if obj is None:
            return []
        return ["prefix", "user", "created_by", "created_at", "last_used_at", "revoked_at"]

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # Revoked, never deleted: the row tells who could act through the API, and until when.
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = api_token_issue(
            user=obj.user, name=obj.name, expires_at=obj.expires_at, by=request.user, request=request
        )
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued.token, field.attname))
        obj._state.adding = False
        obj.issued_text = issued.text  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Your new API token"),
            "token": obj,
            "text": obj.issued_text,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/surveys/apitoken/issued.html", context)

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token, by=request.user, request=request)
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": len(tokens)}, messages.SUCCESS)
