"""Django admin for webhook subscriptions and the messages sent to them, with every attempt."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback.models import SUBSCRIBABLE_EVENTS, WebhookAttempt, WebhookMessage, WebhookSubscription
from feedback.webhooks import services
from surveys.admin.scoped import ScopedAdmin, ScopedInline

EDITABLE = ["team", "url", "description", "events", "include_personal_data"]


class WebhookSubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[(event.value, event.label) for event in SUBSCRIBABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = EDITABLE

    def clean_url(self) -> str:
        return _checked(services.webhook_url_check, self.cleaned_data["url"], "url")

    def clean_events(self) -> list[str]:
        return _checked(services.webhook_events_check, self.cleaned_data["events"], "events")


def _checked(check: Any, value: Any, field: str) -> Any:
    """A service's check as a form field's cleaning (its message, on this field)."""
    try:
        return check(value)
    except ValidationError as error:
        raise ValidationError(error.message_dict[field]) from None


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ScopedAdmin):
    form = WebhookSubscriptionForm
    list_display = ["__str__", "team", "url", "active", "consecutive_failures", "message_log"]
    list_filter = ["team", "active"]
    readonly_fields = ["active", "disabled_at", "disabled_reason", "consecutive_failures", "previous_secret_until"]
    actions = ["rotate_secret", "enable", "send_test"]

    @admin.display(description=_("messages"))
    def message_log(self, subscription: WebhookSubscription) -> str:
        url = reverse("admin:feedback_webhookmessage_changelist") + f"?subscription__id__exact={subscription.pk}"
        return format_html('<a href="{}">{}</a>', url, _("messages and attempts"))

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in EDITABLE}
        if change:
            services.webhook_subscription_update(subscription=obj, **values)
            return
        created, secret = services.webhook_subscription_create(**values, by=request.user)
        obj.pk = created.pk
        self._show_secret(request, created, secret)

    def delete_model(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        services.webhook_subscription_delete(subscription=obj)

    def _show_secret(self, request: HttpRequest, subscription: WebhookSubscription, secret: str) -> None:
        self.message_user(
            request,
            _("Signing secret of %(name)s (shown only now): %(secret)s") % {"name": subscription, "secret": secret},
            level=messages.WARNING,
        )

    @admin.action(description=_("Rotate the signing secret (the old one signs for 24 more hours)"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            secret = services.webhook_subscription_rotate_secret(subscription=subscription)
            self._show_secret(request, subscription, secret)

    @admin.action(description=_("Enable again"))
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.webhook_subscription_enable(subscription=subscription)
        self.message_user(request, _("%(count)d subscriptions enabled.") % {"count": len(queryset)})

    @admin.action(description=_("Send a test message"))
    def send_test(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.webhook_subscription_ping(subscription=subscription)
        self.message_user(request, _("%(count)d test messages queued.") % {"count": len(queryset)})


class WebhookAttemptInline(ScopedInline, admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(ScopedAdmin):
    """What was sent: read-only, each attempt with its status code or error."""

    list_display = ["msg_id", "event", "subscription", "status", "attempts", "created_at", "next_attempt_at"]
    list_filter = ["status", "event", "subscription"]
    fields = ["subscription", "event", "msg_id", "status", "attempts", "created_at", "next_attempt_at", "body"]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
