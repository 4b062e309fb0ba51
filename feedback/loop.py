"""Working a follow-up: assign, start, wait, note, call, email, resolve, close, reopen.

Every change is a conditional UPDATE whose row count is checked (so two people acting at once
cannot both win) plus an event row saying who, when, from, to and why. Only the allowed
transitions happen; anything else is refused with a clear message.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import notifications, rollups
from feedback.health.marks import health_mark, health_mark_and_refresh
from feedback.models import FollowUp, FollowUpEvent, RootCause, StaffProfile, WebhookEvent
from feedback.webhooks import events as webhook_events
from surveys import access
from surveys.audit import audit_record
from surveys.models import AuditEvent, Invitation, InvitationEmail, Survey

Status = FollowUp.Status
Event = FollowUpEvent.Kind

ALLOWED: dict[str, set[str]] = {
    Status.NEW: {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.IN_PROGRESS: {Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.WAITING: {Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.IN_PROGRESS},
    Status.CLOSED: {Status.IN_PROGRESS},
}


def _allowed_from(target: str) -> list[str]:
    return [source for source, targets in ALLOWED.items() if target in targets]


@transaction.atomic
def _transition(
    follow_up: FollowUp,
    *,
    to: str,
    by: AbstractBaseUser | None,
    note: str = "",
    only_from: list[str] | None = None,
    **changes: Any,
) -> FollowUp:
    allowed = [source for source in _allowed_from(to) if only_from is None or source in only_from]
    current = FollowUp.objects.filter(pk=follow_up.pk).values_list("status", flat=True).first()
    now = timezone.now()
    if current in FollowUp.OPEN_STATUSES and to in FollowUp.OPEN_STATUSES:
        changes.setdefault("first_action_at", follow_up.first_action_at or now)
    updated = FollowUp.objects.filter(pk=follow_up.pk, status=current, status__in=allowed).update(
        status=to, updated_at=now, **changes
    )
    if updated != 1:
        raise ValidationError(
            _("A follow-up that is %(current)s cannot become %(target)s.")
            % {"current": Status(current or follow_up.status).label, "target": Status(to).label}
        )
    FollowUpEvent.objects.create(
        follow_up=follow_up, actor=by, kind=Event.STATUS, from_value=current, to_value=to, note=note
    )
    follow_up.refresh_from_db()
    if (current in FollowUp.OPEN_STATUSES) != (to in FollowUp.OPEN_STATUSES) and not follow_up.is_proactive():
        # Opening or closing a customer's follow-up moves their health (proactive ones do not count).
        health_mark_and_refresh(contact_ids=[follow_up.contact_id], account_ids=[follow_up.account_id])
    return follow_up


def _first_action(follow_up: FollowUp) -> None:
    if FollowUp.objects.filter(pk=follow_up.pk, first_action_at__isnull=True).update(first_action_at=timezone.now()):
        rollups.rollup_mark_follow_up(follow_up=follow_up)


def follow_up_start(*, follow_up: FollowUp, by: AbstractBaseUser, note: str = "") -> FollowUp:
    """The owner starts working on it (or picks it up again after waiting)."""
    return _transition(follow_up, to=Status.IN_PROGRESS, by=by, note=note, only_from=[Status.NEW, Status.WAITING])


def follow_up_wait(*, follow_up: FollowUp, by: AbstractBaseUser, note: str = "") -> FollowUp:
    """Waiting for the customer to answer."""
    return _transition(follow_up, to=Status.WAITING, by=by, note=note)


def follow_up_resolve(
    *,
    follow_up: FollowUp,
    by: AbstractBaseUser,
    root_cause: RootCause | None,
    note: str,
    shared_note: str = "",
    tell_customer: bool = False,
) -> FollowUp:
    """Resolve with a root cause and a note; optionally tell the customer what was done."""
    errors = {}
    if root_cause is None or not root_cause.active:
        errors["root_cause"] = _("Choose a root cause.")
    if not note.strip():
        errors["note"] = _("Write what was done.")
    if tell_customer and not shared_note.strip():
        errors["shared_note"] = _("Write the note the customer will read.")
    if tell_customer and (follow_up.contact is None or follow_up.response is None):
        errors["tell_customer"] = _("There is no customer response to tell about.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        follow_up = _transition(
            follow_up,
            to=Status.RESOLVED,
            by=by,
            note=note,
            resolved_at=timezone.now(),
            root_cause=root_cause,
            resolution_note=note.strip(),
            shared_note=shared_note.strip(),
        )
        webhook_events.follow_up_changed(follow_up=follow_up, event=WebhookEvent.FOLLOW_UP_RESOLVED)
        if tell_customer:
            notifications.notify_customer_resolution(follow_up=follow_up, status_url=status_url(follow_up))
            FollowUp.objects.filter(pk=follow_up.pk).update(customer_notified_at=timezone.now())
            FollowUpEvent.objects.create(follow_up=follow_up, actor=by, kind=Event.CUSTOMER_TOLD, note=shared_note)
        if follow_up.rule is not None and follow_up.rule.recovery_survey_days and follow_up.contact is not None:
            _recovery_check_plan(follow_up, days=follow_up.rule.recovery_survey_days)
    return follow_up


def follow_up_close(*, follow_up: FollowUp, by: AbstractBaseUser, note: str) -> FollowUp:
    """Close without action (spam, duplicate, nothing to do); the reason is required."""
    if not note.strip():
        raise ValidationError({"note": _("Say why no action is needed.")})
    return _transition(follow_up, to=Status.CLOSED, by=by, note=note)


def follow_up_reopen(*, follow_up: FollowUp, by: AbstractBaseUser, note: str) -> FollowUp:
    """Reopen a resolved or closed follow-up; the SLA clock does not restart."""
    if not note.strip():
        raise ValidationError({"note": _("Say why it is reopened.")})
    return _transition(
        follow_up, to=Status.IN_PROGRESS, by=by, note=note, only_from=[Status.RESOLVED, Status.CLOSED], resolved_at=None
    )


@transaction.atomic
def follow_up_assign(
    *,
    follow_up: FollowUp,
    to: AbstractBaseUser,
    by: AbstractBaseUser | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> FollowUp:
    """Give the follow-up to someone of its survey's team; they are told by email, and it is audited."""
    if not to.is_active or not to.is_staff:
        raise ValidationError({"owner": _("The new owner must be an active staff user.")})
    team_id = Survey.objects.filter(pk=follow_up.survey_id).values_list("team_id", flat=True).first()
    if not access.can_own_follow_ups(to, team_id=team_id):
        raise ValidationError({"owner": _("The new owner must be a manager or agent of the survey's team.")})
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not locked.is_open():
        raise ValidationError(_("Only an open follow-up can be reassigned."))
    if locked.owner_id == to.pk:
        return locked
    previous, previous_id = locked.owner.get_username(), locked.owner_id
    FollowUp.objects.filter(pk=locked.pk).update(owner=to, updated_at=timezone.now())
    FollowUpEvent.objects.create(
        follow_up=locked, actor=by, kind=Event.ASSIGNED, from_value=previous, to_value=to.get_username(), note=note
    )
    locked.refresh_from_db()
    audit_record(
        actor=by,
        action=AuditEvent.Action.FOLLOW_UP_REASSIGNED,
        target=locked,
        request=request,
        details={"from_user_id": previous_id, "to_user_id": to.pk},
    )
    assignments = locked.events.filter(kind=Event.ASSIGNED).count()
    notifications.notify_assigned(follow_up=locked, step=assignments)
    return locked


@transaction.atomic
def follow_up_log(*, follow_up: FollowUp, by: AbstractBaseUser, kind: str, text: str) -> FollowUpEvent:
    """Log a note or a call; it counts as the first action."""
    if kind not in {Event.NOTE, Event.CALL}:
        raise ValidationError({"kind": _("Log a note or a call.")})
    if not text.strip():
        raise ValidationError({"text": _("Write something.")})
    _first_action(follow_up)
    return FollowUpEvent.objects.create(follow_up=follow_up, actor=by, kind=kind, note=text.strip())


@transaction.atomic
def follow_up_email_customer(*, follow_up: FollowUp, by: AbstractBaseUser, subject: str, message: str) -> FollowUpEvent:
    """Email the customer from the follow-up; their reply goes to the owner."""
    if follow_up.contact is None:
        raise ValidationError(_("This response has no contact to email."))
    if not subject.strip() or not message.strip():
        raise ValidationError({"message": _("Write a subject and a message.")})
    step = follow_up.events.filter(kind=Event.EMAIL).count() + 1
    notifications.notify_customer_message(follow_up=follow_up, step=step, subject=subject.strip(), message=message)
    _first_action(follow_up)
    return FollowUpEvent.objects.create(
        follow_up=follow_up, actor=by, kind=Event.EMAIL, to_value=subject[:200], note=message
    )


def status_url(follow_up: FollowUp) -> str:
    """The customer's status page for their feedback (their invitation's token, no ids); "" if proactive."""
    if follow_up.response is None:
        return ""
    return settings.SITE_URL + reverse("feedback:status", args=[follow_up.response.invitation.token])


def _recovery_check_plan(follow_up: FollowUp, *, days: int) -> None:
    """A short re-survey some days after resolving, so recovery can be measured."""
    invitation = Invitation.objects.create(
        survey_id=follow_up.survey_id, contact=follow_up.contact, kind=Invitation.Kind.RECOVERY
    )
    InvitationEmail.objects.create(invitation=invitation, sequence=0, due_at=timezone.now() + timedelta(days=days))
    FollowUp.objects.filter(pk=follow_up.pk).update(recovery_invitation=invitation)


def follow_ups_remind_due(*, now: datetime) -> int:
    """Remind owners whose follow-up is due soon; the notification's uniqueness sends it once."""
    due = FollowUp.objects.open().filter(remind_at__lte=now, due_at__gt=now).exclude(notifications__kind="reminder")
    reminded = 0
    for follow_up in due.select_related("owner", "contact", "response"):
        with transaction.atomic():
            if notifications.notify_reminder(follow_up=follow_up) is not None:
                FollowUpEvent.objects.create(
                    follow_up=follow_up, kind=Event.REMINDED, to_value=follow_up.owner.get_username()
                )
                reminded += 1
    return reminded


def follow_ups_escalate_due(*, now: datetime) -> int:
    """Escalate every overdue open follow-up one step up its chain, again at its interval."""
    escalated = 0
    for follow_up in FollowUp.objects.escalation_due(now=now).select_related(
        "owner", "team__lead", "contact", "response"
    ):
        level = follow_up.escalation_level + 1
        with transaction.atomic():
            # The level in the WHERE clause makes a second beat or a rerun find nothing to do.
            moved = FollowUp.objects.filter(pk=follow_up.pk, escalation_level=follow_up.escalation_level).update(
                escalation_level=level, next_escalation_at=now + timedelta(hours=follow_up.escalate_every_hours)
            )
            if moved != 1:
                continue
            target = escalation_target(follow_up, level=level)
            notifications.notify_escalation(follow_up=follow_up, level=level, to=target)
            FollowUpEvent.objects.create(
                follow_up=follow_up,
                kind=Event.ESCALATED,
                from_value=str(level - 1),
                to_value=f"{level}: {target.get_username()}",
            )
            follow_up.escalation_level = level
            webhook_events.follow_up_changed(follow_up=follow_up, event=WebhookEvent.FOLLOW_UP_ESCALATED)
            if level == 1 and not follow_up.is_proactive():
                # It just became overdue: the health tick later in this run recomputes its customer.
                health_mark(contact_ids=[follow_up.contact_id], account_ids=[follow_up.account_id])
            escalated += 1
    return escalated


def escalation_target(follow_up: FollowUp, *, level: int) -> AbstractBaseUser:
    """Level 1 is the owner's manager (else the team lead), level 2 that person's manager, ..."""
    chain: list[AbstractBaseUser] = []
    person = follow_up.owner
    seen = {person.pk}
    while True:
        profile = StaffProfile.objects.select_related("manager").filter(user=person).first()
        manager = profile.manager if profile else None
        if manager is None or manager.pk in seen:
            break
        chain.append(manager)
        seen.add(manager.pk)
        person = manager
    lead = follow_up.team.lead if follow_up.team else None
    if lead is not None and lead.pk not in seen:
        chain.append(lead)
    if not chain:
        admins = get_user_model().objects.filter(is_active=True, is_superuser=True).exclude(pk=follow_up.owner_id)
        chain = list(admins.order_by("pk")[:1]) or [follow_up.owner]
    return chain[min(level, len(chain)) - 1]
