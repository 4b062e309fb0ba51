"""REST endpoints for survey design and distribution, and the audit log (administrators)."""

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from surveys import access, distributions, services
from surveys.access_api import ScopedViewSetMixin
from surveys.models import AuditEvent, Distribution, Survey
from surveys.serializers import (
    AuditEventSerializer,
    DistributionSerializer,
    ScheduleSerializer,
    SurveySendResultSerializer,
    SurveySendSerializer,
    SurveySerializer,
    TemplateSerializer,
)
from surveys.services import SURVEY_CONTENT_FIELDS


class SurveyViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Surveys with the questions of their current version."""

    serializer_class = SurveySerializer
    filterset_fields = ["status", "team", "touchpoint"]
    ordering_fields = ["created_at", "name"]
    action_permissions = {
        "from_template": "add",
        "publish": "change",
        "close": "change",
        "duplicate": "add",
        "send": "change",
    }

    def get_queryset(self) -> QuerySet[Survey]:
        return Survey.objects.all().order_by("-created_at", "-pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.survey_create(
            name=data["name"],
            content=_content(data),
            questions=data.get("current_questions", []),
            by=self.request.user,
            team=access.team_for_new(self.request.user, Survey, chosen=data.get("team")),
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        survey = serializer.instance
        changes = {key: data[key] for key in ["name", "team"] if key in data}
        if "team" in changes and changes["team"] is None and not access.is_administrator(self.request.user):
            raise serializers.ValidationError({"team": [_("Only administrators may leave a survey without a team.")]})
        Survey.objects.filter(pk=survey.pk).update(**_content(data), **changes)
        if "current_questions" in data:
            services.survey_questions_replace(survey=survey, questions=data["current_questions"])
        survey.refresh_from_db()

    def perform_destroy(self, instance: Survey) -> None:
        services.survey_delete(survey=instance)

    @extend_schema(request=TemplateSerializer, responses={201: SurveySerializer})
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request: Request) -> Response:
        """Create a draft survey from a one-click template."""
        form = TemplateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        team = access.team_for_new(request.user, Survey, chosen=data.pop("team", None))
        survey = services.survey_create_from_template(**data, by=request.user, team=team)
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

    @extend_schema(
        request=SurveySendSerializer, responses={201: SurveySendResultSerializer, 200: SurveySendResultSerializer}
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str) -> Response:
        """Send this survey to one contact (created if new) now or after a delay; idempotent per key.

        For events such as "support ticket closed". Repeating a key returns the first result (200).
        """
        form = SurveySendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        invitation, created = distributions.survey_send_to_contact(
            survey=self.get_object(),
            idempotency_key=data["idempotency_key"],
            delay=timedelta(minutes=data["delay_minutes"]),
            **data["contact"],
        )
        result = {
            "invitation": invitation.pk,
            "contact": invitation.contact_id,
            "status": invitation.status,
            "skip_reason": invitation.skip_reason,
            "created": created,
        }
        return Response(result, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DistributionViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Distributions of a survey to a segment or a list, with their figures."""

    serializer_class = DistributionSerializer
    filterset_fields = ["status", "survey"]
    ordering_fields = ["created_at", "scheduled_at"]
    action_permissions = {"schedule": "change", "pause": "change", "resume": "change", "cancel": "change"}

    def get_queryset(self) -> QuerySet[Distribution]:
        return Distribution.objects.select_related("survey").order_by("-created_at", "-pk")

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        if serializer.instance.status != Distribution.Status.DRAFT:
            raise serializers.ValidationError({"status": ["Only a draft distribution can be edited."]})
        serializer.save()

    def perform_destroy(self, instance: Distribution) -> None:
        if instance.status != Distribution.Status.DRAFT:
            raise serializers.ValidationError({"status": ["Only a draft distribution can be deleted; cancel it."]})
        instance.delete()

    def _respond(self, request: Request, distribution: Distribution) -> Response:
        distribution.refresh_from_db()
        return Response(DistributionSerializer(distribution, context={"request": request}).data)

    @extend_schema(request=ScheduleSerializer, responses=DistributionSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str) -> Response:
        """Send at the given time (or now)."""
        form = ScheduleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        distribution = distributions.distribution_schedule(distribution=self.get_object(), at=form.validated_data["at"])
        return self._respond(request, distribution)

    @extend_schema(request=None, responses=DistributionSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        """Stop sending until resumed."""
        return self._respond(request, distributions.distribution_pause(distribution=self.get_object()))

    @extend_schema(request=None, responses=DistributionSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        """Continue a paused distribution."""
        return self._respond(request, distributions.distribution_resume(distribution=self.get_object()))

    @extend_schema(request=None, responses=DistributionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel for good; waiting emails are recorded as skipped."""
        return self._respond(request, distributions.distribution_cancel(distribution=self.get_object()))


def _content(data: dict[str, Any]) -> dict[str, Any]:
    keys = [*SURVEY_CONTENT_FIELDS, "anonymous_link_enabled", "touchpoint"]
    return {key: data[key] for key in keys if key in data}


class AuditEventViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The audit log of sensitive actions, newest first; administrators only."""

    serializer_class = AuditEventSerializer
    filterset_fields = ["action", "actor", "source", "target_type", "target_id"]
    ordering_fields = ["at"]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.order_by("-at", "-pk")
