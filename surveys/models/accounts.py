"""Accounts: the companies contacts belong to, with an owner, a tier, revenue and a renewal date."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from surveys.models.teams import Team


class AccountQuerySet(models.QuerySet["Account"]):
    def with_tier_rank(self) -> "AccountQuerySet":
        """Annotate tier_rank: enterprise highest, no tier lowest (for sorting by tier)."""
        ranks = [models.When(tier=tier, then=models.Value(rank)) for tier, rank in Account.TIER_RANK.items()]
        return self.annotate(tier_rank=models.Case(*ranks, default=models.Value(0), output_field=models.IntegerField()))


class Account(models.Model):
    """A customer company of one team; its contacts answer surveys, its owner looks after it.

    Like contacts, each team keeps its own accounts; a name is unique within a team.
    """

    class Tier(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        BUSINESS = "business", _("Business")
        TEAM = "team", _("Team")
        STARTER = "starter", _("Starter")
        FREE = "free", _("Free")

    TIER_RANK = {Tier.ENTERPRISE: 5, Tier.BUSINESS: 4, Tier.TEAM: 3, Tier.STARTER: 2, Tier.FREE: 1}

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("The team whose customer this is. Empty: administrators only."),
    )
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
        help_text=_("Owns this account's follow-ups and is warned when its health falls."),
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True, db_index=True)
    annual_revenue = models.DecimalField(
        _("annual revenue"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True, db_index=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed: the health tick finds accounts changed since its last run.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            # Two partial indexes, because NULL teams are distinct to a plain unique index.
            models.UniqueConstraint(
                "team", Lower("name"), condition=models.Q(team__isnull=False), name="account_unique_name_per_team"
            ),
            models.UniqueConstraint(
                Lower("name"), condition=models.Q(team__isnull=True), name="account_unique_name_without_team"
            ),
            models.CheckConstraint(
                condition=models.Q(annual_revenue__isnull=True) | models.Q(annual_revenue__gte=0),
                name="account_revenue_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name
