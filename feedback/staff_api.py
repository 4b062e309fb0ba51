"""REST endpoint for staff users: colleagues read the people of their teams, administrators manage them.

Passwords never appear (not even hashed); a new login sets its own by the reset link. Nobody
is deleted: deactivating keeps who did what in the records.
"""

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from feedback.models import StaffProfile
from feedback.staff import staff_create, staff_deactivate, staff_update
from surveys.access_api import ScopedFilterSet, ScopedViewSetMixin
from surveys.models import Membership, Role, Team

User = get_user_model()
PROFILE_FIELDS = ["manager", "language"]
USER_FIELDS = ["email", "first_name", "last_name"]


class StaffProfileSerializer(serializers.ModelSerializer):
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, is_staff=True), allow_null=True, required=False
    )

    class Meta:
        model = StaffProfile
        fields = PROFILE_FIELDS


class StaffMembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "team", "role"]
        read_only_fields = fields


class StaffSerializer(serializers.ModelSerializer):
    profile = StaffProfileSerializer(source="staff_profile", required=False, allow_null=True)
    memberships = StaffMembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            *USER_FIELDS,
            "is_active",
            "is_superuser",
            "last_login",
            "date_joined",
            "profile",
            "memberships",
        ]
        read_only_fields = ["id", "is_active", "is_superuser", "last_login", "date_joined", "memberships"]
        extra_kwargs = {"email": {"required": True, "allow_blank": False}}

    def validate_username(self, username: str) -> str:
        if self.instance is not None and username != self.instance.username:
            raise serializers.ValidationError(_("A username cannot change; the audit log names people by it."))
        return username

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        manager = (data.get("staff_profile") or {}).get("manager")
        if manager is not None and self.instance is not None and manager.pk == self.instance.pk:
            raise serializers.ValidationError({"profile": {"manager": [_("Nobody is their own manager.")]}})
        return data


class StaffFilter(ScopedFilterSet):
    team = django_filters.ModelChoiceFilter(field_name="memberships__team", queryset=Team.objects.all())
    role = django_filters.ChoiceFilter(field_name="memberships__role", choices=Role.choices)

    class Meta:
        model = User
        fields = ["is_active", "team", "role"]


class StaffViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Staff users with their profile and roles; administrators create, change and deactivate them."""

    serializer_class = StaffSerializer
    filterset_class = StaffFilter
    ordering_fields = ["username", "date_joined", "last_login"]
    action_permissions = {"deactivate": "change"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        users = User.objects.filter(is_staff=True).select_related("staff_profile")
        return users.prefetch_related("memberships").distinct().order_by("username", "pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        profile = data.pop("staff_profile", None) or {}
        serializer.instance = staff_create(username=data.pop("username"), fields=data, profile=profile)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("username", None)
        profile = data.pop("staff_profile", None)
        fields = {name: data[name] for name in USER_FIELDS if name in data}
        serializer.instance = staff_update(user=serializer.instance, fields=fields, profile=profile)

    @extend_schema(request=None, responses=StaffSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        """Stop this person logging in or calling the API; nothing they did is deleted."""
        user = staff_deactivate(user=self.get_object(), by=request.user, request=request)
        return Response(StaffSerializer(user, context=self.get_serializer_context()).data)
