"""REST endpoint for routing rules: which responses need a follow-up, who owns it, how fast.

A rule about one survey belongs to that survey's team, whose managers edit it; a rule about
every survey belongs to administrators (surveys.access, the routing area).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from feedback.models import RoutingRule
from surveys import access
from surveys.access_api import ScopedRelationsMixin, ScopedViewSetMixin

RULE_FIELDS = ["id", "name", "position", "active", *RoutingRule.CONDITION_FIELDS, *RoutingRule.OUTCOME_FIELDS]
OTHER_TEAM = _("Choose one of the survey's team.")


class RoutingRuleSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    owner_user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True), allow_null=True, required=False
    )

    class Meta:
        model = RoutingRule
        fields = RULE_FIELDS
        read_only_fields = ["id"]
        extra_kwargs = {"escalate_every_hours": {"min_value": 1}}

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        rule = {name: data.get(name, getattr(self.instance or RoutingRule(), name)) for name in RULE_FIELDS[1:]}
        errors = self._owner_errors(rule) | self._team_errors(rule)
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def _owner_errors(self, rule: dict[str, Any]) -> dict[str, list[Any]]:
        mode, user, team = rule["owner_mode"], rule["owner_user"], rule["team"]
        if mode == RoutingRule.OwnerMode.USER and user is None:
            return {"owner_user": [_("Name the user who owns the follow-ups.")]}
        if mode == RoutingRule.OwnerMode.TEAM and team is None:
            return {"team": [_("Choose the team whose members take turns.")]}
        survey = rule["survey"]
        if user is not None and not access.can_own_follow_ups(user, team_id=survey.team_id if survey else None):
            return {"owner_user": [_("This person cannot own follow-ups of the survey's team.")]}
        return {}

    def _team_errors(self, rule: dict[str, Any]) -> dict[str, list[Any]]:
        survey = rule["survey"]
        request = self.context.get("request")
        if survey is None:
            if request is not None and not access.is_administrator(request.user):
                return {"survey": [_("Choose a survey: rules about every survey are for administrators.")]}
            return {}
        if survey.team_id is None:
            return {}
        return {
            name: [OTHER_TEAM]
            for name, row in (("segment", rule["segment"]), ("team", rule["team"]))
            if row is not None and getattr(row, "team_id", row.pk) != survey.team_id
        }


class RoutingRuleViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Ordered rules: the first active rule whose conditions all hold decides a response's follow-up."""

    serializer_class = RoutingRuleSerializer
    filterset_fields = ["active", "survey", "owner_mode", "team", "theme", "segment"]
    ordering_fields = ["position", "name"]

    def get_queryset(self) -> QuerySet[RoutingRule]:
        return RoutingRule.objects.order_by("position", "pk")
