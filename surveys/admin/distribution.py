"""Django admin for distributions, invitations and their emails."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from surveys.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["survey", "contact", "kind", "created_at", "opened_at", "responded_at"]
    list_filter = ["kind", "survey"]
    search_fields = ["contact__email", "contact__name"]
    autocomplete_fields = ["contact"]
    readonly_fields = ["link", "kind", "opened_at", "responded_at"]
    fields = ["survey", "contact", "link", "kind", "opened_at", "responded_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Invitation | None = None) -> list[str]:
        return self.readonly_fields + (["survey", "contact"] if obj else [])

    @admin.display(description=_("personal link"))
    def link(self, invitation: Invitation) -> str:
        if not invitation.pk:
            return _("Save to create the link.")
        url = invitation.answer_url()
        return format_html('<a href="{}" target="_blank">{}</a>', url, url)
