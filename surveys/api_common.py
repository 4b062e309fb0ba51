"""Small pieces the REST viewsets share: refusing to delete a row that other records still need."""

from typing import Any

from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

STILL_IN_USE = _("Other records still use this, so it cannot be deleted.")


class ProtectedDestroyMixin:
    """A delete the database refuses (a protected relation) answers 400 with the reason, never 500."""

    def perform_destroy(self, instance: Model) -> None:
        try:
            with transaction.atomic():
                self.destroy_row(instance)
        except (ProtectedError, RestrictedError):
            raise serializers.ValidationError({"detail": [STILL_IN_USE]}) from None

    def destroy_row(self, instance: Model) -> Any:
        """The delete itself; a viewset whose rows go through a service overrides this."""
        return instance.delete()
