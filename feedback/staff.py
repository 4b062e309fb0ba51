"""Staff users as the API manages them: created with a profile, changed, deactivated (never deleted)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from feedback import loop
from feedback.models import FollowUp, StaffProfile
from surveys import access
from surveys.audit import Action, audit_record

User = get_user_model()


@transaction.atomic
def staff_create(*, username: str, fields: dict[str, Any], profile: dict[str, Any]) -> Any:
    """A new staff login without a password (they set one by the reset link) and its profile."""
    user = User.objects.create_user(username, fields.pop("email", ""), None, is_staff=True, **fields)
    StaffProfile.objects.create(user=user, **profile)
    return user


@transaction.atomic
def staff_update(*, user: Any, fields: dict[str, Any], profile: dict[str, Any] | None) -> Any:
    """Change a staff user's name, address and profile (roles change through surveys.memberships)."""
    if fields:
        User.objects.filter(pk=user.pk).update(**fields)
    if profile is not None:
        StaffProfile.objects.update_or_create(user=user, defaults=profile)
    return User.objects.select_related("staff_profile").get(pk=user.pk)


@transaction.atomic
def staff_deactivate(*, user: Any, by: Any, request: HttpRequest | None = None) -> Any:
    """Stop a person logging in or using the API; their records and follow-ups stay attributed to them.

    Recorded in the audit log, as losing access is as sensitive as a role change.
    """
    if user.pk == by.pk:
        raise ValidationError({"detail": _("You cannot deactivate yourself; ask another administrator.")})
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    handed_over, kept = follow_ups_hand_over(leaving=user, by=by, request=request)
    audit_record(
        actor=by,
        action=Action.STAFF_DEACTIVATED,
        target=user,
        request=request,
        details={"follow_ups_handed_over": handed_over, "follow_ups_left": kept},
    )
    return user


def follow_ups_hand_over(*, leaving: Any, by: Any, request: HttpRequest | None = None) -> tuple[int, int]:
    """Give a leaving person's open follow-ups to their manager, else their team's lead.

    Each hand-over is an ordinary reassignment (event, audit row, email to the new owner). A
    follow-up with neither person able to own it stays where it is, and is counted as left.
    """
    handed_over = kept = 0
    open_ones = FollowUp.objects.filter(owner=leaving, status__in=FollowUp.OPEN_STATUSES).select_related("team__lead")
    manager = StaffProfile.objects.filter(user=leaving).values_list("manager", flat=True).first()
    for follow_up in open_ones.order_by("pk"):
        target = _successor(follow_up, leaving=leaving, manager_id=manager)
        if target is None:
            kept += 1
            continue
        note = _("Handed over: %(name)s was deactivated.") % {"name": leaving.get_username()}
        try:
            loop.follow_up_assign(follow_up=follow_up, to=target, by=by, note=note, request=request)
        except ValidationError:  # the survey's team differs from the follow-up's: leave it to a person
            kept += 1
            continue
        handed_over += 1
    return handed_over, kept


def _successor(follow_up: FollowUp, *, leaving: Any, manager_id: int | None) -> Any:
    candidates = [User.objects.filter(pk=manager_id).first() if manager_id else None]
    candidates.append(follow_up.team.lead if follow_up.team else None)
    for person in candidates:
        able = person is not None and person.pk != leaving.pk and person.is_active and person.is_staff
        if able and access.can_own_follow_ups(person, team_id=follow_up.team_id):
            return person
    return None
