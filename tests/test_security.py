"""Security headers, the content security policy and the admin login lockout."""

from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/s/not-a-token/", "/api/v1/surveys/"])
def test_every_page_sends_the_security_headers_and_a_strict_script_policy(client: Client, path: str) -> None:
    page = client.get(path)

    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["X-Frame-Options"] == "DENY"
    assert page["Referrer-Policy"] in {"same-origin", "no-referrer"}
    policy = dict(part.strip().split(" ", 1) for part in page["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"


def test_hsts_is_sent_over_https_when_configured(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000

    page = Client().get("/admin/login/", secure=True)

    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def log_in(client: Client, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": "boss", "password": password})


def test_repeated_wrong_passwords_lock_the_login_with_a_friendly_page(admin_user: AbstractUser, settings: Any) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.50")
    failures = [log_in(attacker, f"guess-{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)]

    locked = log_in(attacker, "a-long-password-1")

    assert failures == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert locked.status_code == 429
    assert locked["Retry-After"] == "1800"
    body = locked.content.decode()
    assert "Too many failed logins" in body
    assert "Please try again in 30 minutes." in body
    assert "_auth_user_id" not in attacker.session


def test_a_lockout_at_one_address_does_not_lock_the_administrator_out_elsewhere(
    admin_user: AbstractUser, settings: Any
) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.51")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(attacker, f"guess-{n}")

    office = log_in(Client(REMOTE_ADDR="198.51.100.20"), "a-long-password-1")

    assert office.status_code == 302
    assert office["Location"] == "/admin/"


def test_a_successful_login_forgets_earlier_failures(admin_user: AbstractUser, settings: Any) -> None:
    person = Client(REMOTE_ADDR="198.51.100.21")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(person, f"typo-{n}")
    log_in(person, "a-long-password-1")
    person.logout()

    again = [log_in(person, f"typo-again-{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT - 1)]

    assert again == [200] * (settings.AXES_FAILURE_LIMIT - 1)
