"""REST endpoints for complaint digests: a team's subscriptions (managers and designers edit them) and
the deliveries sent for them (read-only). No customer data: designers use both.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from feedback.models import DigestDelivery, DigestSubscription
from surveys import access
from surveys.access import Action, Area
from surveys.access_api import ScopedRelationsMixin, ScopedViewSetMixin
from surveys.models import Language, Segment, Team


class DigestSubscriptionSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    answer_languages = serializers.ListField(
        child=serializers.ChoiceField(choices=Language.choices), required=False, max_length=len(Language.choices)
    )

    class Meta:
        model = DigestSubscription
        fields = ["id", *DigestSubscription.EDITABLE_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            # Designers see no surveys or contacts, yet choose which surveys and segment a digest covers.
            ids = access.team_ids(request.user, Area.DIGESTS, Action.CHANGE)
            fields["surveys"].child_relation.queryset = access.surveys_for(request.user, Area.DIGESTS, Action.CHANGE)
            segments = Segment.objects.all()
            fields["segment"].queryset = segments if ids is None else segments.filter(team_id__in=ids)
        return fields

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        team = data.get("team", current.team if current else None)
        if team is None and (current is None or "team" in data):
            team = self._default_team()  # only administrators may leave a subscription without a team
        data["team"] = team
        errors: dict[str, list[Any]] = {}
        if not data.get("user", getattr(current, "user", None)) and not data.get(
            "email", getattr(current, "email", "")
        ):
            errors["email"] = [_("Name a staff user or give an outside address.")]
        surveys = data["surveys"] if "surveys" in data else (current.surveys.all() if current else [])
        segment = data.get("segment", getattr(current, "segment", None))
        mismatches = DigestSubscription.team_mismatches(team=team, surveys=surveys, segment=segment)
        errors |= {field: [message] for field, message in mismatches.items()}
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def _default_team(self) -> Team | None:
        request = self.context.get("request")
        if request is None:
            return None
        try:
            return access.team_for_new(request.user, DigestSubscription, chosen=None)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None


class DigestSubscriptionViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Who gets a complaint digest, how often, in which language and about which surveys."""

    serializer_class = DigestSubscriptionSerializer
    filterset_fields = ["team", "cadence", "language", "active", "user"]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self) -> QuerySet[DigestSubscription]:
        return DigestSubscription.objects.prefetch_related("surveys", "themes", "touchpoints").order_by(
            "-created_at", "-pk"
        )


class DigestDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = DigestDelivery
        # Not the last error: a mail server's answer may quote the recipient's address.
        fields = ["id", "subscription", "period_start", "period_end", "status", "sent_at", "attempts", "content"]
        read_only_fields = fields


class DigestDeliveryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Each digest sent (or found empty) for a subscription and period, with what it said."""

    serializer_class = DigestDeliverySerializer
    filterset_fields = ["subscription", "status", "period_start"]
    ordering_fields = ["period_start", "sent_at"]

    def get_queryset(self) -> QuerySet[DigestDelivery]:
        return DigestDelivery.objects.order_by("-period_start", "-pk")
