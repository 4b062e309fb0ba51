"""Privacy in admin: export a contact as JSON, erase contacts after a confirmation, the erasure records."""

import logging
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys.admin.scoped import ScopedAdmin
from surveys.audit import Action, audit_record
from surveys.models import Contact, ContactErasure, SuppressedAddress
from vocsite.privacy.erasure import contacts_erase
from vocsite.privacy.export import exports_json

logger = logging.getLogger(__name__)


def export_response(contacts: list[Contact], *, file_name: str) -> HttpResponse:
    """A JSON download: one contact's export, or a list of them."""
    response = HttpResponse(exports_json(contacts), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"
    return response


class ContactPrivacyAdmin(ScopedAdmin):
    """Export and erase for ContactAdmin: buttons on the contact and actions on the list.

    Who may export and erase is the access policy's (has_export_permission, has_erase_permission).
    """

    change_form_template = "admin/surveys/contact/change_form.html"
    actions = ["export_contacts", "erase_contacts"]

    def get_urls(self) -> list[Any]:
        custom = [
            path("<int:pk>/export/", self.admin_site.admin_view(self.export_view), name="surveys_contact_export"),
            path("erase/", self.admin_site.admin_view(self.erase_view), name="surveys_contact_erase"),
        ]
        return custom + super().get_urls()

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        context["can_export"] = self.has_export_permission(request)
        context["can_erase"] = self.has_erase_permission(request)
        return super().render_change_form(request, context, **kwargs)

    @admin.action(description=_("Export selected contacts (JSON)"), permissions=["export"])
    def export_contacts(self, request: HttpRequest, queryset: QuerySet[Contact]) -> HttpResponse:
        contacts = list(queryset.order_by("pk"))
        logger.info("Contacts %s exported by user %s", [contact.pk for contact in contacts], request.user.pk)
        for contact in contacts:
            audit_record(actor=request.user, action=Action.CONTACT_EXPORTED, target=contact, request=request)
        return export_response(contacts, file_name="contacts.json")

    @admin.action(description=_("Erase selected contacts…"), permissions=["erase"])
    def erase_contacts(self, request: HttpRequest, queryset: QuerySet[Contact]) -> HttpResponse:
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:surveys_contact_erase')}?{urlencode({'ids': ids})}")

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Download everything about one contact."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            contact = self.get_object(request, str(pk))
        except Http404:
            return self._missing(request)
        logger.info("Contact %s exported by user %s", contact.pk, request.user.pk)
        audit_record(actor=request.user, action=Action.CONTACT_EXPORTED, target=contact, request=request)
        return export_response([contact], file_name=f"contact-{contact.pk}.json")

    def erase_view(self, request: HttpRequest) -> HttpResponse:
        """GET: what will happen, and to whom. POST: erase them."""
        if not self.has_erase_permission(request):
            raise PermissionDenied
        raw = request.POST.get("ids") if request.method == "POST" else request.GET.get("ids")
        parts = [part.strip() for part in (raw or "").split(",")]
        ids = sorted({int(part) for part in parts if part.isascii() and part.isdigit() and len(part) <= 18})
        contacts = list(self.get_queryset(request).filter(pk__in=ids).order_by("pk"))
        if not contacts:
            return self._missing(request)
        if request.method == "POST":
            erased = contacts_erase(contact_ids=[contact.pk for contact in contacts], by=request.user)
            logger.info("Contacts %s erased by user %s", [record.contact_id for record in erased], request.user.pk)
            for record in erased:
                details = {"contact_id": record.contact_id}
                audit_record(
                    actor=request.user, action=Action.CONTACT_ERASED, target=record, request=request, details=details
                )
            count = len(contacts)
            self.message_user(
                request,
                ngettext("%(count)d contact was erased.", "%(count)d contacts were erased.", count) % {"count": count},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:surveys_contacterasure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Erase contacts"),
            "contacts": contacts,
            "ids": ",".join(str(contact.pk) for contact in contacts),
        }
        return TemplateResponse(request, "admin/surveys/contact/erase.html", context)

    def _missing(self, request: HttpRequest) -> HttpResponse:
        self.message_user(request, _("No such contact: it may have been erased already."), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:surveys_contact_changelist"))


class ReadOnlyAdmin(ScopedAdmin):
    """Records of what happened: read, never added, edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContactErasure)
class ContactErasureAdmin(ReadOnlyAdmin):
    list_display = ["contact_id", "reason", "erased_by", "erased_at"]
    list_filter = ["reason"]
    search_fields = ["=contact_id"]
    fields = ["contact_id", "reason", "erased_by", "erased_at", "summary"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContactErasure]:
        return super().get_queryset(request).select_related("erased_by")


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(ReadOnlyAdmin):
    list_display = ["address_hash", "reason", "created_at"]
    list_filter = ["reason"]
    fields = ["address_hash", "reason", "created_at"]
    readonly_fields = fields
