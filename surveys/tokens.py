"""API tokens: issued and revoked by administrators, shown once, stored as a hash, checked in constant time.

A token reads `voc_1a2b3c4d_<secret>`: the prefix (public, unique) finds the row, the secret
(32 random bytes) is compared with the stored SHA-256 of it. A plain hash is enough here, and
needs no server key whose rotation would void every token: the secret is random and long, so
there is no dictionary to try against a leaked hash.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys import access
from surveys.audit import Action, audit_record
from surveys.models import ApiToken

PREFIX_START = "voc_"
PREFIX_LENGTH = len(PREFIX_START) + 8
SECRET_BYTES = 32
# last_used_at is written at most this often per token, not on every request.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its whole text, which exists only here: show it once, then let it go."""

    token: ApiToken
    text: str


def secret_hash(secret: str) -> str:
    """The SHA-256 of a token's secret, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_issue(
    *,
    user: Any,
    name: str,
    by: Any,
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> IssuedToken:
    """Make a token acting as a staff user; only administrators may; recorded in the audit log."""
    if by is not None and not access.is_administrator(by):
        raise ValidationError({"user": _("Only administrators may create API tokens.")})
    if not (user.is_active and user.is_staff):
        raise ValidationError({"user": _("A token can act only as an active staff member.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = _create_with_fresh_prefix(user=user, name=name, secret=secret, by=by, expires_at=expires_at)
    audit_record(actor=by, action=Action.API_TOKEN_CREATED, target=token, request=request, details={"user_id": user.pk})
    return IssuedToken(token=token, text=f"{token.prefix}_{secret}")


def _create_with_fresh_prefix(*, user: Any, name: str, secret: str, by: Any, expires_at: datetime | None) -> ApiToken:
    # Eight hex characters: a clash is rare but possible; the unique index decides, and we draw again.
    for _attempt in range(5):
        prefix = PREFIX_START + secrets.token_hex(4)
        try:
            with transaction.atomic():
                return ApiToken.objects.create(
                    name=name,
                    user=user,
                    prefix=prefix,
                    secret_hash=secret_hash(secret),
                    created_by=by,
                    expires_at=expires_at,
                )
        except IntegrityError:
            if not ApiToken.objects.filter(prefix=prefix).exists():
                raise
    raise RuntimeError("could not find a free API token prefix")


def api_token_revoke(*, token: ApiToken, by: Any, request: HttpRequest | None = None) -> ApiToken:
    """Revoke a token for good; revoking a revoked token changes nothing and records nothing."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by if getattr(by, "is_authenticated", False) else None
        )
        if revoked:
            audit_record(actor=by, action=Action.API_TOKEN_REVOKED, target=token, request=request)
    token.refresh_from_db()
    return token


class TokenRefused(Exception):
    """A token that does not authenticate, with the reason a caller may be told."""


def api_token_authenticate(text: str, *, now: datetime | None = None) -> ApiToken:
    """The usable token this text stands for (its user loaded), or TokenRefused saying why not."""
    now = now or timezone.now()
    prefix, separator, secret = text[:PREFIX_LENGTH], text[PREFIX_LENGTH : PREFIX_LENGTH + 1], text[PREFIX_LENGTH + 1 :]
    token = None
    if separator == "_" and prefix.startswith(PREFIX_START) and secret:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    # Compared even when no row matched, so a wrong prefix takes as long as a wrong secret.
    expected = token.secret_hash if token is not None else "0" * 64
    if not hmac.compare_digest(expected, secret_hash(secret)) or token is None:
        raise TokenRefused(_("Invalid token."))
    if token.revoked_at is not None:
        raise TokenRefused(_("This token has been revoked."))
    if not token.is_usable(now=now):
        raise TokenRefused(_("This token has expired."))
    if not token.user.is_active:
        raise TokenRefused(_("The user this token acts as is inactive."))
    _note_use(token, now=now)
    return token


def _note_use(token: ApiToken, *, now: datetime) -> None:
    """Record the time of use at most once a minute: a write per request would cost more than it tells."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gte=now - LAST_USED_EVERY).update(last_used_at=now)
    token.last_used_at = now
