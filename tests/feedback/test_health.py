"""Customer health end to end: scores from stored answers, incremental recompute, history, alerts
that open proactive follow-ups through the closed loop, and the pages and API that show it all."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.answering import response_save_page
from feedback.health import services
from feedback.health.marks import health_mark
from feedback.models import (
    AlertRule,
    FollowUp,
    HealthAlert,
    HealthDirty,
    HealthHistory,
    HealthScore,
    StaffProfile,
    SurveyResponse,
)
from feedback.tasks import feedback_tick
from surveys import services as survey_services
from surveys.models import Account, Contact, Invitation, Survey
from tests.conftest import make_contact
from tests.tokens import token_for

pytestmark = pytest.mark.django_db
User = get_user_model()


def make_staff(username: str, **fields: Any) -> Any:
    return User.objects.create_user(username, f"{username}@corp.example", "a-long-password-1", is_staff=True, **fields)


def make_scored_survey(**fields: Any) -> Survey:
    questions = [
        {"key": "nps", "kind": "nps", "text_en": "Recommend?", "position": 0},
        {"key": "csat", "kind": "csat", "text_en": "Satisfied?", "position": 1},
        {"key": "ces", "kind": "ces", "text_en": "Easy?", "position": 2},
    ]
    survey = survey_services.survey_create(name="Scores", content={"title_en": "Scores", **fields}, questions=questions)
    return survey_services.survey_publish(survey=survey)


def answer(survey: Survey, contact: Contact, *, nps: int, csat: int, ces: int, days_ago: float = 0) -> SurveyResponse:
    """A contact answers; with days_ago the invitation and answer are moved into the past."""
    invitation = survey_services.invitation_create_personal(survey=survey, contact=contact)
    data = {"q_nps": [str(nps)], "q_csat": [str(csat)], "q_ces": [str(ces)]}
    saved = response_save_page(token=invitation.token, page=1, data=data, language="en")
    when = timezone.now() - timedelta(days=days_ago)
    SurveyResponse.objects.filter(pk=saved.response_id).update(completed_at=when, started_at=when, updated_at=when)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=when - timedelta(hours=1), responded_at=when)
    return SurveyResponse.objects.get(pk=saved.response_id)


def refresh(*accounts: Account) -> int:
    """What the after-commit task and the tick do: recompute the marked, then run the alert rules."""
    health_mark(account_ids=[account.pk for account in accounts])
    return services.health_refresh_dirty()


def points(score: HealthScore) -> dict[str, float]:
    return {part["key"]: part["points"] for part in score.breakdown}


@pytest.fixture
def boss(db: Any) -> Any:
    return User.objects.create_superuser("chief", "chief@corp.example", "a-long-password-1")


@pytest.fixture
def survey() -> Survey:
    return make_scored_survey()


def test_an_account_is_scored_from_its_contacts_latest_answers_and_each_input_is_stored(survey: Survey) -> None:
    account = Account.objects.create(name="Northwind")
    fan, critic = make_contact(account=account), make_contact(account=account)
    answer(survey, fan, nps=3, csat=2, ces=2, days_ago=30)
    answer(survey, fan, nps=10, csat=5, ces=7, days_ago=3)  # only the latest answer of each kind counts
    answer(survey, critic, nps=8, csat=3, ces=4, days_ago=5)

    services.health_recompute(account_ids=[account.pk], contact_ids=[fan.pk])

    health = HealthScore.objects.get(account=account)
    # Latest: a promoter and a passive (net +0.5), the same for CSAT and CES; every answer answered.
    assert points(health) == {
        "nps_latest": 10.0,
        "nps_trend": 0.0,
        "csat_latest": 5.0,
        "csat_trend": 0.0,
        "ces_latest": 3.0,
        "ces_trend": 0.0,
        "sentiment": 0.0,
        "open_follow_ups": 0.0,
        "overdue_follow_ups": 0.0,
        "response_rate": 5.0,
        "silence": 0.0,
    }
    assert (health.score, health.band) == (73, "healthy")
    assert HealthScore.objects.get(contact=fan).score == 50 + 20 + 10 + 6 + 5
    assert list(HealthHistory.objects.filter(account=account).values_list("score", flat=True)) == [73]


def test_an_account_with_no_answers_gets_the_baseline_and_silence_counts_once_it_was_asked(survey: Survey) -> None:
    quiet = Account.objects.create(name="Quiet Co")
    asked = Account.objects.create(name="Asked Co")
    invitation = survey_services.invitation_create_personal(survey=survey, contact=make_contact(account=asked))
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=400))

    services.health_recompute(account_ids=[quiet.pk, asked.pk])

    untouched = HealthScore.objects.get(account=quiet)
    assert (untouched.score, untouched.band) == (50, "at_risk")
    assert set(points(untouched).values()) == {0.0}
    silent = HealthScore.objects.get(account=asked)
    # Asked 400 days ago, never answered: the whole silence weight; the invitation is too old for the rate.
    assert points(silent)["silence"] == -10.0
    assert (silent.score, silent.band) == (40, "at_risk")


def test_recomputing_touches_only_the_marked_accounts_in_a_fixed_number_of_queries(
    survey: Survey, django_assert_num_queries: Any
) -> None:
    AlertRule.objects.update(active=False)  # the rules' own queries are counted elsewhere
    accounts = [Account.objects.create(name=f"Account {n}") for n in range(6)]
    for account in accounts:
        answer(survey, make_contact(account=account), nps=9, csat=4, ces=6, days_ago=2)
    services.health_recompute(account_ids=[a.pk for a in accounts])
    before = dict(HealthScore.objects.values_list("account_id", "computed_at"))
    changed = accounts[0]
    answer(survey, Contact.objects.get(account=changed), nps=1, csat=1, ces=1, days_ago=0)
    health_mark(account_ids=[changed.pk])

    with django_assert_num_queries(18):
        refreshed = services.health_refresh_dirty()

    assert refreshed == 1
    after = dict(HealthScore.objects.values_list("account_id", "computed_at"))
    assert [pk for pk in after if after[pk] != before[pk]] == [changed.pk]
    assert not HealthDirty.objects.exists()
    # Five changed accounts cost the same queries as one: nothing is read or written per account.
    for account in accounts[1:]:
        answer(survey, Contact.objects.get(account=account), nps=1, csat=1, ces=1, days_ago=0)
    health_mark(account_ids=[a.pk for a in accounts[1:]])
    with django_assert_num_queries(18):
        assert services.health_refresh_dirty() == 5


def test_the_tick_recomputes_every_score_once_a_day_and_history_keeps_one_row_per_changed_day(
    survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    account = Account.objects.create(name="Decaying")
    answer(survey, make_contact(account=account), nps=10, csat=5, ces=7, days_ago=1)

    with django_capture_on_commit_callbacks(execute=True):
        first = feedback_tick()
        again = feedback_tick()
    HealthScore.objects.update(computed_at=F("computed_at") - timedelta(days=2))
    HealthHistory.objects.update(day=F("day") - timedelta(days=2))
    SurveyResponse.objects.update(completed_at=F("completed_at") - timedelta(days=200))
    Invitation.objects.update(sent_at=F("sent_at") - timedelta(days=200))
    with django_capture_on_commit_callbacks(execute=True):
        later = feedback_tick()

    # The routing sweep finds the answer (its task never ran) and marks its contact and account.
    assert (first["routed"], first["health_refreshed"]) == (1, 2)
    assert again["health_refreshed"] == 0  # nothing changed, nothing recomputed
    assert later["health_refreshed"] == 2  # a day later both scores are recomputed: time alone moves them
    scores = list(HealthHistory.objects.filter(account=account).order_by("day").values_list("score", flat=True))
    # 50 + 36 for the latest answers; 201 days later silence costs 10 x (201 - 90) / 270 = 4.1 points.
    assert scores == [86, 82]
    health = HealthScore.objects.get(account=account)
    assert health.change_30d == -4
    assert health.moved == [{"key": "silence", "points": -4.1}]


def test_a_scripted_decline_opens_exactly_one_proactive_follow_up_assigned_and_escalated_like_any_other(
    boss: Any, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    owner, manager = make_staff("sam", first_name="Sam"), make_staff("mia")
    StaffProfile.objects.create(user=owner, manager=manager)
    account = Account.objects.create(name="Contoso", owner=owner, tier="enterprise", annual_revenue=Decimal(120000))
    first, second = make_contact(account=account), make_contact(account=account)
    answer(survey, first, nps=10, csat=5, ces=7, days_ago=40)
    answer(survey, second, nps=9, csat=5, ces=6, days_ago=25)
    for days_ago in (24, 10):
        services.health_recompute(account_ids=[account.pk], now=timezone.now() - timedelta(days=days_ago))
    assert HealthScore.objects.get(account=account).score == 91

    # Then, within a week, both contacts answer unhappily (the real flow: tasks run after commit).
    for contact in (first, second):
        invitation = survey_services.invitation_create_personal(survey=survey, contact=contact)
        with django_capture_on_commit_callbacks(execute=True):
            response_save_page(
                token=invitation.token, page=1, data={"q_nps": ["2"], "q_csat": ["1"], "q_ces": ["2"]}, language="en"
            )
    with django_capture_on_commit_callbacks(execute=True):
        feedback_tick()
        feedback_tick()

    proactive = FollowUp.objects.get(alert__isnull=False)
    assert (proactive.owner, proactive.account, proactive.contact, proactive.response) == (owner, account, None, None)
    assert proactive.priority == "high"
    assert proactive.due_at == pytest.approx(proactive.created_at + timedelta(hours=72), abs=timedelta(seconds=5))
    assert [event.kind for event in proactive.events.all()][:2] == ["created", "assigned"]
    alerts = HealthAlert.objects.order_by("pk")
    assert [alert.rule.kind for alert in alerts] == ["health_drop", "detractors"]
    assert alerts[0].follow_up == proactive
    assert alerts[1].attached_to == proactive  # the second warning joins the open case
    assert alerts[0].details == {"high": 91, "score": alerts[0].details["score"], "days": 30}
    assert alerts[0].details["score"] <= 71
    assert FollowUp.objects.filter(response__isnull=False, owner=owner).count() == 2  # the answers' own cases
    told = [m for m in mail.outbox if f"#{proactive.pk} is yours" in m.subject]
    assert [m.to for m in told] == [["sam@corp.example"]]
    assert "Account: Contoso" in told[0].body and "Health fell from 91" in told[0].body

    # Overdue: it escalates up the owner's chain through the loop's own tick, like any follow-up.
    mail.outbox.clear()
    FollowUp.objects.filter(pk=proactive.pk).update(
        due_at=timezone.now() - timedelta(hours=1), next_escalation_at=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        feedback_tick()
        feedback_tick()

    proactive.refresh_from_db()
    assert proactive.escalation_level == 1
    assert [m.to for m in mail.outbox if "Escalated" in m.subject and f"#{proactive.pk}" in m.subject] == [
        ["mia@corp.example"]
    ]
    assert FollowUp.objects.filter(alert__isnull=False).count() == 1
    assert HealthAlert.objects.count() == 2
    whole = StringIO()
    call_command("loop_check", "--grace-minutes=0", stdout=whole)
    assert "The closed loop is whole." in whole.getvalue()
    # Every page that shows follow-ups copes with one that has no response.
    staff = Client()
    staff.force_login(boss)
    case = staff.get(f"/admin/feedback/followup/{proactive.pk}/change/")
    assert case.status_code == 200 and "Why this proactive follow-up" in case.content.decode()
    assert staff.get("/admin/feedback/followup/", {"origin": "alert"}).status_code == 200
    assert staff.get("/staff/dashboard/").status_code == 200
    api = APIClient()
    api.force_authenticate(boss)
    shown = api.get(f"/api/v1/follow-ups/{proactive.pk}/").json()
    assert (shown["response"], shown["alert"], shown["account"]) == (None, alerts[0].pk, account.pk)
    assert api.get("/api/v1/follow-ups/", {"account": account.pk}).json()["count"] == 3


def test_an_alert_fires_once_per_rule_account_and_period(boss: Any, survey: Survey) -> None:
    AlertRule.objects.exclude(kind="renewal_at_risk").update(active=False)
    account = Account.objects.create(name="Renewing", renewal_date=timezone.localdate() + timedelta(days=30))

    refresh(account)
    refresh(account)
    Account.objects.filter(pk=account.pk).update(renewal_date=timezone.localdate() + timedelta(days=45))
    refresh(account)

    alerts = HealthAlert.objects.filter(account=account).order_by("pk")
    assert [alert.period for alert in alerts] == [
        timezone.localdate() + timedelta(days=30),
        timezone.localdate() + timedelta(days=45),
    ]
    assert FollowUp.objects.filter(account=account, alert__isnull=False).count() == 1  # the second joined it
    assert alerts[0].follow_up.owner == boss  # no account owner: the fallback owner
    assert alerts[0].summary() == f"Renews on {alerts[0].period.isoformat()} with health 50."


def test_an_account_that_stopped_answering_is_flagged_once_per_silence(boss: Any, survey: Survey) -> None:
    AlertRule.objects.exclude(kind="silence").update(active=False)
    account = Account.objects.create(name="Gone quiet")
    contact = make_contact(account=account)
    answer(survey, contact, nps=9, csat=4, ces=6, days_ago=150)
    asked = survey_services.invitation_create_personal(survey=survey, contact=contact)
    Invitation.objects.filter(pk=asked.pk).update(sent_at=timezone.now() - timedelta(days=30))

    refresh(account)
    refresh(account)

    alert = HealthAlert.objects.get(account=account)
    assert alert.details["silent_days"] == 150
    assert alert.follow_up.is_open()


def test_routing_prefers_the_account_owner_and_keeps_the_contacts_own_owner_without_one(
    boss: Any, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    account_owner, own_owner = make_staff("acc"), make_staff("own")
    with_account = make_contact(account=Account.objects.create(name="A", owner=account_owner), account_owner=own_owner)
    without = make_contact(account_owner=own_owner)
    ownerless_account = make_contact(account=Account.objects.create(name="B"), account_owner=own_owner)

    owners = []
    for contact in (with_account, without, ownerless_account):
        invitation = survey_services.invitation_create_personal(survey=survey, contact=contact)
        with django_capture_on_commit_callbacks(execute=True):
            saved = response_save_page(
                token=invitation.token, page=1, data={"q_nps": ["1"], "q_csat": ["1"], "q_ces": ["1"]}, language="en"
            )
        follow_up = FollowUp.objects.get(response_id=saved.response_id)
        owners.append((follow_up.owner, follow_up.account_id))

    assert owners == [
        (account_owner, with_account.account_id),
        (own_owner, None),
        (own_owner, ownerless_account.account_id),
    ]


def test_the_account_page_shows_health_inputs_trend_contacts_answers_and_follow_ups(
    admin_client: Client, survey: Survey
) -> None:
    account = Account.objects.create(name="Shown Ltd", tier="team", annual_revenue=Decimal("5000.00"))
    contact = make_contact(account=account, name="Wen Li")
    answer(survey, contact, nps=2, csat=1, ces=1, days_ago=3)
    services.health_rebuild_history(account_ids=[account.pk], days=28)

    page = admin_client.get(f"/admin/surveys/account/{account.pk}/change/")
    listed = admin_client.get("/admin/surveys/account/", {"band": "at_risk_or_worse"})
    at_risk = admin_client.get("/staff/accounts/at-risk/", {"sort": "decline"})
    bad_sort = admin_client.get("/staff/accounts/at-risk/", {"sort": "nonsense"})
    chinese = admin_client.get(f"/admin/surveys/account/{account.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert page.status_code == 200
    body = page.content.decode()
    for shown in ["NPS of the latest answers", "Time since the last answer", "Wen Li", "Health by week", "<svg"]:
        assert shown in body
    assert listed.status_code == 200 and "Shown Ltd" in listed.content.decode()
    assert at_risk.status_code == 200 and "Shown Ltd" in at_risk.content.decode()
    assert bad_sort.status_code == 400
    assert "最新回答的 NPS" in chinese.content.decode() and "分数的构成" in chinese.content.decode()
    assert admin_client.get("/admin/feedback/healthweight/").status_code == 200
    assert admin_client.get("/admin/feedback/alertrule/").status_code == 200
    assert admin_client.get("/admin/feedback/healthalert/").status_code == 200
    assert admin_client.get("/admin/surveys/account/add/").status_code == 200


def test_staff_edit_the_weights_in_admin_and_every_score_is_recomputed(
    admin_client: Client, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    account = Account.objects.create(name="Weighed")
    answer(survey, make_contact(account=account), nps=10, csat=5, ces=7, days_ago=1)
    services.health_recompute(account_ids=[account.pk])
    from feedback.models import HealthWeight

    rows = list(HealthWeight.objects.order_by("pk"))
    form = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for index, row in enumerate(rows):
        form[f"form-{index}-id"] = str(row.pk)
        form[f"form-{index}-points"] = "40" if row.key == "nps_latest" else str(row.points)

    with django_capture_on_commit_callbacks(execute=True):
        saved = admin_client.post("/admin/feedback/healthweight/", form)

    assert saved.status_code == 302
    health = HealthScore.objects.get(account=account)
    assert points(health)["nps_latest"] == 40.0
    assert health.score == 100
    assert HealthWeight.objects.get(key="nps_latest").edited_at is not None


@pytest.fixture
def api(boss: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(boss)}")
    return client


def test_accounts_health_history_and_alerts_over_the_api(
    api: APIClient, boss: Any, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/accounts/",
            {"name": "Api Corp", "owner": boss.pk, "tier": "business", "annual_revenue": "900.50"},
            format="json",
        )
    assert created.status_code == 201, created.json()
    account_id = created.json()["id"]
    contact = api.post("/api/v1/contacts/", {"email": "buyer@api.example", "account": account_id}, format="json")
    assert contact.status_code == 201 and contact.json()["account"] == account_id
    answer(survey, Contact.objects.get(pk=contact.json()["id"]), nps=0, csat=1, ces=1, days_ago=1)
    services.health_recompute(account_ids=[account_id])

    detail = api.get(f"/api/v1/accounts/{account_id}/").json()
    listing = api.get("/api/v1/accounts/", {"band": "critical", "ordering": "-annual_revenue"}).json()
    at_risk = api.get("/api/v1/accounts/at-risk/", {"sort": "tier"}).json()
    history = api.get(f"/api/v1/accounts/{account_id}/health-history/").json()
    scores = api.get("/api/v1/health-scores/", {"subject": "account"}).json()

    assert detail["contacts_count"] == 1
    assert (detail["health"]["score"], detail["health"]["band"]) == (14, "critical")
    assert {row["key"]: row["points"] for row in detail["health"]["inputs"]}["nps_latest"] == -20.0
    assert detail["health"]["inputs"][0]["label"] == "NPS of the latest answers"
    assert [row["name"] for row in listing["results"]] == ["Api Corp"]
    assert [row["name"] for row in at_risk["results"]] == ["Api Corp"]
    assert [row["score"] for row in history["results"]] == [detail["health"]["score"]]
    assert [row["account"] for row in scores["results"]] == [account_id]
    alerts = api.get("/api/v1/health-alerts/", {"account": account_id, "kind": "renewal_at_risk"})
    assert alerts.status_code == 200 and alerts.json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/accounts/", {"name": "Neg", "annual_revenue": "-5"}, "annual_revenue"),
        ("post", "/api/v1/accounts/", {"name": "Bad tier", "tier": "platinum"}, "tier"),
        ("post", "/api/v1/accounts/", {"name": "Attrs", "attributes": [1, 2]}, "attributes"),
        ("get", "/api/v1/accounts/", {"band": "sunny"}, "band"),
        ("get", "/api/v1/accounts/at-risk/", {"sort": "mood"}, "sort"),
        ("get", "/api/v1/health-alerts/", {"kind": "earthquake"}, "kind"),
        ("get", "/api/v1/metrics/", {"touchpoint": "999999"}, "touchpoint"),
    ],
)
def test_bad_input_to_the_health_api_gets_a_400_naming_the_field(
    api: APIClient, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    answer_ = getattr(api, method)(path, body, format="json") if method == "post" else api.get(path, body)

    assert answer_.status_code == 400
    assert field in answer_.json()


def test_a_duplicate_account_name_and_a_bad_history_window_get_a_400(api: APIClient) -> None:
    account = Account.objects.create(name="Twice")

    duplicate = api.post("/api/v1/accounts/", {"name": "twice"}, format="json")
    window = api.get(f"/api/v1/accounts/{account.pk}/health-history/", {"since": "2026-05-01", "until": "2026-04-01"})
    garbage = api.get(f"/api/v1/accounts/{account.pk}/health-history/", {"since": "yesterday"})

    assert duplicate.status_code == 400 and "name" in duplicate.json()
    assert window.status_code == 400 and "until" in window.json()
    assert garbage.status_code == 400 and "since" in garbage.json()


def test_the_openapi_schema_describes_the_health_endpoints(api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in [
        "/api/v1/accounts/",
        "/api/v1/accounts/at-risk/",
        "/api/v1/accounts/{id}/health-history/",
        "/api/v1/health-scores/",
        "/api/v1/health-alerts/",
        "/api/v1/touchpoints/",
    ]:
        assert path in schema["paths"], path
    account = schema["components"]["schemas"]["Account"]["properties"]
    assert {"health", "tier", "annual_revenue", "renewal_date", "owner"} <= set(account)


def test_an_answer_whose_completion_task_was_lost_reaches_health_through_the_routing_sweep(
    boss: Any, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    account = Account.objects.create(name="Lost message")
    contact = make_contact(account=account)
    response = answer(survey, contact, nps=0, csat=1, ces=1, days_ago=0)  # no task ran: nothing committed
    SurveyResponse.objects.filter(pk=response.pk).update(completed_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        feedback_tick()

    assert HealthScore.objects.get(contact=contact).band == "critical"
    assert points(HealthScore.objects.get(account=account))["nps_latest"] == -20.0


def test_a_fall_counts_from_the_score_that_stood_when_the_window_began(boss: Any, survey: Survey) -> None:
    AlertRule.objects.exclude(kind="health_drop").update(active=False)
    account = Account.objects.create(name="Long steady")
    contact = make_contact(account=account)
    answer(survey, contact, nps=10, csat=5, ces=7, days_ago=60)
    services.health_recompute(account_ids=[account.pk], now=timezone.now() - timedelta(days=40))
    assert list(HealthHistory.objects.filter(account=account).values_list("score", flat=True)) == [91]

    answer(survey, contact, nps=1, csat=1, ces=1, days_ago=1)
    services.health_recompute(account_ids=[account.pk])  # stored without the rules: 19 is already "before"
    refresh(account)

    alert = HealthAlert.objects.get(account=account)
    assert alert.details == {"high": 91, "score": 19, "days": 30}
