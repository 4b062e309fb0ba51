"""Teams and roles: groups of staff who own surveys, and who may do what in each team."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person may do; the rules behind each role live in surveys/access.py."""

    ADMINISTRATOR = "administrator", _("Administrator (everything, every team)")
    MANAGER = "manager", _("Team manager")
    AGENT = "agent", _("Agent")
    DESIGNER = "designer", _("Designer (digests and aggregated metrics)")
    VIEWER = "viewer", _("Viewer (read-only)")


class Team(models.Model):
    """Staff who own surveys (and so their customers and feedback) and share follow-ups.

    Round-robin assignment takes turns among the active managers and agents.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        through="Membership",
        through_fields=("team", "user"),
        related_name="vocsite_teams",
    )
    round_robin_position = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One person's role in one team; an administrator's row has no team (they see every team)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=15, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"], condition=models.Q(team__isnull=False), name="membership_once_per_team"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(team__isnull=True), name="membership_one_administrator_row"
            ),
            models.CheckConstraint(
                condition=(models.Q(role="administrator") & models.Q(team__isnull=True))
                | (~models.Q(role="administrator") & models.Q(team__isnull=False)),
                name="membership_team_unless_administrator",
                violation_error_message=_("Administrators have no team; every other role needs one."),
            ),
        ]

    def __str__(self) -> str:
        where = self.team.name if self.team_id else _("every team")
        return f"{self.user} · {self.get_role_display()} · {where}"
