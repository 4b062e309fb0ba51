"""The API tokens endpoint: administrators make, list and revoke tokens (authentication: surveys.token_auth)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from surveys import tokens
from surveys.access_api import ScopedRelationsMixin, ScopedViewSetMixin
from surveys.models import ApiToken


class ApiTokenSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    """A token as lists show it: never its secret, which is not stored."""

    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True, is_staff=True))

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "user",
            "prefix",
            "created_by",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = ["id", "prefix", "created_by", "created_at", "last_used_at", "revoked_at", "revoked_by"]


class IssuedApiTokenSerializer(ApiTokenSerializer):
    """A token just made, with its whole text: shown in this one answer and never again."""

    token = serializers.CharField(read_only=True, help_text=_("The whole token. Store it now: it is not shown again."))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class ApiTokenViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """API tokens (administrators only): made, listed and revoked; a token's secret never changes."""

    serializer_class = ApiTokenSerializer
    filterset_fields = ["user"]
    ordering_fields = ["created_at", "last_used_at", "expires_at", "name"]
    action_permissions = {"revoke": "change"}
    throttle_scopes = {"create": "api_tokens", "revoke": "api_tokens"}

    def get_queryset(self) -> QuerySet[ApiToken]:
        return ApiToken.objects.order_by("-created_at", "-pk")

    @extend_schema(request=ApiTokenSerializer, responses={201: IssuedApiTokenSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Make a token acting as a staff member; the answer holds its secret, shown this once."""
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        issued = tokens.api_token_issue(
            user=data["user"], name=data["name"], expires_at=data.get("expires_at"), by=request.user, request=request
        )
        answer = IssuedApiTokenSerializer(issued.token, context={"request": request}).data
        return Response({**answer, "token": issued.text}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        """Revoke the token for good; revoking it again changes nothing."""
        token = tokens.api_token_revoke(token=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(token).data)
