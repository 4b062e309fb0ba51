"""REST endpoints for what came back: responses with their answers, read-only."""

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import dashboard, metrics
from feedback.models import Answer, SurveyResponse, Theme
from feedback.serializers import SurveyResponseSerializer
from surveys.models import Language, Segment, Survey


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


class MetricsQuerySerializer(serializers.Serializer):
    survey = serializers.PrimaryKeyRelatedField(queryset=Survey.objects.all(), required=False)
    period = serializers.ChoiceField(choices=list(metrics.PERIODS), required=False, default="month")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    segment = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all(), required=False)
    theme = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all(), required=False)
    periods = serializers.IntegerField(min_value=1, max_value=120, required=False, default=12)


class MetricsView(APIView):
    """NPS, CSAT, CES and response rate by period, each with n and its 95% interval.

    Also the change of the last period against the one before (and whether it is beyond
    noise), the response funnel, the NPS score distribution and top detractor themes.
    """

    @extend_schema(parameters=[MetricsQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = metrics.MetricFilters(
            survey_id=data["survey"].pk if "survey" in data else None,
            since=data.get("since"),
            until=data.get("until"),
            language=data.get("language"),
            segment=data.get("segment"),
            theme_id=data["theme"].pk if "theme" in data else None,
        )
        return Response(dashboard.metrics_overview(filters=filters, period=data["period"], periods=data["periods"]))
