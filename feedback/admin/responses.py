"""Django admin for what came back: the feedback inbox, answers with their analysis, themes."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from feedback import export, rollups, tagging
from feedback.models import Answer, AnswerTheme, Sentiment, SurveyResponse, Theme
from feedback.routing import unhappy_responses
from surveys import access, segments
from surveys.admin.scoped import ScopedAdmin, ScopedInline
from surveys.audit import Action, audit_record
from surveys.models import Question, Segment

# The unhappy, middle and happy answers of each scored question kind.
SCORE_GROUPS = {
    "detractor": Q(question__kind=Question.Kind.NPS, number__lte=6)
    | Q(question__kind=Question.Kind.CSAT, number__lte=2)
    | Q(question__kind=Question.Kind.CES, number__lte=3),
    "passive": Q(question__kind=Question.Kind.NPS, number__in=[7, 8])
    | Q(question__kind=Question.Kind.CSAT, number=3)
    | Q(question__kind=Question.Kind.CES, number=4),
    "promoter": Q(question__kind=Question.Kind.NPS, number__gte=9)
    | Q(question__kind=Question.Kind.CSAT, number__gte=4)
    | Q(question__kind=Question.Kind.CES, number__gte=5),
}


class ScoreGroupFilter(admin.SimpleListFilter):
    title = _("score group")
    parameter_name = "score_group"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("detractor", _("Unhappy (NPS 0-6, CSAT 1-2, CES 1-3)")),
            ("passive", _("Neutral (NPS 7-8, CSAT 3, CES 4)")),
            ("promoter", _("Happy (NPS 9-10, CSAT 4-5, CES 5-7)")),
            ("complaint", _("Complaints (unhappy score or negative text)")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
        if self.value() == "complaint":
            return unhappy_responses(queryset)
        if self.value() not in SCORE_GROUPS:
            return queryset
        first_scored = Answer.objects.filter(SCORE_GROUPS[self.value()], response=OuterRef("pk"))
        return queryset.filter(Exists(first_scored))


class SentimentFilter(admin.SimpleListFilter):
    title = _("sentiment")
    parameter_name = "sentiment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Sentiment.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
        if self.value() not in Sentiment.values:
            return queryset
        return queryset.filter(Exists(Answer.objects.filter(response=OuterRef("pk"), sentiment=self.value())))


class ThemeFilter(admin.SimpleListFilter):
    title = _("theme")
    parameter_name = "theme"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(theme.pk), theme.name) for theme in Theme.objects.filter(merged_into__isnull=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
        if not (self.value() or "").isdigit():
            return queryset
        tagged = AnswerTheme.objects.filter(answer__response=OuterRef("pk"), theme_id=int(self.value()))
        return queryset.filter(Exists(tagged))


class SegmentFilter(admin.SimpleListFilter):
    title = _("segment")
    parameter_name = "segment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(segment.pk), segment.name) for segment in access.scope(Segment.objects.all(), request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
        segments_seen = access.scope(Segment.objects.all(), request.user)
        segment = segments_seen.filter(pk=self.value()).first() if (self.value() or "").isdigit() else None
        if segment is None:
            return queryset
        return queryset.filter(contact__in=segments.segment_contacts(segment=segment).values("pk"))


class AnswerInline(ScopedInline, admin.TabularInline):
    model = Answer
    fields = ["question_text", "value_shown", "sentiment", "polarity", "theme_names", "key_phrases", "answered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["question__page", "question__position"]

    def has_add_permission(self, request: HttpRequest, obj: SurveyResponse | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Answer]:
        return super().get_queryset(request).select_related("question").prefetch_related("themes")

    @admin.display(description=_("question"))
    def question_text(self, answer: Answer) -> str:
        return answer.question.text_en

    @admin.display(description=_("answer"))
    def value_shown(self, answer: Answer) -> str:
        return answer.display_value()

    @admin.display(description=_("themes"))
    def theme_names(self, answer: Answer) -> str:
        return ", ".join(theme.name for theme in answer.themes.all())


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ScopedAdmin):
    list_display = ["id", "survey", "contact", "score", "language", "status", "completed_at"]
    list_filter = [
        "survey",
        ScoreGroupFilter,
        SentimentFilter,
        ThemeFilter,
        "language",
        SegmentFilter,
        "follow_up__status",
        "status",
        "completed_at",
    ]
    search_fields = ["contact__email", "contact__name", "answers__text"]
    date_hierarchy = "started_at"
    list_select_related = ["survey", "contact"]
    inlines = [AnswerInline]
    actions = ["export_csv"]
    readonly_fields = [
        "survey",
        "survey_version",
        "contact",
        "language",
        "status",
        "current_page",
        "score",
        "started_at",
        "updated_at",
        "completed_at",
    ]
    exclude = ["invitation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SurveyResponse | None = None) -> bool:
        return False

    @admin.action(description=_("Export the selected responses as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[SurveyResponse]) -> StreamingHttpResponse:
        details = {
            "responses": queryset.count(),
            "survey_ids": sorted(queryset.order_by().values_list("survey_id", flat=True).distinct()),
            "format": "csv",
        }
        audit_record(
            actor=request.user, action=Action.RESPONSES_EXPORTED, target=None, request=request, details=details
        )
        rows = export.response_export_rows(queryset)
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="responses.csv"'
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield export.BOM
    for row in rows:
        yield writer.writerow(row)


class AnswerThemeInline(ScopedInline, admin.TabularInline):
    model = AnswerTheme
    fields = ["theme", "source", "tagged_by", "created_at"]
    readonly_fields = ["source", "tagged_by", "created_at"]
    extra = 1


@admin.register(Answer)
class AnswerAdmin(ScopedAdmin):
    """Free-text answers with their analysis; staff tag themes by hand here."""

    list_display = ["text", "sentiment", "polarity", "text_language", "answered_at"]
    list_filter = ["sentiment", "text_language", "themes"]
    search_fields = ["text"]
    readonly_fields = ["response", "question", "text", "text_language", "polarity", "sentiment", "key_phrases"]
    readonly_fields += ["analyser", "analysed_at"]
    fields = readonly_fields
    inlines = [AnswerThemeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Answer]:
        return super().get_queryset(request).free_text().select_related("question")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for instance in formset.save(commit=False):
            if instance.pk is None:
                instance.source, instance.tagged_by = AnswerTheme.Source.MANUAL, request.user
            instance.save()
        for removed in formset.deleted_objects:
            removed.delete()
        rollups.rollup_mark_responses(response_ids=[form.instance.response_id])


@admin.register(Theme)
class ThemeAdmin(ScopedAdmin):
    list_display = ["name", "name_zh", "keywords", "merged_into"]
    list_filter = [("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["name", "name_zh"]
    actions = ["apply_keywords", "merge"]

    @admin.action(description=_("Apply keywords to past answers"), permissions=["change"])
    def apply_keywords(self, request: HttpRequest, queryset: QuerySet[Theme]) -> None:
        caught = sum(tagging.theme_apply_keywords(theme=theme) for theme in queryset)
        self.message_user(request, _("%(count)d answers tagged.") % {"count": caught})

    @admin.action(description=_("Merge the selected themes into the first one"), permissions=["change"])
    def merge(self, request: HttpRequest, queryset: QuerySet[Theme]) -> None:
        themes = list(queryset.order_by("pk"))
        if len(themes) < 2:
            self.message_user(request, _("Select at least two themes to merge."), level=messages.WARNING)
            return
        for theme in themes[1:]:
            tagging.theme_merge(theme=theme, into=themes[0])
        self.message_user(request, _("Merged into %(name)s.") % {"name": themes[0].name})
