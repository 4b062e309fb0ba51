"""The demo command seeds a realistic, bilingual survey once and prints where to go."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from feedback import dashboard, metrics
from feedback.models import FollowUp, HealthAlert, HealthHistory, SurveyResponse
from surveys.models import Account, Contact, Membership, Survey

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_once_and_prints_the_urls_and_login() -> None:
    output = StringIO()

    call_command("demo", "--no-serve", stdout=output)
    call_command("demo", "--no-serve", stdout=StringIO())

    demo = Survey.objects.get(name="Demo: customer NPS")
    responses = SurveyResponse.objects.filter(survey=demo)
    assert demo.status == "live"
    assert responses.completed().count() == 36
    assert set(responses.values_list("language", flat=True)) == {"en", "zh-hans"}
    printed = output.getvalue()
    assert "Login:          admin / vocsite-demo" in printed
    assert printed.count("?score=9") == 2
    # Accounts with health, a trend line, and a proactive follow-up for the one whose health fell.
    northwind = Account.objects.select_related("health").get(name="Northwind Trading")
    assert Account.objects.filter(health__isnull=False).count() == 4
    assert northwind.health.band in {"at_risk", "critical"} and northwind.health.change_30d < -20
    assert HealthHistory.objects.filter(account=northwind).count() >= 4
    drop = HealthAlert.objects.get(account=northwind, rule__kind="health_drop")
    assert FollowUp.objects.get(alert=drop).owner.username == "admin"
    assert set(Survey.objects.exclude(touchpoint=None).values_list("touchpoint__key", flat=True)) == {
        "product_use",
        "support",
        "onboarding",
    }
    stages = dashboard.touchpoint_overview(filters=metrics.MetricFilters())["rows"]
    assert [row["name"] for row in stages if row["weakest_csat"]] == ["Support"]


def test_the_readmes_first_command_runs_on_the_embedded_defaults(tmp_path: Path) -> None:
    # The embedded default is SQLite with tasks in-process: the same demo, from a clean environment.
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", EMAIL_URL=f"file://{tmp_path / 'mail'}")

    run = subprocess.run(
        [sys.executable, "manage.py", "demo", "--no-serve"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "Login:          admin / vocsite-demo" in run.stdout


def test_the_demo_team_has_a_person_in_every_role_and_owns_the_demo() -> None:
    output = StringIO()

    call_command("demo", "--no-serve", stdout=output)

    demo = Survey.objects.get(name="Demo: customer NPS")
    roles = dict(Membership.objects.filter(team=demo.team).values_list("user__username", "role"))
    assert demo.team.name == "Customer care"
    assert roles == {"manager": "manager", "agent": "agent", "designer": "designer", "viewer": "viewer"}
    assert set(Contact.objects.values_list("team__name", flat=True)) == {"Customer care"}
    # The agent owns the customers' accounts, so their follow-ups are the agent's.
    assert set(Contact.objects.values_list("account_owner__username", flat=True)) == {"agent"}
    printed = output.getvalue()
    assert "Team logins (Customer care, same password):" in printed
    assert "    designer  designer: digests and aggregated metrics, never a customer's details" in printed
