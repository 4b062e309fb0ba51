"""Writing the audit log: one row per sensitive action, with who, when, what and from where."""

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from surveys.models import AuditEvent

Action = AuditEvent.Action


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Model | None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; details carry ids and counts, never names or addresses."""
    person = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=person,
        actor_name=person.get_username() if person is not None else "",
        action=Action(action),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        details=details or {},
        ip_address=_address(request),
        source=_source(request),
    )


def _address(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is whatever the client chose to send, unless a
    # proxy in front is trusted to set it, and then that proxy's setup decides REMOTE_ADDR.
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def _source(request: HttpRequest | None) -> str:
    if request is None:
        return AuditEvent.Source.SYSTEM
    if request.path.startswith("/api/"):
        return AuditEvent.Source.API
    if request.path.startswith("/admin/"):
        return AuditEvent.Source.ADMIN
    return AuditEvent.Source.STAFF_PAGE
