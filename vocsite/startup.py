"""Checks that must pass before vocsite serves requests or runs a worker."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_MESSAGE = "SECRET_KEY is required unless DEBUG=1."  # noqa: S105 - a message, not a secret


def require_secret_key() -> None:
    """Refuse to serve or work with the placeholder key (called by wsgi, asgi and Celery)."""
    if settings.SECRET_KEY_MISSING:
        raise ImproperlyConfigured(MISSING_SECRET_MESSAGE)


@register(deploy=True)
def secret_key_check(app_configs: object, **kwargs: object) -> list[CheckMessage]:
    """`manage.py check --deploy` names the missing secret."""
    return [Error(MISSING_SECRET_MESSAGE, id="vocsite.E001")] if settings.SECRET_KEY_MISSING else []
