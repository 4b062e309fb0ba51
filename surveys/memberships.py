"""Giving and taking roles. Every change is written to the audit log."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from surveys import access
from surveys.audit import Action, audit_record
from surveys.models import Membership, Role, Team


@transaction.atomic
def membership_grant(
    *, user: Any, team: Team | None, role: str, by: Any, request: HttpRequest | None = None
) -> Membership:
    """Give a person a role in a team (administrators: no team), or change it; they become staff."""
    if (role == Role.ADMINISTRATOR) != (team is None):
        raise ValidationError({"role": _("Administrators have no team; every other role needs one.")})
    rows = Membership.objects.select_for_update(of=("self",)).filter(user=user)
    membership = rows.filter(team=team).first() if team is not None else rows.filter(team__isnull=True).first()
    if membership is not None and membership.role == role:
        return membership
    if membership is None:
        membership = Membership.objects.create(user=user, team=team, role=role)
        action, details = Action.MEMBERSHIP_GRANTED, {"role": role}
    else:
        action, details = Action.MEMBERSHIP_CHANGED, {"from": membership.role, "to": role}
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role
    if not user.is_staff:
        get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
        user.is_staff = True
    audit_record(actor=by, action=action, target=membership, request=request, details=_about(membership, details))
    access.forget(user)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, by: Any, request: HttpRequest | None = None) -> None:
    """Take a role away; the person keeps their login and their other roles."""
    details = _about(membership, {"role": membership.role})
    audit_record(actor=by, action=Action.MEMBERSHIP_REVOKED, target=membership, request=request, details=details)
    Membership.objects.filter(pk=membership.pk).delete()
    access.forget(membership.user)


def user_superuser_changed(*, user: Any, by: Any, request: HttpRequest | None = None) -> None:
    """Record that someone's superuser status was switched (the admin's user form does the switch)."""
    audit_record(
        actor=by,
        action=Action.SUPERUSER_CHANGED,
        target=user,
        request=request,
        details={"is_superuser": user.is_superuser},
    )


def _about(membership: Membership, details: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": membership.user_id, "team_id": membership.team_id, **details}
