"""Django admin for survey design: surveys with versioned questions, templates, previews."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys import access, services
from surveys.access import Action
from surveys.admin.scoped import ScopedAdmin, ScopedInline
from surveys.forms import QuestionForm, QuestionFormSet, TemplateChoiceForm
from surveys.models import Question, Survey, Touchpoint


class QuestionInline(ScopedInline, admin.StackedInline):
    model = Question
    form = QuestionForm
    formset = QuestionFormSet
    extra = 0
    ordering = ["page", "position", "pk"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("page", "position", "key", "kind", "required"),
                    ("text_en", "text_zh"),
                    ("help_en", "help_zh"),
                    "choices",
                ]
            },
        ),
        (
            _("Branching"),
            {
                "fields": [("show_if_key", "show_if_min", "show_if_max", "show_if_values")],
                "description": _("Show this question only when an earlier answer meets the condition."),
            },
        ),
    ]


@admin.register(Touchpoint)
class TouchpointAdmin(ScopedAdmin):
    list_display = ["name", "name_zh", "key", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"key": ["name"]}


@admin.register(Survey)
class SurveyAdmin(ScopedAdmin):
    list_display = ["name", "team", "status", "touchpoint", "version", "answered", "created_at"]
    list_filter = ["team", "status", "touchpoint"]
    search_fields = ["name", "title_en", "title_zh"]
    readonly_fields = ["status", "version", "links"]
    inlines = [QuestionInline]
    actions = ["publish", "close", "duplicate"]
    fieldsets = [
        (None, {"fields": ["name", "team", "status", "touchpoint", "version", "links"]}),
        (_("English"), {"fields": ["title_en", "intro_en", "thank_you_en"]}),
        (_("Simplified Chinese"), {"fields": ["title_zh", "intro_zh", "thank_you_zh"]}),
        (_("Links"), {"fields": ["anonymous_link_enabled"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        answered = Count("invitations", filter=Q(invitations__responded_at__isnull=False))
        return super().get_queryset(request).select_related("team").annotate(answered_count=answered)

    @admin.display(description=_("responses"), ordering="answered_count")
    def answered(self, survey: Survey) -> int:
        return survey.answered_count  # type: ignore[attr-defined]

    @admin.display(description=_("links"))
    def links(self, survey: Survey) -> str:
        if not survey.pk:
            return "-"
        preview = reverse("feedback:preview", args=[survey.pk])
        anonymous = survey.anonymous_url() if survey.anonymous_link_enabled else ""
        return format_html(
            '<a href="{}" target="_blank">{}</a> · <a href="{}?lang=zh-hans" target="_blank">{}</a>{}',
            preview,
            _("Preview (English)"),
            preview,
            _("Preview (Chinese)"),
            format_html(" · {}: <code>{}</code>", _("Anonymous link"), anonymous) if anonymous else "",
        )

    def save_model(self, request: HttpRequest, obj: Survey, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        survey = form.instance
        edits_answered_questions = (
            formset.model is Question
            and change
            and formset.has_changed()
            and services.survey_version_has_answers(survey=survey)
        )
        if edits_answered_questions:
            self._move_edits_to_new_version(survey, formset)
            messages.info(
                request,
                _(
                    "This survey already has answers, so your question changes were saved as version "
                    "%(version)s. Earlier answers keep the questions they answered."
                )
                % {"version": survey.version},
            )
        formset.save()

    def _move_edits_to_new_version(self, survey: Survey, formset: Any) -> None:
        """Point the edited forms at copies in a new version, leaving answered rows untouched."""
        copies = services.survey_version_fork(survey=survey)
        formset.instance.version = survey.version
        for question_form in formset.forms:
            question = question_form.instance
            if question.pk in copies:
                question.pk = copies[question.pk].pk
                question.version = survey.version

    @admin.action(description=_("Publish (start accepting answers)"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        count = self._each(request, queryset, services.survey_publish)
        self.message_user(
            request, ngettext("%(count)d survey published.", "%(count)d surveys published.", count) % {"count": count}
        )

    @admin.action(description=_("Close (stop accepting answers)"), permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        count = self._each(request, queryset, services.survey_close)
        self.message_user(
            request, ngettext("%(count)d survey closed.", "%(count)d surveys closed.", count) % {"count": count}
        )

    @admin.action(description=_("Duplicate as a new draft"), permissions=["add"])
    def duplicate(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        copies = [services.survey_duplicate(survey=survey, by=request.user) for survey in queryset]
        count = len(copies)
        self.message_user(
            request, ngettext("%(count)d survey duplicated.", "%(count)d surveys duplicated.", count) % {"count": count}
        )

    def _each(self, request: HttpRequest, queryset: QuerySet[Survey], change: Any) -> int:
        """Apply a status change to each survey, reporting the ones that refuse it."""
        count = 0
        for survey in queryset:
            try:
                change(survey=survey)
                count += 1
            except ValidationError as error:
                self.message_user(request, f"{survey}: {' '.join(error.messages)}", level=messages.ERROR)
        return count

    def get_urls(self) -> list[Any]:
        custom = [
            path("from-template/", self.admin_site.admin_view(self.from_template), name="surveys_survey_from_template")
        ]
        return custom + super().get_urls()

    def from_template(self, request: HttpRequest) -> HttpResponse:
        """Create a draft survey from a one-click template, then open it for editing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TemplateChoiceForm(
            request.POST or None,
            teams=access.writable_teams(request.user, Survey, Action.ADD),
            team_required=not access.is_administrator(request.user),
        )
        if request.method == "POST" and form.is_valid():
            survey = services.survey_create_from_template(**form.cleaned_data, by=request.user)
            self.message_user(
                request, _("Created “%(name)s” as a draft. Review it, then publish.") % {"name": survey.name}
            )
            return HttpResponseRedirect(reverse("admin:surveys_survey_change", args=[survey.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("New survey from a template"),
        }
        return TemplateResponse(request, "admin/surveys/survey/from_template.html", context)
