"""Webhooks over https: a real TLS receiver on 127.0.0.1 with a certificate made for the test.

The host name resolves (through the resolver seam) to 127.0.0.1, so delivery connects to the
address it checked while the TLS handshake checks the certificate against the host name. The
test's certificate authority is trusted through WEBHOOK_CA_FILE, as an on-premise install with
an internal authority would do.
"""

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook

from feedback.models import WebhookMessage
from feedback.webhooks import addresses, services
from surveys.models import Team
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db
HOST = "hooks.corp.test"


def certificate_for(name: str, folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate (its own authority) for one DNS name, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / f"{name}.crt", folder / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def tls_receiver(cert_file: Path, key_file: Path) -> Receiver:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return Receiver(tls=context).start()


@pytest.fixture
def team(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Team:
    """A team, with the test's host name resolving to 127.0.0.1 (a private address, so allowed)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["127.0.0.1"] if host == HOST else [])
    return Team.objects.create(name="North")


@pytest.fixture
def trusted(tmp_path: Path, settings: Any) -> Iterator[Receiver]:
    """An https receiver for HOST whose certificate the settings trust."""
    cert_file, key_file = certificate_for(HOST, tmp_path)
    settings.WEBHOOK_CA_FILE = str(cert_file)
    receiver = tls_receiver(cert_file, key_file)
    yield receiver
    receiver.stop()


def ping(team: Team, port: int, captured: Any) -> tuple[WebhookMessage, str]:
    subscription, secret = services.webhook_subscription_create(
        team=team, url=f"https://{HOST}:{port}/hooks", events=["response.completed"], by=None
    )
    with captured(execute=True):
        message = services.webhook_subscription_ping(subscription=subscription)
    message.refresh_from_db()
    return message, secret


def test_an_https_receiver_gets_the_signed_message_at_the_address_that_was_checked(
    team: Team, trusted: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    message, secret = ping(team, trusted.port, django_capture_on_commit_callbacks)

    [received] = trusted.received()
    assert received.headers["Host"] == f"{HOST}:{trusted.port}"
    assert Webhook(secret).verify(received.body, received.headers)["type"] == "webhook.ping"
    assert message.status == WebhookMessage.Status.DELIVERED
    assert message.attempt_log.get().status_code == 200


def test_a_certificate_for_another_name_gets_nothing(
    team: Team, tmp_path: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cert_file, key_file = certificate_for("other.corp.test", tmp_path)
    settings.WEBHOOK_CA_FILE = str(cert_file)
    receiver = tls_receiver(cert_file, key_file)
    try:
        message, _secret = ping(team, receiver.port, django_capture_on_commit_callbacks)
    finally:
        receiver.stop()

    assert receiver.received() == []
    attempt = message.attempt_log.get()
    assert attempt.status_code is None
    assert "certificate" in attempt.error.lower() or "hostname" in attempt.error.lower()
    assert message.status != WebhookMessage.Status.DELIVERED


def test_a_certificate_no_trusted_authority_signed_gets_nothing(
    team: Team, trusted: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_CA_FILE = None  # the system's authorities: none of them made the test's certificate

    message, _secret = ping(team, trusted.port, django_capture_on_commit_callbacks)

    assert trusted.received() == []
    assert "certificate" in message.attempt_log.get().error.lower()
