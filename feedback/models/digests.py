"""Complaint digests for designers: subscriptions and one delivery per subscription and period."""

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.models.responses import Theme
from surveys.models import Language, Segment, Survey, Team, Touchpoint, new_token


class DigestSubscription(models.Model):
    """Who gets a digest, how often, in which language, about what."""

    # What staff set, in the order forms (admin, API) show it; never the token (the subscriber's secret).
    EDITABLE_FIELDS = (
        "name",
        "team",
        "user",
        "email",
        "active",
        "cadence",
        "weekday",
        "language",
        "send_when_empty",
        "show_touchpoints",
        "surveys",
        "touchpoints",
        "segment",
        "answer_languages",
        "themes",
        "product",
    )

    class Cadence(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    name = models.CharField(_("name"), max_length=200, blank=True)
    # The digest covers this team's surveys only; empty: every team's (administrators only).
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The digest covers this team's surveys. Empty: every team's (administrators only)."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="digest_subscriptions",
    )
    email = models.EmailField(_("outside address"), blank=True, help_text=_("For someone without an admin login."))
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    weekday = models.PositiveSmallIntegerField(
        _("weekly on"),
        default=0,
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH)
    surveys = models.ManyToManyField(Survey, verbose_name=_("surveys"), blank=True, related_name="+")
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), null=True, blank=True, on_delete=models.SET_NULL)
    answer_languages = models.JSONField(
        _("answer languages"), default=list, blank=True, help_text=_('e.g. ["zh-hans"]')
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("themes"), blank=True, related_name="+")
    touchpoints = models.ManyToManyField(
        Touchpoint,
        verbose_name=_("touchpoints"),
        blank=True,
        related_name="+",
        help_text=_("Only complaints about surveys of these journey stages; empty: all."),
    )
    show_touchpoints = models.BooleanField(
        _("show NPS and CSAT by touchpoint"),
        default=True,
        help_text=_("A table of the journey stages side by side, with margins, the weakest marked."),
    )
    product = models.CharField(
        _("product"), max_length=100, blank=True, help_text=_("Contacts whose product attribute is this.")
    )
    send_when_empty = models.BooleanField(_('send a short "nothing new" note when a period is empty'), default=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""), name="digest_subscriber_present"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.recipient()

    @staticmethod
    def team_mismatches(*, team: Team | None, surveys: Iterable[Survey], segment: Segment | None) -> dict[str, str]:
        """Field messages for surveys and a segment that are not the subscription's team's."""
        if team is None:  # every team's digest: any survey and segment
            return {}
        problems = {}
        if any(survey.team_id != team.pk for survey in surveys):
            problems["surveys"] = _("Choose surveys of the subscription's team only.")
        if segment is not None and segment.team_id != team.pk:
            problems["segment"] = _("Choose a segment of the subscription's team.")
        return problems

    def recipient(self) -> str:
        return self.email or (self.user.email if self.user else "")


class DigestDelivery(models.Model):
    """The digest of one subscription for one period; unique, so it is never sent twice or skipped."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        EMPTY = "empty", _("Nothing to send")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(DigestSubscription, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (excluded)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    content = models.JSONField(_("content"), default=dict, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="digest_delivery_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period_start}"
