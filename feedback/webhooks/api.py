"""REST endpoints for webhooks: a team's subscriptions, and the messages sent with every attempt.

Administrators and the team's managers manage them; nobody else sees them. A secret is in the
answer of the request that made it (create, rotate-secret) and never again.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from feedback.models import SUBSCRIBABLE_EVENTS, WebhookAttempt, WebhookMessage, WebhookSubscription
from feedback.webhooks import services
from surveys.access_api import ScopedRelationsMixin, ScopedViewSetMixin

# What the service keeps up to date; a caller reads it and never writes it.
STATE_FIELDS = [
    "active",
    "disabled_at",
    "disabled_reason",
    "consecutive_failures",
    "previous_secret_until",
    "created_at",
]


class WebhookSubscriptionSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS), allow_empty=False)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "team", "url", "description", "events", "include_personal_data", *STATE_FIELDS]
        read_only_fields = STATE_FIELDS

    def validate_url(self, value: str) -> str:
        return _field_checked(services.webhook_url_check, value, "url")

    def validate_events(self, value: list[str]) -> list[str]:
        return _field_checked(services.webhook_events_check, value, "events")


def _field_checked(check: Any, value: Any, field: str) -> Any:
    """A service's check as a serializer field's validation (its message, on this field)."""
    try:
        return check(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.message_dict[field]) from None


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text=_("The signing secret (whsec_...): shown in this answer only."))
    previous_secret_until = serializers.DateTimeField(allow_null=True)


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text=_("The signing secret (whsec_...): shown only now."))

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "error", "duration_ms", "response_excerpt"]


class WebhookMessageSerializer(serializers.ModelSerializer):
    log = WebhookAttemptSerializer(source="attempt_log", many=True, read_only=True)

    class Meta:
        model = WebhookMessage
        fields = [
            "id",
            "subscription",
            "event",
            "msg_id",
            "body",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "log",
        ]


class WebhookSubscriptionViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """A team's webhook subscriptions; actions rotate-secret, enable and test."""

    serializer_class = WebhookSubscriptionSerializer
    filterset_fields = ["team", "active"]
    ordering_fields = ["created_at", "url"]
    action_permissions = {"rotate_secret": "change", "enable": "change", "test": "change"}

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.order_by("pk")

    @extend_schema(responses={201: WebhookSubscriptionCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        subscription, secret = services.webhook_subscription_create(**form.validated_data, by=request.user)
        answer = WebhookSubscriptionSerializer(subscription, context=self.get_serializer_context()).data
        return Response({**answer, "secret": secret}, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.webhook_subscription_update(
            subscription=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        services.webhook_subscription_delete(subscription=instance)

    @extend_schema(request=None, responses=WebhookSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """A new secret signs from now on; the old one keeps signing for 24 hours."""
        subscription = self.get_object()
        secret = services.webhook_subscription_rotate_secret(subscription=subscription)
        return Response({"secret": secret, "previous_secret_until": subscription.previous_secret_until})

    @extend_schema(request=None, responses=WebhookSubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str) -> Response:
        """Send again to a disabled subscription, starting with the messages that waited."""
        subscription = services.webhook_subscription_enable(subscription=self.get_object())
        return Response(WebhookSubscriptionSerializer(subscription, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={202: WebhookMessageSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Send a webhook.ping message, delivered and logged like any other."""
        message = services.webhook_subscription_ping(subscription=self.get_object())
        return Response(WebhookMessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)


class WebhookMessageViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Messages sent (or being sent) to a team's subscriptions, each with every attempt and its status code."""

    serializer_class = WebhookMessageSerializer
    filterset_fields = ["subscription", "status", "event"]
    ordering_fields = ["created_at", "next_attempt_at"]

    def get_queryset(self) -> QuerySet[WebhookMessage]:
        attempts = Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at", "pk"))
        return WebhookMessage.objects.prefetch_related(attempts).order_by("-created_at", "-pk")
