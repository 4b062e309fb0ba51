"""API tokens: a script or integration acting as one staff user, kept only as a hash of its secret."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, *, now: datetime) -> "ApiTokenQuerySet":
        """Tokens neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """One API token. The secret is shown once, when the token is made; only its SHA-256 is stored.

    The prefix is public: it finds the row and names the token in lists and logs, so a leaked
    token can be recognised and revoked without anyone ever seeing the secret again.
    """

    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. the CRM sync."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("The token can do what this person may do, no more."),
    )
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, help_text=_("Empty: valid until revoked."))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False, db_index=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(prefix__regex=r"^voc_[0-9a-f]{8}$"), name="api_token_prefix_shape"
            ),
            models.CheckConstraint(
                condition=models.Q(secret_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 - a pattern, not a password
                name="api_token_secret_hash_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"

    def is_usable(self, *, now: datetime) -> bool:
        """Neither revoked nor expired at this moment."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
