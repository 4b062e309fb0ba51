"""Complaint digests: ranking, changes, quotes, root causes, delivery once, two languages."""

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from feedback import digest_delivery, loop, routing, tagging
from feedback.digests import DigestFilters, digest_content, period_for, scrub
from feedback.models import Answer, DigestDelivery, DigestSubscription, FollowUp, RootCause, SurveyResponse
from tests.conftest import make_contact, make_invitation, make_survey
from tests.realparts import SmtpSink

pytestmark = pytest.mark.django_db

WEEK_START, WEEK_END = date(2026, 11, 9), date(2026, 11, 16)


def complaint(text: str, *, day: date, score: int = 2, language: str = "en") -> SurveyResponse:
    invitation = make_invitation(survey=make_survey(), contact=make_contact(language=language, name="Secret Name"))
    client, path = Client(), f"/s/{invitation.token}/"
    client.post(path, {"page": "1", "q_nps": str(score)})
    client.post(path, {"page": "2", "q_disappointed" if score <= 6 else "q_loved": text})
    client.post(path, {"page": "3"})
    response = SurveyResponse.objects.get(invitation=invitation)
    # What the completion task does after commit (this test's transaction never commits).
    tagging.answers_tag(answer_ids=Answer.objects.filter(response=response).values_list("pk", flat=True))
    routing.response_route(response_id=response.pk)
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    SurveyResponse.objects.filter(pk=response.pk).update(completed_at=when)
    return response


@pytest.fixture
def week() -> dict[str, Any]:
    for day_offset in range(5):
        complaint("The invoice was wrong again this month.", day=WEEK_START + timedelta(days=day_offset))
    complaint("Billing error: call me at +1 415 555 0100 or mail bob@example.com", day=WEEK_START)
    complaint("I waited forty minutes on hold for support.", day=WEEK_START + timedelta(days=1))
    complaint("<script>alert('x')</script> Awful, support never answered.", day=WEEK_START + timedelta(days=2))
    complaint("发票开错了，客服也不回电话。", day=WEEK_START + timedelta(days=3), language="zh-hans")
    complaint("The invoice was wrong.", day=WEEK_START - timedelta(days=3))
    complaint("Great product, wonderful support", day=WEEK_START + timedelta(days=1), score=10)
    resolved = FollowUp.objects.filter(response__answers__text__startswith="The invoice").first()
    chief = resolved.owner
    loop.follow_up_resolve(
        follow_up=resolved, by=chief, root_cause=RootCause.objects.get(name="Billing error"), note="Fixed invoices"
    )
    return {"resolved": resolved}


def test_it_ranks_complaint_themes_with_change_share_quotes_and_root_causes(admin_user: Any, week: dict) -> None:
    content = digest_content(filters=DigestFilters(), start=WEEK_START, end=WEEK_END)

    ranked = [(row["name"], row["count"], row["previous"]) for row in content["themes"]]
    assert ranked[:2] == [("Billing", 7, 1), ("Support", 3, 0)]
    billing, support = content["themes"][:2]
    assert billing["significant"] is True and billing["new"] is False
    assert support["new"] is True
    assert "Support" in content["new_themes"]
    assert content["complaints"] == 9
    assert billing["share"] == 77.8
    assert billing["root_causes"] == [{"name": "Billing error", "name_zh": "账单错误", "n": 1}]
    assert billing["quotes"][0]["text"] == "发票开错了，客服也不回电话。"
    assert "/admin/feedback/surveyresponse/?theme=" in billing["inbox_url"]
    assert content["followed_up"] == 9 and content["resolved"] == 1


def test_quotes_never_carry_names_emails_or_phone_numbers(admin_user: Any, week: dict) -> None:
    content = digest_content(filters=DigestFilters(), start=WEEK_START, end=WEEK_END)

    text = str(content)
    assert "bob@example.com" not in text and "555 0100" not in text
    assert "Secret Name" not in text
    assert scrub("write to a.b@c.io or call 021-6123 4567") == "write to […] or call […]"


def sent_digests(sink: SmtpSink) -> list[EmailMessage]:
    return [m for m in sink.messages if str(m["Subject"]).startswith(("Customer complaints", "客户投诉"))]


def test_a_weekly_digest_is_sent_once_with_inline_charts_and_escaped_quotes(
    admin_user: Any, week: dict, smtp_sink: SmtpSink, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    DigestSubscription.objects.create(email="designer@example.com", cadence="weekly", weekday=0)
    monday = datetime(2026, 11, 16, 8, tzinfo=UTC)

    with django_capture_on_commit_callbacks(execute=True):
        digest_delivery.digests_fan_out(now=monday)
    with django_capture_on_commit_callbacks(execute=True):
        digest_delivery.digests_fan_out(now=monday + timedelta(hours=1))

    messages = sent_digests(smtp_sink)
    assert len(messages) == 1
    message = messages[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(("html",)).get_content()
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2 and all(part["Content-ID"] for part in images)
    assert 'src="cid:themes@vocsite"' in html and "alt=" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert DigestDelivery.objects.get().status == "sent"


def test_a_chinese_digest_renders_in_chinese(admin_user: Any, week: dict) -> None:
    subscription = DigestSubscription.objects.create(email="d@example.com", language="zh-hans")
    content = digest_content(filters=DigestFilters(), start=WEEK_START, end=WEEK_END)

    message = digest_delivery.digest_email(subscription=subscription, content=content)

    assert message.subject.startswith("客户投诉")
    assert "账单" in message.body and "本期新出现" in message.body


def test_an_empty_period_sends_a_short_note_or_nothing_as_chosen(
    admin_user: Any, django_capture_on_commit_callbacks: Any, mailoutbox: list
) -> None:
    DigestSubscription.objects.create(email="note@example.com", cadence="daily", send_when_empty=True)
    DigestSubscription.objects.create(email="quiet@example.com", cadence="daily", send_when_empty=False)

    with django_capture_on_commit_callbacks(execute=True):
        digest_delivery.digests_fan_out(now=timezone.now())

    assert [m.to for m in mailoutbox] == [["note@example.com"]]
    assert "Nothing new" in mailoutbox[0].body
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {"sent", "empty"}


def test_periods_follow_the_cadence() -> None:
    weekly = DigestSubscription(cadence="weekly", weekday=0)
    monthly = DigestSubscription(cadence="monthly")

    assert period_for(weekly, today=date(2026, 11, 18)) == (date(2026, 11, 9), date(2026, 11, 16))
    assert period_for(monthly, today=date(2026, 11, 18)) == (date(2026, 10, 1), date(2026, 11, 1))
    assert period_for(DigestSubscription(cadence="daily"), today=date(2026, 11, 18)) == (
        date(2026, 11, 17),
        date(2026, 11, 18),
    )


def test_the_archive_opens_by_signed_link_only_and_unsubscribe_is_one_click(
    admin_user: Any, week: dict, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = DigestSubscription.objects.create(email="d@example.com", cadence="weekly", weekday=0)
    with django_capture_on_commit_callbacks(execute=True):
        digest_delivery.digests_fan_out(now=datetime(2026, 11, 16, 8, tzinfo=UTC))
    url = digest_delivery.archive_url(subscription).split("testserver.example", 1)[1]
    client = Client()

    listing = client.get(url)
    one = client.get(url, {"period": "2026-11-09"})
    forged = client.get(url[:-3] + "abc/")
    client.post(f"/digests/unsubscribe/{subscription.token}/")

    assert listing.status_code == 200 and "2026" in listing.content.decode()
    assert one.status_code == 200 and "data:image/png;base64," in one.content.decode()
    assert forged.status_code == 404
    subscription.refresh_from_db()
    assert subscription.active is False


def test_the_command_prints_a_digest_for_any_period(admin_user: Any, week: dict) -> None:
    output = StringIO()

    call_command("digest", "--start=2026-11-09", "--end=2026-11-16", stdout=output)

    assert "1. Billing — 7" in output.getvalue()


def test_the_inbox_link_of_a_theme_lists_its_complaints(admin_user: Any, admin_client: Client, week: dict) -> None:
    content = digest_content(filters=DigestFilters(), start=WEEK_START, end=WEEK_END)
    support = next(row for row in content["themes"] if row["name"] == "Support")

    page = admin_client.get(support["inbox_url"].split("testserver.example", 1)[1])

    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == support["count"]
