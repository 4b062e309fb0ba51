"""Start-up configuration: malformed environment values fail loudly with a clear message."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


PRINT_DATABASE_ENGINE = (
    "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
)


def start_with(*command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command (default: load the settings) in a fresh interpreter with exactly these variables."""
    # The browser tests allow async-unsafe ORM calls in this process; a deployment never does.
    unset = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {key: value for key, value in os.environ.items() if key not in unset}
    return subprocess.run(
        [sys.executable, *(command or ("-c", PRINT_DATABASE_ENGINE))],
        env={**clean, "DJANGO_SETTINGS_MODULE": "vocsite.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"SECRET_KEY": "k", "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a URL starting with"),
        ({"SECRET_KEY": "k", "REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL starting with"),
        ({"SECRET_KEY": "k", "SITE_URL": "example.com"}, "SITE_URL must be a URL starting with"),
        ({"SECRET_KEY": "k", "ANSWER_TEXT_MAX_LENGTH": "lots"}, "ANSWER_TEXT_MAX_LENGTH must be a whole number"),
        ({"SECRET_KEY": "k", "HEALTH_HEALTHY_FROM": "30"}, "HEALTH_CRITICAL_BELOW <= HEALTH_HEALTHY_FROM"),
    ],
)
def test_a_malformed_value_stops_start_up_with_a_clear_message(env: dict[str, str], message: str) -> None:
    started = start_with(**env)

    assert started.returncode != 0
    assert message in started.stderr


def test_with_nothing_set_but_debug_it_runs_embedded_on_sqlite() -> None:
    started = start_with(DEBUG="1", REDIS_URL="")

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "django.db.backends.sqlite3"


def test_tooling_runs_without_a_secret_but_serving_refuses() -> None:
    tooling = start_with()
    serving = start_with("-c", "import vocsite.wsgi")

    assert tooling.returncode == 0, tooling.stderr
    assert serving.returncode != 0
    assert "SECRET_KEY is required unless DEBUG=1." in serving.stderr


def test_the_deploy_check_names_a_missing_secret() -> None:
    checked = start_with("manage.py", "check", "--deploy")

    assert checked.returncode != 0
    assert "vocsite.E001" in checked.stderr


PRODUCTION = {
    "SITE_URL": "https://feedback.example.com",
    "DATABASE_URL": "postgres://vocsite@db.example.com:5432/vocsite",
    "REDIS_URL": "redis://redis.example.com:6379/0",
}


def test_the_deploy_check_is_clean_with_production_settings() -> None:
    checked = start_with("manage.py", "check", "--deploy", SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)

    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "System check identified no issues (1 silenced)."
    assert checked.stderr == ""


PRINT_SECURITY = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
)


def test_production_turns_on_hsts_and_https_and_debug_does_not() -> None:
    production = start_with("-c", PRINT_SECURITY, SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)
    debugging = start_with("-c", PRINT_SECURITY, DEBUG="1", **PRODUCTION)

    assert production.stdout.split() == ["31536000", "True", "True", "True"]
    assert debugging.stdout.split() == ["0", "False", "True", "True"]
