"""Getting surveys to people: distributions, invitations (one per contact) and their emails."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from surveys.models.contacts import Contact, Segment
from surveys.models.design import Survey, new_token


class Distribution(models.Model):
    """One survey sent to a segment or a list of contacts, now or later, with reminders."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")

    ACTIVE_STATUSES = (Status.SCHEDULED, Status.SENDING)

    name = models.CharField(_("name"), max_length=200)
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="distributions")
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contacts = models.ManyToManyField(Contact, verbose_name=_("contacts"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    scheduled_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: as soon as scheduled.")
    )
    reminder_days = models.JSONField(
        _("reminders after (days)"),
        default=list,
        blank=True,
        help_text=_("Days after the first email, e.g. [3, 7]: up to two reminders to those who have not finished."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    materialized_at = models.DateTimeField(_("invitations created"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="distribution_due")]

    def __str__(self) -> str:
        return self.name

    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class Invitation(models.Model):
    """The right to answer a survey once, carried by an unguessable token in a link."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal link")
        ANONYMOUS = "anonymous", _("Anonymous link")
        RECOVERY = "recovery", _("Recovery check after a follow-up")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")

    class SkipReason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Address bounced before")
        RECENTLY_SURVEYED = "recently_surveyed", _("Surveyed too recently")
        CANCELLED = "cancelled", _("Distribution cancelled")
        SURVEY_NOT_LIVE = "survey_not_live", _("Survey not live")
        SUPPRESSED = "suppressed", _("Address erased on request")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    distribution = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    skip_reason = models.CharField(_("skipped because"), max_length=20, choices=SkipReason.choices, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    opened_at = models.DateTimeField(_("link first opened"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True, db_index=True)
    # Set when its contact was erased: the contact is gone and the token no longer opens anything.
    erased_at = models.DateTimeField(_("contact erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="anonymous")
                | models.Q(contact__isnull=False)
                | models.Q(erased_at__isnull=False),
                name="invitation_personal_has_contact",
            ),
            # What makes an anonymous response anonymous: nothing ties its invitation to anyone.
            models.CheckConstraint(
                condition=~models.Q(kind="anonymous") | models.Q(contact__isnull=True),
                name="invitation_anonymous_has_no_contact",
            ),
            models.UniqueConstraint(
                fields=["distribution", "contact"],
                condition=models.Q(distribution__isnull=False),
                name="invitation_unique_per_distribution_contact",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="skipped") | ~models.Q(skip_reason=""),
                name="invitation_skipped_has_reason",
            ),
        ]
        # The daily rollups recount one survey-day of sends at a time.
        indexes = [models.Index(fields=["survey", "sent_at"], name="invitation_survey_sent")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact or _('anonymous')}"

    def answer_url(self) -> str:
        """The absolute personal link, built from SITE_URL (never from a request's Host)."""
        return settings.SITE_URL + reverse("feedback:answer", args=[self.token])

    def unsubscribe_url(self) -> str:
        return settings.SITE_URL + reverse("surveys:unsubscribe", args=[self.token])


class InvitationEmailQuerySet(models.QuerySet["InvitationEmail"]):
    def due(self, *, now: datetime) -> "InvitationEmailQuerySet":
        """Emails waiting to be sent whose time has come."""
        return self.filter(status=InvitationEmail.Status.PENDING, due_at__lte=now)


class InvitationEmail(models.Model):
    """One email of an invitation: the first (sequence 0) or a reminder (1, 2, ...).

    Workers claim rows with a conditional UPDATE, so two never send the same one; a claimed row
    whose worker died is released by the sweep after the lease.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("Being sent")
        SENT = "sent", _("Sent")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="emails")
    sequence = models.PositiveSmallIntegerField(
        _("number"), default=0, help_text=_("0 is the invitation, 1+ reminders.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(_("due"))
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    objects = InvitationEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation email")
        verbose_name_plural = _("invitation emails")
        constraints = [
            models.UniqueConstraint(fields=["invitation", "sequence"], name="invitation_email_unique_sequence"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="invitation_email_due"),
            models.Index(fields=["status", "claimed_at"], name="invitation_email_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.invitation} #{self.sequence}"

    def message_id(self) -> str:
        """A stable Message-ID, so a receiving server can recognise an accidental resend."""
        host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "vocsite"
        return f"<inv-{self.invitation_id}-{self.sequence}@{host}>"
