"""The closed loop: routing rules, teams and calendars, follow-ups, their events and notices."""

from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.models.responses import Sentiment, SurveyResponse, Theme
from surveys.models import Account, Contact, Invitation, Language, Segment, Survey, Team


class StaffProfile(models.Model):
    """What the loop needs to know about a staff user: who they escalate to, their language."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(condition=~models.Q(manager=models.F("user")), name="staff_not_own_manager")
        ]

    def __str__(self) -> str:
        return str(self.user)


class BusinessCalendar(models.Model):
    """Working hours in a timezone, so an SLA can count business hours only."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC", help_text=_("e.g. Asia/Shanghai"))
    workdays = models.JSONField(_("working days"), default=list, help_text=_("0 = Monday ... 6 = Sunday"))
    day_start = models.TimeField(_("day starts"), default=time(9, 0))
    day_end = models.TimeField(_("day ends"), default=time(17, 0))
    holidays = models.JSONField(_("holidays"), default=list, blank=True, help_text=_("Dates as YYYY-MM-DD"))

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.CheckConstraint(condition=models.Q(day_start__lt=models.F("day_end")), name="calendar_day_ordered")
        ]

    def __str__(self) -> str:
        return self.name


class RootCause(models.Model):
    """Why something went wrong, chosen when a follow-up is resolved; the list is editable."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ScoreGroup(models.TextChoices):
    UNHAPPY = "detractor", _("Unhappy (NPS 0-6, CSAT 1-2, CES 1-3)")
    NEUTRAL = "passive", _("Neutral (NPS 7-8, CSAT 3, CES 4)")
    HAPPY = "promoter", _("Happy (NPS 9-10, CSAT 4-5, CES 5-7)")


class RoutingRule(models.Model):
    """Ordered rules: the first active rule whose conditions all hold decides the follow-up."""

    # The fields of each part of a rule, in the order forms (admin, API) show them.
    CONDITION_FIELDS = ("survey", "score_group", "sentiment", "theme", "language", "segment")
    OUTCOME_FIELDS = (
        "creates_follow_up",
        "priority",
        "owner_mode",
        "owner_user",
        "team",
        "sla_hours",
        "calendar",
        "remind_before_hours",
        "escalate_every_hours",
        "attach_to_open_follow_up",
        "recovery_survey_days",
    )

    class OwnerMode(models.TextChoices):
        ACCOUNT_OWNER = "account_owner", _("The contact's account owner")
        USER = "user", _("A named user")
        TEAM = "team", _("Round-robin in a team")

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    active = models.BooleanField(_("active"), default=True)
    # Conditions: every filled one must hold.
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), null=True, blank=True, on_delete=models.CASCADE)
    score_group = models.CharField(_("score group"), max_length=10, choices=ScoreGroup.choices, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, blank=True)
    theme = models.ForeignKey(Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.CASCADE)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), null=True, blank=True, on_delete=models.CASCADE)
    # What happens.
    creates_follow_up = models.BooleanField(
        _("creates a follow-up"), default=True, help_text=_("Untick to make matching responses need no follow-up.")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    owner_mode = models.CharField(_("owner"), max_length=15, choices=OwnerMode.choices, default=OwnerMode.ACCOUNT_OWNER)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL)
    sla_hours = models.PositiveIntegerField(_("SLA (hours)"), default=48)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("count business hours of"), null=True, blank=True, on_delete=models.SET_NULL
    )
    remind_before_hours = models.PositiveIntegerField(_("remind the owner this many hours before due"), default=4)
    escalate_every_hours = models.PositiveIntegerField(_("escalate again every (hours)"), default=24)
    attach_to_open_follow_up = models.BooleanField(
        _("attach to the contact's open follow-up"),
        default=True,
        help_text=_("When the contact already has an open follow-up, add this response to it instead of a new one."),
    )
    recovery_survey_days = models.PositiveIntegerField(
        _("re-survey days after resolving"), null=True, blank=True, help_text=_("Empty: no recovery check.")
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(owner_mode="user") | models.Q(owner_user__isnull=False),
                name="rule_named_owner_present",
            ),
            models.CheckConstraint(
                condition=~models.Q(owner_mode="team") | models.Q(team__isnull=False), name="rule_team_present"
            ),
            models.CheckConstraint(condition=models.Q(escalate_every_hours__gte=1), name="rule_escalation_interval"),
        ]

    def __str__(self) -> str:
        return self.name


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def open(self) -> "FollowUpQuerySet":
        """Follow-ups someone still has to act on."""
        return self.filter(status__in=FollowUp.OPEN_STATUSES)

    def of_responses(self) -> "FollowUpQuerySet":
        """Follow-ups of responses (closed-loop figures are about these), not proactive ones."""
        return self.filter(response__isnull=False)

    def overdue(self, *, now: datetime) -> "FollowUpQuerySet":
        """Open follow-ups whose due time has passed."""
        return self.open().filter(due_at__lt=now)

    def escalation_due(self, *, now: datetime) -> "FollowUpQuerySet":
        """Overdue follow-ups whose next escalation step has come."""
        return self.open().filter(next_escalation_at__lte=now)


class FollowUp(models.Model):
    """The case of one response that needs a person, or of an account whose health alert fired
    (a proactive follow-up): owned, due, and resolved with a cause. Exactly one of response and
    alert is set; a response has at most one follow-up, so has an alert.
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed without action")

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)

    response = models.OneToOneField(
        SurveyResponse, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_up"
    )
    alert = models.OneToOneField(
        "feedback.HealthAlert",
        verbose_name=_("health alert"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
    )
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL)
    due_at = models.DateTimeField(_("due"))
    remind_at = models.DateTimeField(_("remind owner at"), null=True, blank=True)
    escalate_every_hours = models.PositiveIntegerField(default=24)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation"), null=True, blank=True)
    first_action_at = models.DateTimeField(_("first action"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    root_cause = models.ForeignKey(
        RootCause, verbose_name=_("root cause"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    shared_note = models.TextField(
        _("note for the customer"), blank=True, help_text=_("Shown on the customer's status page and in the email.")
    )
    customer_notified_at = models.DateTimeField(_("customer told"), null=True, blank=True)
    recovery_invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="recovered_follow_ups"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="resolved")
                | (models.Q(root_cause__isnull=False) & models.Q(resolved_at__isnull=False)),
                name="follow_up_resolved_has_cause",
            ),
            # Every follow-up has exactly one origin: a response (then a survey) or a health alert.
            models.CheckConstraint(
                condition=(
                    models.Q(response__isnull=False) & models.Q(alert__isnull=True) & models.Q(survey__isnull=False)
                )
                | (models.Q(response__isnull=True) & models.Q(alert__isnull=False)),
                name="follow_up_one_origin",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="follow_up_open_due"),
            models.Index(fields=["status", "next_escalation_at"], name="follow_up_escalation"),
            models.Index(fields=["owner", "status"], name="follow_up_owner"),
            # Loop rollups recount one survey-day; the dashboard counts a survey's open ones.
            models.Index(fields=["survey", "created_at"], name="follow_up_survey_created"),
            models.Index(fields=["survey", "status"], name="follow_up_survey_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.contact or self.account or ''}"

    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_proactive(self) -> bool:
        """Opened by a health alert rather than by a response."""
        return self.alert_id is not None

    def is_overdue(self, *, now: datetime) -> bool:
        return self.is_open() and self.due_at < now


class FollowUpEvent(models.Model):
    """Every change to a follow-up: who, when, from, to, why. Never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ASSIGNED = "assigned", _("Assigned")
        STATUS = "status", _("Status changed")
        NOTE = "note", _("Note")
        CALL = "call", _("Call logged")
        EMAIL = "email", _("Emailed the customer")
        REMINDED = "reminded", _("Owner reminded")
        ESCALATED = "escalated", _("Escalated")
        CUSTOMER_TOLD = "customer_told", _("Customer told what was done")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("what"), max_length=15, choices=Kind.choices)
    from_value = models.CharField(_("from"), max_length=200, blank=True)
    to_value = models.CharField(_("to"), max_length=200, blank=True)
    note = models.TextField(_("why / note"), blank=True)

    class Meta:
        verbose_name = _("follow-up event")
        verbose_name_plural = _("follow-up events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_value} → {self.to_value}"


class FollowUpNotification(models.Model):
    """One email about a follow-up; (follow-up, kind, step) is unique, so no step is sent twice."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to the owner")
        REMINDER = "reminder", _("Reminder before due")
        ESCALATION = "escalation", _("Escalation")
        CUSTOMER = "customer", _("Customer: what we did")
        CUSTOMER_MESSAGE = "customer_message", _("Customer: message from staff")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    step = models.PositiveIntegerField(default=0, help_text=_("Escalation level, assignment or message number."))
    recipient = models.EmailField()
    reply_to = models.EmailField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    language = models.CharField(max_length=10, choices=Language.choices, default=Language.ENGLISH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up email")
        verbose_name_plural = _("follow-up emails")
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "kind", "step"], name="follow_up_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.step} → {self.recipient}"
