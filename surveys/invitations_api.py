"""REST endpoint for invitations: who was asked to answer which survey, and what became of it.

Read-only. The token is never shown: whoever holds it can answer (or unsubscribe) as the
customer. Nor is the caller's idempotency key, which may carry their own ticket numbers.
"""

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from surveys.access_api import ScopedViewSetMixin
from surveys.models import Invitation


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = [
            "id",
            "survey",
            "distribution",
            "contact",
            "kind",
            "status",
            "skip_reason",
            "created_at",
            "sent_at",
            "reminders_sent",
            "opened_at",
            "responded_at",
            "erased_at",
        ]
        read_only_fields = fields


class InvitationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Invitations of a team's surveys, with when each was sent, opened and answered."""

    serializer_class = InvitationSerializer
    filterset_fields = ["survey", "distribution", "status", "kind", "skip_reason", "contact"]
    ordering_fields = ["created_at", "sent_at", "responded_at"]

    def get_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.order_by("-created_at", "-pk")
