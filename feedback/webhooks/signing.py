"""Standard Webhooks signing (https://www.standardwebhooks.com), and secrets kept encrypted at rest.

A secret is `whsec_` and the base64 of 32 random bytes; a signature is `v1,` and the base64 of
HMAC-SHA256 over "{msg id}.{unix timestamp}.{body}" keyed with the decoded secret. Several
signatures (during a rotation) are separated by spaces.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from cryptography.fernet import Fernet
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def secret_new() -> str:
    """A fresh signing secret, shown to the team once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One `v1,<base64>` signature of a message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(*, secrets_: Iterable[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers of a signed message, signed with each secret in turn."""
    signatures = [signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets_]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
    }


def _fernet() -> Fernet:
    # Derived, so that any string (SECRET_KEY by default) can serve as the key.
    digest = hashlib.sha256(b"vocsite-webhook-secrets:" + settings.WEBHOOK_ENCRYPTION_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
