"""REST endpoints for survey design: CRUD with questions, templates, publish and close."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from surveys import services
from surveys.models import Survey
from surveys.serializers import SurveySerializer, TemplateSerializer
from surveys.services import SURVEY_CONTENT_FIELDS


class SurveyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Surveys with the questions of their current version."""

    serializer_class = SurveySerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self) -> QuerySet[Survey]:
        return Survey.objects.all().order_by("-created_at", "-pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.survey_create(
            name=data["name"],
            content=_content(data),
            questions=data.get("current_questions", []),
            by=self.request.user,
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        survey = serializer.instance
        Survey.objects.filter(pk=survey.pk).update(
            **_content(data), **({"name": data["name"]} if "name" in data else {})
        )
        if "current_questions" in data:
            services.survey_questions_replace(survey=survey, questions=data["current_questions"])
        survey.refresh_from_db()

    def perform_destroy(self, instance: Survey) -> None:
        services.survey_delete(survey=instance)

    @extend_schema(request=TemplateSerializer, responses={201: SurveySerializer})
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request: Request) -> Response:
        """Create a draft survey from a one-click template."""
        form = TemplateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        survey = services.survey_create_from_template(**form.validated_data, by=request.user)
        return Response(SurveySerializer(survey, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SurveySerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Open the survey for answers."""
        survey = services.survey_publish(survey=self.get_object())
        return Response(SurveySerializer(survey, context={"request": request}).data)

    @extend_schema(request=None, responses=SurveySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Stop accepting answers."""
        survey = services.survey_close(survey=self.get_object())
        return Response(SurveySerializer(survey, context={"request": request}).data)

    @extend_schema(request=None, responses={201: SurveySerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, pk: str) -> Response:
        """Copy the survey into a new draft."""
        survey = services.survey_duplicate(survey=self.get_object(), by=request.user)
        return Response(SurveySerializer(survey, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _content(data: dict[str, Any]) -> dict[str, Any]:
    keys = [*SURVEY_CONTENT_FIELDS, "anonymous_link_enabled"]
    return {key: data[key] for key in keys if key in data}
