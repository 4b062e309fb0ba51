"""API shapes of responses and answers (read-only)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from rest_framework import serializers

from feedback.models import Answer, FollowUp, FollowUpEvent, RootCause, SurveyResponse


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


class FollowUpEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None, read_only=True)

    class Meta:
        model = FollowUpEvent
        fields = ["at", "actor", "kind", "from_value", "to_value", "note"]


class FollowUpSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    events = FollowUpEventSerializer(many=True, read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "response",
            "alert",
            "survey",
            "contact",
            "account",
            "status",
            "priority",
            "owner",
            "team",
            "due_at",
            "escalation_level",
            "first_action_at",
            "resolved_at",
            "root_cause",
            "resolution_note",
            "shared_note",
            "created_at",
            "events",
        ]
        read_only_fields = fields


class FollowUpAssignSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True, is_staff=True))
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args: Any, owners: QuerySet[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is not None:
            # The follow-up's possible owners: anyone else is "not found", whoever they are.
            self.fields["owner"].queryset = owners


class FollowUpNoteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["note", "call"], default="note")
    text = serializers.CharField()


class FollowUpResolveSerializer(serializers.Serializer):
    root_cause = serializers.PrimaryKeyRelatedField(queryset=RootCause.objects.filter(active=True))
    note = serializers.CharField()
    shared_note = serializers.CharField(required=False, allow_blank=True, default="")
    tell_customer = serializers.BooleanField(required=False, default=False)


class FollowUpReasonSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
