"""Django admin for accounts and their health: the account page, the formula's weights, alert rules.

Accounts are a surveys model; their admin lives here because the page shows health, which
feedback computes (surveys never imports feedback).
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from feedback.health import selectors, services
from feedback.health.marks import health_mark_and_refresh, health_refresh_later
from feedback.models import AlertRule, HealthAlert, HealthBand, HealthWeight
from surveys.admin.scoped import ScopedAdmin
from surveys.models import Account


class BandFilter(admin.SimpleListFilter):
    title = _("health")
    parameter_name = "band"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("at_risk_or_worse", _("At risk or critical")), *HealthBand.choices, ("none", _("Not computed yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Account]) -> QuerySet[Account]:
        if self.value() == "at_risk_or_worse":
            return queryset.filter(health__band__in=[HealthBand.AT_RISK, HealthBand.CRITICAL])
        if self.value() in HealthBand.values:
            return queryset.filter(health__band=self.value())
        if self.value() == "none":
            return queryset.filter(health__isnull=True)
        return queryset


@admin.register(Account)
class AccountAdmin(ScopedAdmin):
    list_display = ["name", "team", "tier", "annual_revenue", "renewal_date", "owner", "health_score", "health_change"]
    list_filter = [BandFilter, "team", "tier", "owner"]
    search_fields = ["name"]
    autocomplete_fields = ["owner"]
    list_select_related = ["team", "owner", "health"]
    fields = ["name", "team", "owner", "tier", "annual_revenue", "renewal_date", "attributes", "health_panel"]
    readonly_fields = ["health_panel"]
    actions = ["recompute"]

    @admin.display(description=_("health"), ordering="health__score")
    def health_score(self, account: Account) -> str:
        health = getattr(account, "health", None)
        if health is None:
            return "-"
        return format_html(
            '<span class="vs-band vs-{}">{} · {}</span>', health.band, health.score, health.get_band_display()
        )

    @admin.display(description=_("change in 30 days"), ordering="health__change_30d")
    def health_change(self, account: Account) -> str:
        health = getattr(account, "health", None)
        if health is None or health.change_30d is None:
            return "-"
        return f"{health.change_30d:+d}"

    @admin.display(description=_("health, contacts, answers and follow-ups"))
    def health_panel(self, account: Account) -> SafeString | str:
        if account.pk is None:
            return _("Save the account to see its health.")
        context = {
            **selectors.account_page(account=account, viewer=getattr(account, "viewer", None)),
            "account": account,
            "at_risk_url": reverse("feedback:accounts_at_risk"),
        }
        return SafeString(render_to_string("admin/feedback/account/health.html", context))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Account:
        account = super().get_object(request, object_id, from_field)
        # The health panel lists contacts, answers and follow-ups: only those the viewer may see.
        account.viewer = request.user  # type: ignore[attr-defined]
        return account

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # A renewal date or a first save may change what the alert rules see.
        health_mark_and_refresh(account_ids=[obj.pk])

    @admin.action(description=_("Recompute health now"))
    def recompute(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        health_mark_and_refresh(account_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("Health will be recomputed in a moment."))


@admin.register(HealthWeight)
class HealthWeightAdmin(ScopedAdmin):
    """The formula in the open: every input, the rule that turns it into a signal, its weight."""

    list_display = ["input_label", "rule", "points"]
    list_editable = ["points"]
    list_display_links = None
    change_list_template = "admin/feedback/healthweight/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: HealthWeight | None = None) -> bool:
        return False

    @admin.display(description=_("input"))
    def input_label(self, weight: HealthWeight) -> str:
        return weight.get_key_display()

    @admin.display(description=_("how it scores"))
    def rule(self, weight: HealthWeight) -> str:
        return weight.rule()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "baseline": settings.HEALTH_BASELINE,
            "healthy_from": settings.HEALTH_HEALTHY_FROM,
            "critical_below": settings.HEALTH_CRITICAL_BELOW,
            "window_days": settings.HEALTH_WINDOW_DAYS,
        }
        return super().changelist_view(request, extra_context=extra)

    def save_model(self, request: HttpRequest, obj: HealthWeight, form: Any, change: bool) -> None:
        if "points" in form.changed_data:
            obj.edited_at = timezone.now()
        super().save_model(request, obj, form, change)
        if "points" in form.changed_data and not getattr(request, "_vocsite_health_marked", False):
            # Every score is computed with the new weights by the next refreshes.
            request._vocsite_health_marked = True  # type: ignore[attr-defined]
            services.health_mark_all()
            health_refresh_later()


@admin.register(AlertRule)
class AlertRuleAdmin(ScopedAdmin):
    list_display = ["name", "kind", "threshold", "days", "active", "priority", "sla_hours"]
    list_editable = ["active"]
    list_filter = ["kind", "active"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "active", "threshold", "days"]}),
        (
            _("The proactive follow-up"),
            {"fields": ["priority", "sla_hours", "calendar", "remind_before_hours", "escalate_every_hours"]},
        ),
    ]


@admin.register(HealthAlert)
class HealthAlertAdmin(ScopedAdmin):
    list_display = ["fired_at", "rule", "account", "period", "what", "follow_up_link"]
    list_filter = ["rule"]
    search_fields = ["account__name"]
    list_select_related = ["rule", "account", "follow_up", "attached_to"]
    readonly_fields = ["rule", "account", "period", "fired_at", "what", "follow_up_link"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: HealthAlert | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: HealthAlert | None = None) -> bool:
        return False

    @admin.display(description=_("what happened"))
    def what(self, alert: HealthAlert) -> str:
        return alert.summary()

    @admin.display(description=_("follow-up"))
    def follow_up_link(self, alert: HealthAlert) -> str:
        follow_up = getattr(alert, "follow_up", None) or alert.attached_to
        if follow_up is None:
            return "-"
        url = reverse("admin:feedback_followup_change", args=[follow_up.pk])
        return format_html('<a href="{}">#{} {}</a>', url, follow_up.pk, follow_up.get_status_display())
