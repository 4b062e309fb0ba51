"""REST endpoints for the shared lists staff pick from: themes, root causes and business calendars.

Every staff role reads them; administrators add, change and delete them (surveys.access:
the reference area). A row still in use cannot be deleted and answers 400.
"""

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from feedback.models import BusinessCalendar, RootCause, Theme
from surveys.access_api import ScopedViewSetMixin
from surveys.api_common import ProtectedDestroyMixin


class ThemeSerializer(serializers.ModelSerializer):
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=500,
        help_text=_("Words or phrases, English or Chinese; an answer containing one gets this theme."),
    )

    class Meta:
        model = Theme
        fields = ["id", "name", "name_zh", "keywords", "merged_into", "created_at"]
        # Merging moves every tagged answer: it is done in admin, where the result can be checked.
        read_only_fields = ["id", "merged_into", "created_at"]


class ThemeViewSet(ScopedViewSetMixin, ProtectedDestroyMixin, viewsets.ModelViewSet):
    """What answers are about ("billing", "wait times"); tagging uses the keywords."""

    serializer_class = ThemeSerializer
    filterset_fields = ["merged_into"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self) -> QuerySet[Theme]:
        return Theme.objects.order_by("name", "pk")


class RootCauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = RootCause
        fields = ["id", "name", "name_zh", "active"]
        read_only_fields = ["id"]


class RootCauseViewSet(ScopedViewSetMixin, ProtectedDestroyMixin, viewsets.ModelViewSet):
    """Why something went wrong, chosen when a follow-up is resolved; one in use can only be deactivated."""

    serializer_class = RootCauseSerializer
    filterset_fields = ["active"]
    ordering_fields = ["name"]

    def get_queryset(self) -> QuerySet[RootCause]:
        return RootCause.objects.order_by("name", "pk")


class BusinessCalendarSerializer(serializers.ModelSerializer):
    workdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        max_length=7,
        help_text=_("0 = Monday ... 6 = Sunday"),
    )
    holidays = serializers.ListField(child=serializers.DateField(), required=False, max_length=1000)

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "timezone", "workdays", "day_start", "day_end", "holidays"]
        read_only_fields = ["id"]

    def validate_timezone(self, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(_("Unknown timezone; use a name like Asia/Shanghai.")) from None
        return name

    def validate_workdays(self, days: list[int]) -> list[int]:
        return sorted(set(days))

    def validate_holidays(self, days: list[date]) -> list[str]:
        # Stored as JSON: ISO dates, as the admin writes them.
        return sorted({day.isoformat() for day in days})

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        current = self.instance or BusinessCalendar()  # a new calendar: the model's default hours
        if data.get("day_start", current.day_start) >= data.get("day_end", current.day_end):
            raise serializers.ValidationError({"day_end": [_("The working day must end after it starts.")]})
        return data


class BusinessCalendarViewSet(ScopedViewSetMixin, ProtectedDestroyMixin, viewsets.ModelViewSet):
    """Working days and hours (and holidays) that SLAs count in; routing rules and alert rules name one."""

    serializer_class = BusinessCalendarSerializer
    ordering_fields = ["name"]
    filterset_fields = ["timezone"]

    def get_queryset(self) -> QuerySet[BusinessCalendar]:
        return BusinessCalendar.objects.order_by("name", "pk")
