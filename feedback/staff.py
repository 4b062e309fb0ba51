"""Staff users as the API manages them: created with a profile, changed, deactivated (never deleted)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from feedback.models import StaffProfile
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
    audit_record(actor=by, action=Action.STAFF_DEACTIVATED, target=user, request=request)
    return user
