"""Django admin for digest subscriptions and their deliveries."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback.digest_delivery import archive_url
from feedback.models import DigestDelivery, DigestSubscription
from vocsite.forms import SAFE_FORMFIELDS


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    formfield_overrides = SAFE_FORMFIELDS
    list_display = ["__str__", "cadence", "language", "active", "archive"]
    list_filter = ["cadence", "language", "active"]
    filter_horizontal = ["surveys", "themes"]
    autocomplete_fields = ["user"]
    fieldsets = [
        (None, {"fields": ["name", "user", "email", "active"]}),
        (_("When and how"), {"fields": ["cadence", "weekday", "language", "send_when_empty"]}),
        (_("About what"), {"fields": ["surveys", "segment", "answer_languages", "themes", "product"]}),
    ]

    @admin.display(description=_("archive"))
    def archive(self, subscription: DigestSubscription) -> str:
        return format_html('<a href="{}" target="_blank">{}</a>', archive_url(subscription), _("open"))


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period_start", "period_end", "status", "sent_at"]
    list_filter = ["status"]
    readonly_fields = ["subscription", "period_start", "period_end", "status", "sent_at", "attempts", "last_error"]
    exclude = ["content", "claimed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
