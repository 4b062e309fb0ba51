"""API shapes of survey design. Serializers validate and shape; services write."""

from typing import Any

from rest_framework import serializers

from surveys.models import Question, Survey
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


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, required=False, source="current_questions")
    anonymous_url = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
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
