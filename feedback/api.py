"""REST endpoints for what came back: responses with their answers, read-only."""

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import dashboard, loop, metrics
from feedback.models import Answer, FollowUp, SurveyResponse, Theme
from feedback.serializers import (
    FollowUpAssignSerializer,
    FollowUpNoteSerializer,
    FollowUpReasonSerializer,
    FollowUpResolveSerializer,
    FollowUpSerializer,
    SurveyResponseSerializer,
)
from surveys import access
from surveys.access import Area
from surveys.access_api import RolePermission, ScopedFilterSet, ScopedViewSetMixin
from surveys.models import Language, Segment, Survey, Touchpoint


class SurveyResponseFilter(ScopedFilterSet):
    completed_after = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="gte")
    completed_before = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="lt")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")

    class Meta:
        model = SurveyResponse
        fields = ["survey", "status", "language", "score"]


class SurveyResponseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
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
    touchpoint = serializers.PrimaryKeyRelatedField(queryset=Touchpoint.objects.all(), required=False)
    periods = serializers.IntegerField(min_value=1, max_value=120, required=False, default=12)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is None:  # the schema generator describes the fields without a caller
            return
        # Surveys and segments of the caller's teams only: another team's id is a 400.
        self.fields["survey"].queryset = access.surveys_for(user, Area.METRICS)
        team_ids = access.team_ids(user, Area.METRICS)
        segments = Segment.objects.all() if team_ids is None else Segment.objects.filter(team_id__in=team_ids)
        self.fields["segment"].queryset = segments


class MetricsView(APIView):
    """NPS, CSAT, CES and response rate by period, each with n and its 95% interval.

    Also the change of the last period against the one before (and whether it is beyond
    noise), the response funnel, the NPS score distribution, top detractor themes, closed-loop
    figures, and NPS / CSAT / CES per touchpoint side by side with the weakest stage named.
    """

    permission_classes = [RolePermission]
    access_area = Area.METRICS

    @extend_schema(parameters=[MetricsQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params, user=request.user)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = metrics.MetricFilters(
            survey_id=data["survey"].pk if "survey" in data else None,
            survey_ids=dashboard.metric_survey_ids(request.user),
            since=data.get("since"),
            until=data.get("until"),
            language=data.get("language"),
            segment=data.get("segment"),
            theme_id=data["theme"].pk if "theme" in data else None,
            touchpoint_id=data["touchpoint"].pk if "touchpoint" in data else None,
        )
        return Response(dashboard.metrics_overview(filters=filters, period=data["period"], periods=data["periods"]))


class FollowUpViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Follow-ups with their event timeline; actions assign, start, note, resolve, reopen.

    Agents see and work their own follow-ups; managers their team's. A follow-up comes from a
    response (response, survey and contact set) or, proactively, from a health alert (alert and
    account set, no response).
    """

    serializer_class = FollowUpSerializer
    filterset_fields = ["status", "priority", "owner", "team", "survey", "root_cause", "account", "alert"]
    ordering_fields = ["due_at", "created_at", "priority"]
    action_permissions = {
        "assign": "assign",
        "start": "change",
        "note": "change",
        "resolve": "change",
        "reopen": "change",
    }

    def get_queryset(self) -> QuerySet[FollowUp]:
        return FollowUp.objects.select_related("owner").prefetch_related("events__actor").order_by("due_at", "pk")

    def _respond(self, request: Request, follow_up: FollowUp) -> Response:
        follow_up = self.get_queryset().get(pk=follow_up.pk)
        return Response(FollowUpSerializer(follow_up, context={"request": request}).data)

    def _form(self, serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict:
        form = serializer_class(data=request.data, **kwargs)
        form.is_valid(raise_exception=True)
        return form.validated_data

    @extend_schema(request=FollowUpAssignSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Give the follow-up to a manager or agent of its survey's team; they are told by email."""
        follow_up = self.get_object()
        owners = access.follow_up_owners(team_id=access.team_of(follow_up))
        data = self._form(FollowUpAssignSerializer, request, owners=owners)
        follow_up = loop.follow_up_assign(
            follow_up=follow_up, to=data["owner"], by=request.user, note=data["note"], request=request
        )
        return self._respond(request, follow_up)

    @extend_schema(request=FollowUpReasonSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        """Start working on it."""
        data = self._form(FollowUpReasonSerializer, request)
        return self._respond(
            request, loop.follow_up_start(follow_up=self.get_object(), by=request.user, note=data["note"])
        )

    @extend_schema(request=FollowUpNoteSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str) -> Response:
        """Log a note or a call."""
        data = self._form(FollowUpNoteSerializer, request)
        follow_up = self.get_object()
        loop.follow_up_log(follow_up=follow_up, by=request.user, kind=data["kind"], text=data["text"])
        return self._respond(request, follow_up)

    @extend_schema(request=FollowUpResolveSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Resolve with a root cause and a note; optionally tell the customer."""
        data = self._form(FollowUpResolveSerializer, request)
        follow_up = loop.follow_up_resolve(follow_up=self.get_object(), by=request.user, **data)
        return self._respond(request, follow_up)

    @extend_schema(request=FollowUpReasonSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        """Reopen a resolved or closed follow-up (a reason is required)."""
        data = self._form(FollowUpReasonSerializer, request)
        return self._respond(
            request, loop.follow_up_reopen(follow_up=self.get_object(), by=request.user, note=data["note"])
        )
