"""Django admin for what came back: responses with every answer, read-only."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from feedback.models import Answer, SurveyResponse


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["question_text", "value_shown", "answered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["question__page", "question__position"]

    def has_add_permission(self, request: HttpRequest, obj: SurveyResponse | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Answer]:
        return super().get_queryset(request).select_related("question")

    @admin.display(description="question")
    def question_text(self, answer: Answer) -> str:
        return answer.question.text_en

    @admin.display(description="answer")
    def value_shown(self, answer: Answer) -> str:
        return answer.display_value()


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "survey", "contact", "score", "language", "status", "started_at", "completed_at"]
    list_filter = ["survey", "status", "language"]
    search_fields = ["contact__email", "contact__name", "answers__text"]
    date_hierarchy = "started_at"
    list_select_related = ["survey", "contact"]
    inlines = [AnswerInline]
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
