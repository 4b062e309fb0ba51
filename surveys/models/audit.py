"""The audit log: who did which sensitive thing, when, to what, and from where. Append-only."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One sensitive action. Rows are never changed or deleted (a database trigger refuses it).

    Details hold ids and counts only, never names or addresses, so erasing a customer never
    has to rewrite the log.
    """

    class Action(models.TextChoices):
        RESPONSES_EXPORTED = "responses_exported", _("Responses exported")
        CONTACT_EXPORTED = "contact_exported", _("Contact data exported")
        CONTACT_ERASED = "contact_erased", _("Contact erased")
        MEMBERSHIP_GRANTED = "membership_granted", _("Role granted")
        MEMBERSHIP_CHANGED = "membership_changed", _("Role changed")
        MEMBERSHIP_REVOKED = "membership_revoked", _("Role revoked")
        SUPERUSER_CHANGED = "superuser_changed", _("Superuser status changed")
        FOLLOW_UP_REASSIGNED = "follow_up_reassigned", _("Follow-up reassigned")
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        STAFF_DEACTIVATED = "staff_deactivated", _("Staff user deactivated")

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        STAFF_PAGE = "staff_page", _("Staff page")
        SYSTEM = "system", _("System (command or task)")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # PROTECT: a person who did something sensitive is deactivated, never deleted from the record.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("username then"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=30, choices=Action.choices, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("from"), max_length=10, choices=Source.choices, default=Source.SYSTEM)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_event_target")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.get_action_display()}"
