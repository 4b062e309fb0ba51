"""API shapes of survey design. Serializers validate and shape; services write."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from surveys import access
from surveys.access_api import ScopedRelationsMixin
from surveys.distributions import distribution_audience_validate, distribution_figures
from surveys.models import AuditEvent, Distribution, Language, Question, Survey, Team
from surveys.services import QUESTION_FIELDS


class ChoiceSerializer(serializers.Serializer):
    value = serializers.SlugField(max_length=50)
    en = serializers.CharField(max_length=200)
    zh = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, required=False, default=list)
    show_if_values = serializers.ListField(
        child=serializers.SlugField(max_length=50), required=False, default=list, max_length=50
    )

    class Meta:
        model = Question
        fields = ["id", "version", *QUESTION_FIELDS]
        read_only_fields = ["id", "version"]
        # The (survey, version, key) uniqueness is checked by the service for the whole set.
        validators: list[Any] = []


class SurveySerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, required=False, source="current_questions")
    anonymous_url = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "team",
            "status",
            "version",
            "title_en",
            "title_zh",
            "intro_en",
            "intro_zh",
            "thank_you_en",
            "thank_you_zh",
            "anonymous_link_enabled",
            "anonymous_url",
            "touchpoint",
            "questions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "version", "anonymous_url", "created_at", "updated_at"]

    def get_anonymous_url(self, survey: Survey) -> str | None:
        return survey.anonymous_url() if survey.anonymous_link_enabled else None


class TemplateSerializer(serializers.Serializer):
    template = serializers.ChoiceField(choices=["nps", "csat", "ces", "enps"])
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None, help_text=_("The owning team.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["team"].queryset = access.writable_teams(request.user, Survey)


class DistributionFiguresSerializer(serializers.Serializer):
    audience = serializers.IntegerField()
    eligible = serializers.IntegerField()
    skipped = serializers.IntegerField()
    skipped_by_reason = serializers.DictField(child=serializers.IntegerField())
    sent = serializers.IntegerField()
    bounced = serializers.IntegerField()
    failed = serializers.IntegerField()
    opened = serializers.IntegerField()
    responded = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)


class DistributionSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    figures = serializers.SerializerMethodField()
    reminder_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=90), required=False, max_length=5
    )

    class Meta:
        model = Distribution
        fields = [
            "id",
            "name",
            "survey",
            "segment",
            "contacts",
            "status",
            "scheduled_at",
            "reminder_days",
            "created_at",
            "materialized_at",
            "finished_at",
            "figures",
        ]
        read_only_fields = ["id", "status", "created_at", "materialized_at", "finished_at", "figures"]

    @extend_schema_field(DistributionFiguresSerializer)
    def get_figures(self, distribution: Distribution) -> dict[str, Any]:
        return distribution_figures(distribution=distribution)

    def validate_reminder_days(self, days: list[int]) -> list[int]:
        if days != sorted(set(days)):
            raise serializers.ValidationError(_("Give each reminder day once, in increasing order."))
        return days

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        survey = data.get("survey", current.survey if current else None)
        segment = data.get("segment", current.segment if current else None)
        contacts = data["contacts"] if "contacts" in data else (list(current.contacts.all()) if current else [])
        if survey is not None:
            try:
                distribution_audience_validate(survey=survey, segment=segment, contacts=contacts)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict) from None
        return data


class ScheduleSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class SendContactSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, required=False, allow_null=True, default=None)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    attributes = serializers.DictField(required=False, default=dict)


class SurveySendSerializer(serializers.Serializer):
    contact = SendContactSerializer()
    delay_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30, required=False, default=0)
    idempotency_key = serializers.CharField(max_length=200)


class SurveySendResultSerializer(serializers.Serializer):
    invitation = serializers.IntegerField()
    contact = serializers.IntegerField()
    status = serializers.CharField()
    skip_reason = serializers.CharField(allow_blank=True)
    created = serializers.BooleanField()


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "target_type",
            "target_id",
            "details",
            "ip_address",
            "source",
        ]
        read_only_fields = fields
