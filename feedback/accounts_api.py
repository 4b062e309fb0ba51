"""REST endpoints for accounts and their health: accounts (with health), at-risk list, health
history, current scores of accounts and contacts, health alerts, and the touchpoints list.
"""

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from feedback.health import selectors
from feedback.health.marks import health_mark_and_refresh
from feedback.models import AlertRule, HealthAlert, HealthBand, HealthHistory, HealthInput, HealthScore
from surveys import access
from surveys.access_api import ScopedFilterSet, ScopedRelationsMixin, ScopedViewSetMixin
from surveys.contacts_api import ACCOUNT_NAME_TAKEN, save_unique
from surveys.models import Account, Team, Touchpoint


class HealthInputSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=HealthInput.choices)
    label = serializers.CharField()
    weight = serializers.IntegerField(help_text=_("The most points this input can move the score, either way."))
    signal = serializers.FloatField(allow_null=True, help_text=_("-1 (worst) to +1 (best); null: nothing known."))
    points = serializers.FloatField(help_text=_("Points this input added (positive) or took away (negative)."))
    value = serializers.FloatField(allow_null=True, help_text=_("What it saw: a net score, %, a count or days."))
    n = serializers.IntegerField(allow_null=True)


class HealthScoreSerializer(serializers.ModelSerializer):
    inputs = serializers.SerializerMethodField()
    moved = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = HealthScore
        fields = [
            "id",
            "account",
            "contact",
            "score",
            "band",
            "change_30d",
            "computed_at",
            "changed_at",
            "inputs",
            "moved",
        ]
        read_only_fields = fields

    @extend_schema_field(HealthInputSerializer(many=True))
    def get_inputs(self, score: HealthScore) -> list[dict[str, Any]]:
        """Every input of the formula with the points it contributed."""
        fields = ("key", "label", "weight", "signal", "points", "value", "n")
        return [
            {name: str(row[name]) if name == "label" else row.get(name) for name in fields}
            for row in selectors.explained(score)
        ]


class AccountSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True), allow_null=True, required=False
    )
    contacts_count = serializers.IntegerField(read_only=True)
    health = HealthScoreSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "team",
            "name",
            "owner",
            "tier",
            "annual_revenue",
            "renewal_date",
            "attributes",
            "contacts_count",
            "health",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "contacts_count", "health", "created_at", "updated_at"]
        # Uniqueness (case-insensitive, within the team) is checked below with the wording of the race fallback.
        validators: list[Any] = []

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        team = data["team"] if "team" in data else (current.team if current else self._default_team())
        if "name" in data:
            data["name"] = data["name"].strip()
        name = data.get("name", current.name if current else "")
        others = Account.objects.filter(team=team) if team is not None else Account.objects.filter(team__isnull=True)
        if current is not None:
            others = others.exclude(pk=current.pk)
        if others.filter(name__iexact=name).exists():
            raise serializers.ValidationError({"name": [ACCOUNT_NAME_TAKEN]})
        data["team"] = team
        return data

    def _default_team(self) -> Team | None:
        request = self.context.get("request")
        if request is None:  # used from code, not over the API: no caller to take a team from
            return None
        try:
            return access.team_for_new(request.user, Account, chosen=None)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None

    def validate_attributes(self, attributes: Any) -> dict[str, Any]:
        if not isinstance(attributes, dict):
            raise serializers.ValidationError(_("Attributes must be an object of key: value pairs."))
        return attributes


class AccountFilter(ScopedFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    band = django_filters.ChoiceFilter(field_name="health__band", choices=HealthBand.choices)
    renewal_after = django_filters.DateFilter(field_name="renewal_date", lookup_expr="gte")
    renewal_before = django_filters.DateFilter(field_name="renewal_date", lookup_expr="lte")
    health_below = django_filters.NumberFilter(field_name="health__score", lookup_expr="lt")

    class Meta:
        model = Account
        fields = ["team", "tier", "owner"]


class AtRiskQuerySerializer(serializers.Serializer):
    sort = serializers.ChoiceField(choices=list(selectors.AT_RISK_SORTS), required=False, default="revenue")


class HealthHistoryQuerySerializer(serializers.Serializer):
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": [_("until must not be before since.")]})
        return data


class HealthHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = HealthHistory
        fields = ["day", "score", "band"]
        read_only_fields = fields


class AccountViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Accounts (companies) with their owner, tier, revenue, renewal date and current health.

    health explains itself: every input of the formula with the points it added or took away.
    """

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["name", "annual_revenue", "renewal_date", "health__score", "health__change_30d", "created_at"]
    action_permissions = {"at_risk": "view", "health_history": "view"}

    def get_queryset(self) -> QuerySet[Account]:
        return (
            Account.objects.select_related("health").annotate(contacts_count=Count("contacts")).order_by("name", "pk")
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        save_unique(serializer)
        health_mark_and_refresh(account_ids=[serializer.instance.pk])

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        save_unique(serializer)
        # A renewal date may bring a rule within reach; recompute (which also runs the rules).
        health_mark_and_refresh(account_ids=[serializer.instance.pk])

    @extend_schema(parameters=[AtRiskQuerySerializer], responses=AccountSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="at-risk", filterset_class=None)
    def at_risk(self, request: Request) -> Response:
        """Accounts at risk or critical, by revenue, tier, fastest decline or lowest health."""
        query = AtRiskQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        accounts = access.scope(selectors.accounts_at_risk(sort=query.validated_data["sort"]), request.user)
        accounts = accounts.annotate(contacts_count=Count("contacts"))
        page = self.paginate_queryset(accounts)
        return self.get_paginated_response(AccountSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(parameters=[HealthHistoryQuerySerializer], responses=HealthHistorySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="health-history", filterset_class=None)
    def health_history(self, request: Request, pk: str) -> Response:
        """The account's score at the end of each day it changed, oldest first."""
        account = self.get_object()
        query = HealthHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = HealthHistory.objects.filter(account=account).order_by("day")
        if "since" in query.validated_data:
            rows = rows.filter(day__gte=query.validated_data["since"])
        if "until" in query.validated_data:
            rows = rows.filter(day__lte=query.validated_data["until"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(HealthHistorySerializer(page, many=True).data)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The list filters and ordering apply to the list, not to the two actions above (scoped all the same).
        if self.action in ("at_risk", "health_history"):
            return access.scope(queryset, self.request.user)
        return super().filter_queryset(queryset)


class HealthScoreFilter(ScopedFilterSet):
    subject = django_filters.ChoiceFilter(
        choices=[("account", _("Accounts")), ("contact", _("Contacts"))], method="filter_subject"
    )

    class Meta:
        model = HealthScore
        fields = ["account", "contact", "band"]

    def filter_subject(self, queryset: QuerySet[HealthScore], name: str, value: str) -> QuerySet[HealthScore]:
        return queryset.filter(**{f"{value}__isnull": False})


class HealthScoreViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Current health of accounts and contacts, each input explained."""

    serializer_class = HealthScoreSerializer
    filterset_class = HealthScoreFilter
    ordering_fields = ["score", "change_30d", "computed_at"]

    def get_queryset(self) -> QuerySet[HealthScore]:
        return HealthScore.objects.order_by("score", "pk")


class HealthAlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    kind = serializers.ChoiceField(source="rule.kind", choices=AlertRule.Kind.choices, read_only=True)
    summary = serializers.CharField(read_only=True)
    follow_up = serializers.SerializerMethodField()

    class Meta:
        model = HealthAlert
        fields = [
            "id",
            "rule",
            "rule_name",
            "kind",
            "account",
            "period",
            "fired_at",
            "summary",
            "details",
            "follow_up",
            "attached_to",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_follow_up(self, alert: HealthAlert) -> int | None:
        """The proactive follow-up this alert opened, if it opened one (else see attached_to)."""
        follow_up = getattr(alert, "follow_up", None)
        return follow_up.pk if follow_up is not None else None


class HealthAlertFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(field_name="rule__kind", choices=AlertRule.Kind.choices)
    fired_after = django_filters.IsoDateTimeFilter(field_name="fired_at", lookup_expr="gte")
    fired_before = django_filters.IsoDateTimeFilter(field_name="fired_at", lookup_expr="lt")

    class Meta:
        model = HealthAlert
        fields = ["account", "rule"]


class HealthAlertViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Alerts that fired: which rule, for which account and period, and the follow-up they opened."""

    serializer_class = HealthAlertSerializer
    filterset_class = HealthAlertFilter
    ordering_fields = ["fired_at", "period"]

    def get_queryset(self) -> QuerySet[HealthAlert]:
        return HealthAlert.objects.select_related("rule", "follow_up").order_by("-fired_at", "-pk")


class TouchpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = Touchpoint
        fields = ["id", "key", "name", "name_zh", "position"]
        read_only_fields = ["id"]


class TouchpointViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Journey stages surveys can be about (onboarding, purchase, support, ...); metrics cut by them.

    A shared list: everyone with a role reads it, administrators edit it.
    """

    serializer_class = TouchpointSerializer
    filterset_fields = ["key"]
    ordering_fields = ["position", "name"]

    def get_queryset(self) -> QuerySet[Touchpoint]:
        return Touchpoint.objects.order_by("position", "pk")
