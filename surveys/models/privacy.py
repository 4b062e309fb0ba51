"""What is left of an erased contact: a keyed hash of the address, and a record of the erasure."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SuppressedAddress(models.Model):
    """An address that must never be emailed again, kept only as a keyed hash (see surveys.suppression)."""

    class Reason(models.TextChoices):
        ERASED = "erased", _("Erased on request")

    address_hash = models.CharField(_("address hash"), max_length=64, unique=True, editable=False)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, default=Reason.ERASED)
    created_at = models.DateTimeField(_("suppressed"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.address_hash[:12]


class ContactErasure(models.Model):
    """One contact erased: who asked for it, when, and how many rows were changed.

    The contact id is a plain number, not a foreign key: the contact row is gone.
    """

    class Reason(models.TextChoices):
        REQUEST = "request", _("On request")
        RETENTION = "retention", _("Retention period over")

    contact_id = models.BigIntegerField(_("contact id"), editable=False)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, default=Reason.REQUEST)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    erased_at = models.DateTimeField(_("erased"), db_index=True)
    summary = models.JSONField(_("rows changed"), default=dict, blank=True)

    class Meta:
        verbose_name = _("contact erasure")
        verbose_name_plural = _("contact erasures")
        ordering = ["-erased_at"]
        constraints = [models.UniqueConstraint(fields=["contact_id"], name="contact_erased_once")]

    def __str__(self) -> str:
        return _("Contact #%(id)s") % {"id": self.contact_id}
