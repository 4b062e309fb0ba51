"""Django admin for digest subscriptions and their deliveries."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback.digest_delivery import archive_url
from feedback.models import DigestDelivery, DigestSubscription
from surveys import access
from surveys.access import Action, Area
from surveys.admin.scoped import ScopedAdmin
from surveys.models import Segment


class DigestSubscriptionForm(forms.ModelForm):
    class Meta:
        model = DigestSubscription
        fields = DigestSubscription.EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        mismatches = DigestSubscription.team_mismatches(
            team=data.get("team"), surveys=data.get("surveys") or [], segment=data.get("segment")
        )
        for field, message in mismatches.items():
            self.add_error(field, message)
        return data


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(ScopedAdmin):
    form = DigestSubscriptionForm
    list_display = ["__str__", "team", "cadence", "language", "active", "archive"]
    list_filter = ["team", "cadence", "language", "active"]
    filter_horizontal = ["surveys", "themes", "touchpoints"]
    autocomplete_fields = ["user"]
    fieldsets = [
        (None, {"fields": ["name", "team", "user", "email", "active"]}),
        (_("When and how"), {"fields": ["cadence", "weekday", "language", "send_when_empty", "show_touchpoints"]}),
        (
            _("About what"),
            {"fields": ["surveys", "touchpoints", "segment", "answer_languages", "themes", "product"]},
        ),
    ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "segment":
            # Designers pick a segment by name without seeing its contacts.
            ids = access.team_ids(request.user, Area.DIGESTS, Action.CHANGE)
            kwargs["queryset"] = Segment.objects.all() if ids is None else Segment.objects.filter(team_id__in=ids)
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "surveys":
            # The surveys of teams whose digests the caller manages (designers see no surveys otherwise).
            kwargs["queryset"] = access.surveys_for(request.user, Area.DIGESTS, Action.CHANGE)
            return admin.ModelAdmin.formfield_for_manytomany(self, db_field, request, **kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("archive"))
    def archive(self, subscription: DigestSubscription) -> str:
        return format_html('<a href="{}" target="_blank">{}</a>', archive_url(subscription), _("open"))


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(ScopedAdmin):
    list_display = ["subscription", "period_start", "period_end", "status", "sent_at"]
    list_filter = ["status"]
    readonly_fields = ["subscription", "period_start", "period_end", "status", "sent_at", "attempts", "last_error"]
    exclude = ["content", "claimed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
