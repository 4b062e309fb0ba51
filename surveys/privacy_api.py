"""REST endpoints for the privacy records: contact erasures (read-only) and the suppression list.

Administrators only (surveys.access: settings). An address put on the suppression list is
stored and shown only as its keyed hash (surveys.suppression); the address itself is never kept.
"""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.access_api import ScopedFilterSet, ScopedViewSetMixin
from surveys.contacts_api import ContactErasureSerializer
from surveys.models import ContactErasure, SuppressedAddress
from surveys.suppression import address_hash, address_suppress


class ContactErasureRecordSerializer(ContactErasureSerializer):
    """The erasure as the erase action answers it, with its id."""

    class Meta(ContactErasureSerializer.Meta):
        fields = ["id", *ContactErasureSerializer.Meta.fields]
        read_only_fields = fields


class ContactErasureViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Each contact erased: when, why, by whom, and how many rows were changed."""

    serializer_class = ContactErasureRecordSerializer
    filterset_fields = ["reason", "contact_id", "erased_by"]
    ordering_fields = ["erased_at"]

    def get_queryset(self) -> QuerySet[ContactErasure]:
        return ContactErasure.objects.order_by("-erased_at", "-pk")


class SuppressedAddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = SuppressedAddress
        fields = ["id", "address_hash", "reason", "created_at"]
        read_only_fields = fields


class SuppressAddressSerializer(serializers.Serializer):
    address = serializers.EmailField(
        write_only=True, help_text=_("Kept only as a keyed hash; never emailed again, by any distribution.")
    )


class SuppressedAddressFilter(ScopedFilterSet):
    address = django_filters.CharFilter(method="filter_address", help_text=_("Is this address on the list?"))

    class Meta:
        model = SuppressedAddress
        fields = ["reason", "address"]

    def filter_address(self, queryset: QuerySet[SuppressedAddress], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(address_hash=address_hash(value))


class SuppressedAddressViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Addresses never to be emailed again, as keyed hashes; deleting one lets the address be emailed again."""

    serializer_class = SuppressedAddressSerializer
    filterset_class = SuppressedAddressFilter
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[SuppressedAddress]:
        return SuppressedAddress.objects.order_by("-created_at", "-pk")

    @extend_schema(
        request=SuppressAddressSerializer,
        responses={201: SuppressedAddressSerializer, 200: SuppressedAddressSerializer},
    )
    def create(self, request: Request) -> Response:
        """Put an address on the list (200 with the existing entry if it is there already)."""
        form = SuppressAddressSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row, created = address_suppress(address=form.validated_data["address"])
        answer = SuppressedAddressSerializer(row, context=self.get_serializer_context()).data
        return Response(answer, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
