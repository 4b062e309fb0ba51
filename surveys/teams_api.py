"""REST endpoints for teams and roles: administrators manage both, members read their own team.

Roles change only through surveys.memberships, so every grant, change and revocation made
over the API is in the audit log, as it is from the admin.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from surveys.access_api import ScopedRelationsMixin, ScopedViewSetMixin
from surveys.api_common import ProtectedDestroyMixin
from surveys.memberships import membership_grant, membership_revoke
from surveys.models import Membership, Role, Team

FIXED_ON_CHANGE = _("A membership's person and team are fixed: revoke it and grant a new one.")


class TeamSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    lead = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True), allow_null=True, required=False
    )
    members_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "lead", "members_count"]
        read_only_fields = ["id", "members_count"]


class TeamViewSet(ScopedViewSetMixin, ProtectedDestroyMixin, viewsets.ModelViewSet):
    """Teams own surveys and so their customers and feedback; a team with surveys or contacts stays."""

    serializer_class = TeamSerializer
    filterset_fields = ["lead"]
    ordering_fields = ["name", "members_count"]

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.annotate(members_count=Count("memberships")).order_by("name", "pk")


class MembershipSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))

    class Meta:
        model = Membership
        fields = ["id", "user", "team", "role", "created_at"]
        read_only_fields = ["id", "created_at"]
        # One role per person and team: granting again changes the role (the service decides).
        validators: list[Any] = []

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        if current is not None:
            moved = {
                name: [FIXED_ON_CHANGE]
                for name in ("user", "team")
                if name in data and getattr(data[name], "pk", None) != getattr(current, f"{name}_id")
            }
            if moved:
                raise serializers.ValidationError(moved)
        return data


class MembershipViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Who holds which role in which team (administrators have no team); administrators only.

    Creating grants a role (or changes the person's role in that team), changing sets another
    role, deleting revokes it; each is written to the audit log.
    """

    serializer_class = MembershipSerializer
    filterset_fields = ["user", "team", "role"]
    ordering_fields = ["created_at", "role"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.select_related("user", "team").order_by("-created_at", "-pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = membership_grant(
            user=data["user"],
            team=data.get("team"),
            role=data.get("role", Role.AGENT),
            by=self.request.user,
            request=self.request,
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        current = serializer.instance
        role = serializer.validated_data.get("role", current.role)
        serializer.instance = membership_grant(
            user=current.user, team=current.team, role=role, by=self.request.user, request=self.request
        )

    def perform_destroy(self, instance: Membership) -> None:
        membership_revoke(membership=instance, by=self.request.user, request=self.request)
