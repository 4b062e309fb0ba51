"""Django admin for distributions, invitations and their emails."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys import distributions, sending
from surveys.admin.scoped import ScopedAdmin, ScopedInline
from surveys.models import Distribution, Invitation, InvitationEmail


class DistributionForm(forms.ModelForm):
    class Meta:
        model = Distribution
        fields = ["name", "survey", "segment", "contacts", "scheduled_at", "reminder_days"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("survey") is not None:
            distributions.distribution_audience_validate(
                survey=data["survey"], segment=data.get("segment"), contacts=data.get("contacts") or []
            )
        return data


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["survey", "contact"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("survey") is not None and data.get("contact") is not None:
            distributions.distribution_audience_validate(
                survey=data["survey"], segment=None, contacts=[data["contact"]]
            )
        return data


@admin.register(Distribution)
class DistributionAdmin(ScopedAdmin):
    form = DistributionForm
    list_display = ["name", "survey", "status", "scheduled_at", "figures_line", "created_at"]
    list_filter = ["status", "survey"]
    search_fields = ["name"]
    autocomplete_fields = ["contacts"]
    readonly_fields = ["status", "materialized_at", "finished_at", "figures"]
    fields = ["name", "survey", "segment", "contacts", "scheduled_at", "reminder_days", "status", "figures"]
    actions = ["schedule", "pause", "resume", "cancel"]

    def get_readonly_fields(self, request: HttpRequest, obj: Distribution | None = None) -> list[str]:
        locked = obj is not None and obj.status != Distribution.Status.DRAFT
        return self.readonly_fields + (["survey", "segment", "contacts"] if locked else [])

    def save_model(self, request: HttpRequest, obj: Distribution, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("figures"))
    def figures(self, distribution: Distribution) -> SafeString | str:
        if not distribution.pk:
            return "-"
        figures = distributions.distribution_figures(distribution=distribution)
        labels = dict(Invitation.SkipReason.choices)
        skipped = [(labels.get(reason, reason), count) for reason, count in figures["skipped_by_reason"].items()]
        return render_to_string("admin/surveys/distribution/figures.html", {"f": figures, "skipped": skipped})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Distribution]:
        # Counted once for the whole list, not two queries per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_count=Count("invitations", filter=Q(invitations__sent_at__isnull=False)),
                answered_count=Count("invitations", filter=Q(invitations__responded_at__isnull=False)),
            )
        )

    @admin.display(description=_("sent / answered"))
    def figures_line(self, distribution: Distribution) -> str:
        return f"{distribution.sent_count} / {distribution.answered_count}"  # type: ignore[attr-defined]

    @admin.action(description=_("Schedule (send at the chosen time, or now)"), permissions=["change"])
    def schedule(self, request: HttpRequest, queryset: QuerySet[Distribution]) -> None:
        self._each(request, queryset, lambda d: distributions.distribution_schedule(distribution=d, at=d.scheduled_at))

    @admin.action(description=_("Pause"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Distribution]) -> None:
        self._each(request, queryset, lambda d: distributions.distribution_pause(distribution=d))

    @admin.action(description=_("Resume"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Distribution]) -> None:
        self._each(request, queryset, lambda d: distributions.distribution_resume(distribution=d))

    @admin.action(description=_("Cancel"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Distribution]) -> None:
        self._each(request, queryset, lambda d: distributions.distribution_cancel(distribution=d))

    def _each(self, request: HttpRequest, queryset: QuerySet[Distribution], change: Callable[..., Any]) -> None:
        done = 0
        for distribution in queryset.select_related("survey"):
            try:
                change(distribution)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{distribution}: {' '.join(error.messages)}", level=messages.ERROR)
        if done:
            message = ngettext("%(count)d distribution updated.", "%(count)d distributions updated.", done)
            self.message_user(request, message % {"count": done})


class InvitationEmailInline(ScopedInline, admin.TabularInline):
    model = InvitationEmail
    fields = ["sequence", "status", "due_at", "sent_at", "attempts", "last_error", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(ScopedAdmin):
    form = InvitationForm
    list_display = [
        "survey",
        "contact",
        "distribution",
        "status",
        "skip_reason",
        "sent_at",
        "opened_at",
        "responded_at",
    ]
    list_filter = ["status", "skip_reason", "kind", "survey"]
    search_fields = ["contact__email", "contact__name"]
    autocomplete_fields = ["contact"]
    list_select_related = ["survey", "contact", "distribution"]
    readonly_fields = ["link", "kind", "distribution", "status", "skip_reason", "sent_at", "reminders_sent"]
    readonly_fields += ["opened_at", "responded_at"]
    fields = ["survey", "contact", "link", *readonly_fields[1:]]
    inlines = [InvitationEmailInline]
    actions = ["resend"]

    def get_readonly_fields(self, request: HttpRequest, obj: Invitation | None = None) -> list[str]:
        return self.readonly_fields + (["survey", "contact"] if obj else [])

    @admin.display(description=_("personal link"))
    def link(self, invitation: Invitation) -> str:
        if not invitation.pk:
            return _("Save to create the link.")
        url = invitation.answer_url()
        return format_html('<a href="{}" target="_blank">{}</a>', url, url)

    @admin.action(description=_("Send the email again now"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        count = sum(
            1 for invitation in queryset if sending.invitation_resend(invitation=invitation, now=timezone.now())
        )
        self.message_user(
            request, ngettext("%(count)d email queued.", "%(count)d emails queued.", count) % {"count": count}
        )
