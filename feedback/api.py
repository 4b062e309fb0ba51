"""REST endpoints for what came back: responses with their answers, read-only."""

import django_filters
from django.db.models import Prefetch, QuerySet
from rest_framework import viewsets

from feedback.models import Answer, SurveyResponse
from feedback.serializers import SurveyResponseSerializer


class SurveyResponseFilter(django_filters.FilterSet):
    completed_after = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="gte")
    completed_before = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="lt")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")

    class Meta:
        model = SurveyResponse
        fields = ["survey", "status", "language", "score"]


class SurveyResponseViewSet(viewsets.ReadOnlyModelViewSet):
    """Responses with every answer, filterable by survey, date, score, status and language."""

    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter
    ordering_fields = ["started_at", "completed_at", "score"]

    def get_queryset(self) -> QuerySet[SurveyResponse]:
        answers = Prefetch(
            "answers",
            queryset=Answer.objects.select_related("question").order_by("question__page", "question__position"),
        )
        return SurveyResponse.objects.prefetch_related(answers).order_by("-started_at", "-pk")
