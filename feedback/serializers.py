"""API shapes of responses and answers (read-only)."""

from rest_framework import serializers

from feedback.models import Answer, SurveyResponse


class AnswerSerializer(serializers.ModelSerializer):
    question_key = serializers.CharField(source="question.key", read_only=True)
    question_kind = serializers.CharField(source="question.kind", read_only=True)
    question_text = serializers.CharField(source="question.text_en", read_only=True)
    question_text_zh = serializers.CharField(source="question.text_zh", read_only=True)

    class Meta:
        model = Answer
        fields = [
            "question",
            "question_key",
            "question_kind",
            "question_text",
            "question_text_zh",
            "number",
            "text",
            "choices",
            "answered_at",
        ]


class SurveyResponseSerializer(serializers.ModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey",
            "survey_version",
            "contact",
            "language",
            "status",
            "score",
            "started_at",
            "updated_at",
            "completed_at",
            "answers",
        ]
