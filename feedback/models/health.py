"""Customer health: the editable weights of the formula, current scores, their history, the rows
waiting to be recomputed, and the alert rules that warn an account owner before the customer does.
"""

from datetime import date, datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.health import formula
from feedback.models.loop import BusinessCalendar, Priority
from surveys.models import Account, Contact


class HealthInput(models.TextChoices):
    NPS_LATEST = formula.NPS_LATEST, _("NPS of the latest answers")
    NPS_TREND = formula.NPS_TREND, _("NPS trend")
    CSAT_LATEST = formula.CSAT_LATEST, _("CSAT of the latest answers")
    CSAT_TREND = formula.CSAT_TREND, _("CSAT trend")
    CES_LATEST = formula.CES_LATEST, _("Effort (CES) of the latest answers")
    CES_TREND = formula.CES_TREND, _("Effort (CES) trend")
    SENTIMENT = formula.SENTIMENT, _("Sentiment of recent comments")
    OPEN_FOLLOW_UPS = formula.OPEN_FOLLOW_UPS, _("Open follow-ups")
    OVERDUE_FOLLOW_UPS = formula.OVERDUE_FOLLOW_UPS, _("Overdue follow-ups")
    RESPONSE_RATE = formula.RESPONSE_RATE, _("Response rate")
    SILENCE = formula.SILENCE, _("Time since the last answer")


# How each input turns into a signal, shown to staff next to its weight.
HEALTH_INPUT_RULES = {
    HealthInput.NPS_LATEST: _(
        "Each contact's most recent NPS answer: promoters count +1, detractors -1, passives 0; the average of those."
    ),
    HealthInput.NPS_TREND: _(
        "NPS of the last window minus NPS of the window before; a fall of 100 NPS points costs the whole weight."
    ),
    HealthInput.CSAT_LATEST: _("Each contact's most recent CSAT answer: 4-5 counts +1, 1-2 counts -1, 3 counts 0."),
    HealthInput.CSAT_TREND: _("Net CSAT of the last window minus that of the window before."),
    HealthInput.CES_LATEST: _("Each contact's most recent effort answer: 5-7 counts +1, 1-3 counts -1, 4 counts 0."),
    HealthInput.CES_TREND: _("Net effort score of the last window minus that of the window before."),
    HealthInput.SENTIMENT: _("Comments of the last window: positive +1, negative -1, neutral 0; the average."),
    HealthInput.OPEN_FOLLOW_UPS: _(
        "Open follow-ups of answers, not yet due: each takes a third of the weight, up to all of it."
    ),
    HealthInput.OVERDUE_FOLLOW_UPS: _("Overdue follow-ups of answers: each takes half of the weight, up to all of it."),
    HealthInput.RESPONSE_RATE: _(
        "Share of the last window's invitations that were answered (a week's grace): half is neutral, "
        "all answered +1, none -1."
    ),
    HealthInput.SILENCE: _(
        "Nothing for one window after the last answer (or the first invitation), then down to the whole weight "
        "over three more windows."
    ),
}


class HealthBand(models.TextChoices):
    HEALTHY = formula.HEALTHY, _("Healthy")
    AT_RISK = formula.AT_RISK, _("At risk")
    CRITICAL = formula.CRITICAL, _("Critical")


class HealthWeight(models.Model):
    """How many points one input of the health formula may move a score, either way; staff edit it."""

    key = models.CharField(_("input"), max_length=30, choices=HealthInput.choices, unique=True)
    points = models.PositiveSmallIntegerField(
        _("points"),
        validators=[MaxValueValidator(100)],
        help_text=_("The most this input can add or take away; 0 switches it off."),
    )
    # Set when staff change the points: scores from before are not comparable with later ones.
    edited_at = models.DateTimeField(_("last edited"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("health weight")
        verbose_name_plural = _("health weights")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=models.Q(points__lte=100), name="health_weight_at_most_100")]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.points}"

    def rule(self) -> str:
        return str(HEALTH_INPUT_RULES.get(self.key, ""))


def _one_subject(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(models.Q(account__isnull=False) & models.Q(contact__isnull=True))
        | (models.Q(account__isnull=True) & models.Q(contact__isnull=False)),
        name=f"{prefix}_one_subject",
    )


class HealthScoreQuerySet(models.QuerySet["HealthScore"]):
    def of_accounts(self) -> "HealthScoreQuerySet":
        """Scores of accounts (not of contacts)."""
        return self.filter(account__isnull=False)

    def stale(self, *, before: datetime) -> "HealthScoreQuerySet":
        """Scores last computed before a moment: time alone may have moved them."""
        return self.filter(computed_at__lt=before)


class HealthScore(models.Model):
    """The current health of one account or one contact, with the contribution of every input."""

    account = models.OneToOneField(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="health", verbose_name=_("account")
    )
    contact = models.OneToOneField(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="health", verbose_name=_("contact")
    )
    score = models.PositiveSmallIntegerField(_("health"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    band = models.CharField(_("band"), max_length=10, choices=HealthBand.choices, db_index=True)
    breakdown = models.JSONField(_("inputs"), default=list, help_text=_("Each input: weight, signal, points, value."))
    moved = models.JSONField(
        _("what moved it"), default=list, blank=True, help_text=_("Inputs whose points changed at the last change.")
    )
    change_30d = models.SmallIntegerField(
        _("change in 30 days"), null=True, blank=True, help_text=_("Negative: falling.")
    )
    computed_at = models.DateTimeField(_("computed"), db_index=True)
    changed_at = models.DateTimeField(_("last changed"))

    objects = HealthScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        constraints = [
            _one_subject("health_score"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="health_score_at_most_100"),
        ]
        indexes = [models.Index(fields=["band", "change_30d"], name="health_band_change")]

    def __str__(self) -> str:
        return f"{self.account or self.contact}: {self.score}"


class HealthHistory(models.Model):
    """The score of one account or contact at the end of a day on which it changed (for the trend line)."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    score = models.PositiveSmallIntegerField(_("health"))
    band = models.CharField(_("band"), max_length=10, choices=HealthBand.choices)
    breakdown = models.JSONField(_("inputs"), default=list)

    class Meta:
        verbose_name = _("health history")
        verbose_name_plural = _("health history")
        ordering = ["day"]
        constraints = [
            _one_subject("health_history"),
            models.UniqueConstraint(fields=["account", "day"], name="health_history_account_day"),
            models.UniqueConstraint(fields=["contact", "day"], name="health_history_contact_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id or self.contact_id} {self.day}: {self.score}"


class HealthDirty(models.Model):
    """An account or contact whose health must be recomputed by the next refresh (something changed)."""

    account = models.OneToOneField(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = models.OneToOneField(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [_one_subject("health_dirty")]

    def __str__(self) -> str:
        return f"{self.account_id or self.contact_id}"


class AlertRule(models.Model):
    """A condition on an account that opens a proactive follow-up for its owner, once per period."""

    class Kind(models.TextChoices):
        HEALTH_DROP = "health_drop", _("Health falls by N points within D days")
        DETRACTORS = "detractors", _("N unhappy answers from one account within D days")
        SILENCE = "silence", _("The account stopped answering: no answer for D days though asked")
        RENEWAL_AT_RISK = "renewal_at_risk", _("Renewal within D days while health is at risk or critical")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("condition"), max_length=20, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    threshold = models.PositiveSmallIntegerField(
        _("N"), default=0, help_text=_("Points of health lost, or unhappy answers; not used by the other conditions.")
    )
    days = models.PositiveSmallIntegerField(_("D (days)"), validators=[MinValueValidator(1)])
    # What the follow-up gets, as a routing rule would give it.
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.HIGH)
    sla_hours = models.PositiveIntegerField(_("SLA (hours)"), default=72)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("count business hours of"), null=True, blank=True, on_delete=models.SET_NULL
    )
    remind_before_hours = models.PositiveIntegerField(_("remind the owner this many hours before due"), default=8)
    escalate_every_hours = models.PositiveIntegerField(_("escalate again every (hours)"), default=24)

    class Meta:
        verbose_name = _("health alert rule")
        verbose_name_plural = _("health alert rules")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(days__gte=1), name="alert_rule_days_positive"),
            models.CheckConstraint(condition=models.Q(escalate_every_hours__gte=1), name="alert_rule_escalation"),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["health_drop", "detractors"]) | models.Q(threshold__gte=1),
                name="alert_rule_threshold_needed",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class HealthAlert(models.Model):
    """One firing of a rule for an account in one period; unique, so a condition never alerts twice.

    The period is what makes "the same condition" concrete: the D-day bucket of a fall or of a run
    of unhappy answers, the day of the last answer before a silence, the renewal date.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("rule"))
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="health_alerts")
    period = models.DateField(_("period"))
    fired_at = models.DateTimeField(_("fired"), auto_now_add=True, db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # A later alert for an account whose proactive follow-up is still open joins that follow-up.
    attached_to = models.ForeignKey(
        "feedback.FollowUp",
        verbose_name=_("attached to follow-up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attached_alerts",
    )

    class Meta:
        verbose_name = _("health alert")
        verbose_name_plural = _("health alerts")
        ordering = ["-fired_at"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "account", "period"], name="health_alert_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.account} ({self.period})"

    def summary(self) -> str:
        """One line a person reads: what happened, in the numbers that made the rule fire."""
        return alert_summary(self.rule.kind, self.details)


ALERT_SUMMARIES = {
    AlertRule.Kind.HEALTH_DROP: _("Health fell from %(high)s to %(score)s within %(days)s days."),
    AlertRule.Kind.DETRACTORS: _("%(count)s unhappy answers within %(days)s days."),
    AlertRule.Kind.SILENCE: _("No answer for %(silent_days)s days, though asked since."),
    AlertRule.Kind.RENEWAL_AT_RISK: _("Renews on %(renewal_date)s with health %(score)s."),
}


def alert_summary(kind: str, details: dict) -> str:
    """What made an alert fire, in a sentence; "" if its details are incomplete."""
    try:
        return str(ALERT_SUMMARIES[kind]) % details
    except (KeyError, TypeError, ValueError):
        return ""


def period_bucket(day: date, days: int) -> date:
    """The first day of the `days`-long bucket holding `day` (buckets counted from 2000-01-03, a Monday)."""
    epoch = date(2000, 1, 3)
    return date.fromordinal(epoch.toordinal() + ((day - epoch).days // days) * days)
