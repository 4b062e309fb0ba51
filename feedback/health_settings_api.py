"""REST endpoints for the customer-health settings: the formula's weights and the alert rules.

Shared settings (surveys.access, the reference area): every staff role reads them,
administrators change them. The weights are a fixed set of inputs: changed, never added.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets

from feedback.health.weights import health_weight_set
from feedback.models import AlertRule, HealthWeight
from surveys.access_api import ScopedViewSetMixin
from surveys.api_common import ProtectedDestroyMixin

# Conditions that count something (points lost, unhappy answers): N must be at least 1.
COUNTED = (AlertRule.Kind.HEALTH_DROP, AlertRule.Kind.DETRACTORS)


class HealthWeightSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(read_only=True)

    class Meta:
        model = HealthWeight
        fields = ["id", "key", "points", "rule", "edited_at"]
        read_only_fields = ["id", "key", "rule", "edited_at"]


class HealthWeightViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """How many points each input of the health formula may move a score; changing one recomputes all."""

    serializer_class = HealthWeightSerializer
    filterset_fields = ["key"]
    ordering_fields = ["key", "points"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[HealthWeight]:
        return HealthWeight.objects.order_by("pk")

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        weight = serializer.instance
        points = serializer.validated_data.get("points", weight.points)
        serializer.instance = health_weight_set(weight=weight, points=points)


class AlertRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "kind",
            "active",
            "threshold",
            "days",
            "priority",
            "sla_hours",
            "calendar",
            "remind_before_hours",
            "escalate_every_hours",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"days": {"min_value": 1}, "escalate_every_hours": {"min_value": 1}}

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self.instance or AlertRule()
        kind, threshold = data.get("kind", current.kind), data.get("threshold", current.threshold)
        if kind in COUNTED and threshold < 1:
            raise serializers.ValidationError({"threshold": [_("This condition needs N of at least 1.")]})
        return data


class AlertRuleViewSet(ScopedViewSetMixin, ProtectedDestroyMixin, viewsets.ModelViewSet):
    """Conditions on an account that open a proactive follow-up for its owner, once per period."""

    serializer_class = AlertRuleSerializer
    filterset_fields = ["kind", "active"]
    ordering_fields = ["name", "kind"]

    def get_queryset(self) -> QuerySet[AlertRule]:
        return AlertRule.objects.order_by("pk")
