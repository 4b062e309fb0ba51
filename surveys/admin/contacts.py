"""Django admin for contacts, segments and CSV imports."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from surveys import access
from surveys.access import Action
from surveys.admin.privacy import ContactPrivacyAdmin
from surveys.admin.scoped import ScopedAdmin
from surveys.contact_import import MAX_FILE_BYTES, contact_import_create
from surveys.models import Contact, ContactImport, Segment, Team
from surveys.segments import segment_contacts, segment_rules_validate


class _DateSetFilter(admin.SimpleListFilter):
    """Yes/no on whether a date column is set, e.g. "unsubscribed: yes"."""

    field_name = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field_name}__isnull": self.value() == "no"})
        return queryset


class UnsubscribedFilter(_DateSetFilter):
    title = _("unsubscribed")
    parameter_name = "unsubscribed"
    field_name = "unsubscribed_at"


class BouncedFilter(_DateSetFilter):
    title = _("address bounced")
    parameter_name = "bounced"
    field_name = "bounced_at"


@admin.register(Contact)
class ContactAdmin(ContactPrivacyAdmin, ScopedAdmin):
    list_display = ["email", "name", "team", "language", "external_id", "account", "attributes_text"]
    list_display += ["unsubscribed_at"]
    list_filter = ["team", "language", UnsubscribedFilter, BouncedFilter]
    list_select_related = ["team", "account"]
    search_fields = ["email", "name", "external_id", "account__name"]
    autocomplete_fields = ["account", "account_owner"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("attributes"))
    def attributes_text(self, contact: Contact) -> str:
        # Imported cells are stored verbatim (formulas, HTML); the list shows them as plain text.
        text = ", ".join(f"{key}: {value}" for key, value in (contact.attributes or {}).items())
        return Truncator(text).chars(80)


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["team", "name", "rules"]

    def clean_rules(self) -> Any:
        rules = self.cleaned_data["rules"]
        segment_rules_validate(rules=rules)
        return rules


@admin.register(Segment)
class SegmentAdmin(ScopedAdmin):
    form = SegmentForm
    list_display = ["name", "team", "live_size", "created_at"]
    list_filter = ["team"]
    search_fields = ["name"]
    fields = ["team", "name", "rules", "live_size"]
    readonly_fields = ["live_size"]

    @admin.display(description=_("live size"))
    def live_size(self, segment: Segment) -> str:
        if segment.pk is None:
            return _("Save the segment to see how many contacts it selects.")
        try:
            return str(segment_contacts(segment=segment).count())
        except ValidationError:
            return _("Invalid rules")


class ContactImportUploadForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("The team whose list the contacts join. Empty: administrators only."),
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV with a header row containing an email column; name, language, external_id and account "
            "(a company name; new ones are created) are optional, every other column is kept as an attribute. "
            "At most 50 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError(_("Upload a .csv file."))
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than %(mb)s MB."), params={"mb": MAX_FILE_BYTES // 2**20})
        return upload


@admin.register(ContactImport)
class ContactImportAdmin(ScopedAdmin):
    list_display = [
        "__str__",
        "team",
        "status",
        "rows_text",
        "created_count",
        "updated_count",
        "error_count",
        "created_at",
    ]
    list_filter = ["status"]
    fields = [
        "file_name",
        "team",
        "status",
        "progress",
        "created_count",
        "updated_count",
        "error_count",
        "failure",
        "error_report",
        "created_by",
        "created_at",
        "finished_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContactImport]:
        # The file itself can be 50 MB: never load it to show a page.
        return super().get_queryset(request).defer("content").select_related("created_by", "team")

    def has_change_permission(self, request: HttpRequest, obj: ContactImport | None = None) -> bool:
        # An import is a record of what happened; it is read, never edited.
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ContactImportUploadForm(request.POST or None, request.FILES or None)
        form.fields["team"].queryset = access.writable_teams(request.user, ContactImport, Action.ADD)
        form.fields["team"].required = not access.is_administrator(request.user)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                contact_import = contact_import_create(
                    file_name=upload.name, content=upload.read(), by=request.user, team=form.cleaned_data["team"]
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                self.message_user(
                    request, _("The file was accepted; its contacts are being imported."), messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:surveys_contactimport_change", args=[contact_import.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import contacts"),
            "form": form,
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/surveys/contactimport/upload.html", context)

    @admin.display(description=_("rows"))
    def rows_text(self, contact_import: ContactImport) -> str:
        return _("%(processed)s of %(total)s rows") % {
            "processed": contact_import.processed_rows,
            "total": contact_import.total_rows,
        }

    @admin.display(description=_("progress"))
    def progress(self, contact_import: ContactImport) -> SafeString:
        return format_html(
            '<progress value="{}" max="{}">{}%</progress> {}',
            contact_import.processed_rows,
            contact_import.total_rows,
            contact_import.progress_percent(),
            self.rows_text(contact_import),
        )

    @admin.display(description=_("error report"))
    def error_report(self, contact_import: ContactImport) -> SafeString | str:
        if not contact_import.errors:
            return _("No errors.")
        # Every cell is escaped: the report repeats what was in the file, HTML and all.
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((entry.get("row"), entry.get("email"), entry.get("error")) for entry in contact_import.errors),
        )
        note = ""
        if contact_import.error_count > len(contact_import.errors):
            note = _("Showing the first %(shown)s of %(total)s errors.") % {
                "shown": len(contact_import.errors),
                "total": contact_import.error_count,
            }
        return format_html(
            "<p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            note,
            _("Row"),
            _("Email"),
            _("Error"),
            rows,
        )
