"""Who can be surveyed: contacts, saved segments of them, and CSV imports that fill them."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models.accounts import Account
from surveys.models.design import Language
from surveys.models.teams import Team


class ContactQuerySet(models.QuerySet["Contact"]):
    def reachable(self) -> "ContactQuerySet":
        """Contacts that may be emailed at all: not unsubscribed, address not bounced."""
        return self.filter(unsubscribed_at__isnull=True, bounced_at__isnull=True)

    def with_address(self, email: str) -> "ContactQuerySet":
        """Every team's contact at this address (case-insensitive; uses the contact_email_ci index)."""
        return self.alias(address=Lower("email")).filter(address=email.lower())


TEAM_HELP = _("The team whose customers these are. Empty: administrators only.")


class Contact(models.Model):
    """A customer of one team, who can be surveyed by that team.

    Each team keeps its own list, so one person can be a customer of two teams and neither
    team sees the other's record; an address is unique within a team.
    """

    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, help_text=TEAM_HELP
    )
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    # Kept for contacts without an account; routing prefers the account's owner when there is one.
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        help_text=_("Owns this contact's follow-ups when the contact has no account or its account has no owner."),
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("address bounced"), null=True, blank=True)
    last_surveyed_at = models.DateTimeField(_("last surveyed"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        # Two partial indexes each, because NULL teams are distinct to a plain unique index.
        constraints = [
            models.UniqueConstraint(
                "team", Lower("email"), condition=models.Q(team__isnull=False), name="contact_unique_email_per_team"
            ),
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(team__isnull=True), name="contact_unique_email_without_team"
            ),
            models.UniqueConstraint(
                fields=["team", "external_id"],
                condition=~models.Q(external_id="") & models.Q(team__isnull=False),
                name="contact_unique_external_id_per_team",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id="") & models.Q(team__isnull=True),
                name="contact_unique_external_id_without_team",
            ),
        ]
        # Unsubscribes and bounces apply to an address in every team's list.
        indexes = [models.Index(Lower("email"), name="contact_email_ci")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def is_reachable(self) -> bool:
        return self.unsubscribed_at is None and self.bounced_at is None


class Segment(models.Model):
    """A saved filter over one team's contacts; its size is always computed live."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, help_text=TEAM_HELP
    )
    name = models.CharField(_("name"), max_length=200)
    rules = models.JSONField(
        _("rules"),
        default=list,
        blank=True,
        help_text=_('All must hold. Each: {"field": "language" or "attributes.plan", "op": "eq", "value": "..."}'),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class ContactImport(models.Model):
    """A CSV file of contacts, imported into one team's list row by row in the background."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, help_text=TEAM_HELP
    )
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    # Kept in the database, not on a local disk, so any worker on any machine can read it.
    content = models.BinaryField(_("content"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("error report"), default=list, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name or f"import {self.created_at:%Y-%m-%d %H:%M}"

    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    def is_stalled(self, *, lease_seconds: int) -> bool:
        beat = self.heartbeat_at or self.created_at
        return self.status == self.Status.RUNNING and (timezone.now() - beat).total_seconds() > lease_seconds
