"""Retention: each class of personal data is redacted once older than its window, in batches, idempotently."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from feedback.digest_delivery import archive_url
from feedback.models import Answer, DigestDelivery, FollowUp, FollowUpEvent, FollowUpNotification, SurveyResponse
from surveys.models import (
    Contact,
    ContactErasure,
    ContactImport,
    InvitationEmail,
    SuppressedAddress,
    Survey,
)
from tests.conftest import make_contact, make_invitation
from tests.privacy.conftest import Story, figures
from vocsite.celery import app as celery_app
from vocsite.privacy.registry import REDACTED
from vocsite.privacy.retention import retention_run
from vocsite.tasks import privacy_retention

pytestmark = pytest.mark.django_db

NOTHING = dict.fromkeys(settings.RETENTION_DAYS, 0)


def ago(days: int) -> Any:
    return timezone.now() - timedelta(days=days)


def old_comment(survey: Survey, text: str, *, days: int) -> Answer:
    """A completed response with one free-text answer given that many days ago."""
    invitation = make_invitation(survey=survey)
    response = SurveyResponse.objects.create(
        invitation=invitation,
        survey=survey,
        survey_version=survey.version,
        contact=invitation.contact,
        status="completed",
        started_at=ago(days),
        updated_at=ago(days),
        completed_at=ago(days),
    )
    question = survey.current_questions().get(key="disappointed")
    return Answer.objects.create(
        response=response, question=question, text=text, key_phrases=[text.split()[0]], answered_at=ago(days)
    )


def test_free_text_past_its_window_is_blanked_batch_by_batch_and_a_rerun_changes_nothing(
    survey: Survey, django_assert_num_queries: Any
) -> None:
    old = [old_comment(survey, f"Old complaint number {n}", days=800) for n in range(5)]
    recent = old_comment(survey, "A complaint from last month", days=30)
    windows = {**NOTHING, "free_text": 730}

    with django_assert_num_queries(3):
        report = retention_run(now=timezone.now(), batch_size=2, windows=windows)
    with django_assert_num_queries(1):
        rerun = retention_run(now=timezone.now(), batch_size=2, windows=windows)

    assert (report.changed, report.batches, report.finished) == ({"feedback.Answer.free_text": 5}, 3, True)
    assert rerun.changed == {"feedback.Answer.free_text": 0}
    erased = Answer.objects.filter(pk__in=[answer.pk for answer in old]).values_list("text", "key_phrases")
    assert [(text, phrases) for text, phrases in erased] == [("", [])] * 5
    assert Answer.objects.get(pk=recent.pk).text == "A complaint from last month"


def test_a_run_stops_after_its_batch_budget_and_the_next_one_carries_on(survey: Survey) -> None:
    for n in range(3):
        old_comment(survey, f"Old complaint number {n}", days=800)
    windows = {**NOTHING, "free_text": 730}

    first = retention_run(now=timezone.now(), batch_size=1, max_batches=2, windows=windows)
    second = retention_run(now=timezone.now(), batch_size=1, max_batches=10, windows=windows)

    assert (first.changed, first.finished) == ({"feedback.Answer.free_text": 2}, False)
    assert (second.changed, second.finished) == ({"feedback.Answer.free_text": 1}, True)
    assert Answer.objects.exclude(text="").count() == 0


def test_notes_of_closed_cases_go_after_their_window_and_open_cases_keep_theirs(ada: Story, grace: Story) -> None:
    FollowUp.objects.update(created_at=ago(800))
    FollowUpEvent.objects.update(at=ago(800))
    FollowUp.objects.filter(pk=grace.follow_up.pk).update(status=FollowUp.Status.IN_PROGRESS)

    retention_run(now=timezone.now(), windows={**NOTHING, "staff_notes": 730})

    closed, still_open = FollowUp.objects.get(pk=ada.follow_up.pk), FollowUp.objects.get(pk=grace.follow_up.pk)
    assert (closed.resolution_note, closed.shared_note) == (REDACTED, REDACTED)
    assert still_open.resolution_note == "Refunded Grace's invoice"
    notes = FollowUpEvent.objects.filter(follow_up=closed).exclude(note="").order_by("pk")
    assert list(notes.values_list("kind", "note")) == [
        ("created", "Every unhappy customer"),
        ("call", REDACTED),
        ("email", REDACTED),
        ("status", REDACTED),
        ("customer_told", REDACTED),
    ]
    assert FollowUpEvent.objects.get(follow_up=still_open, kind="call").note == "Called Grace on +1 202 555 0199"


def test_sent_emails_lose_their_addresses_and_text_and_mail_server_replies_go_sooner(ada: Story, grace: Story) -> None:
    FollowUpNotification.objects.filter(follow_up=ada.follow_up).update(created_at=ago(200))
    InvitationEmail.objects.update(due_at=ago(100))
    waiting = InvitationEmail.objects.create(
        invitation=ada.invitation, sequence=1, due_at=ago(100), last_error="421 try later"
    )

    retention_run(now=timezone.now(), windows={**NOTHING, "email_content": 180, "delivery_errors": 90})

    old = FollowUpNotification.objects.filter(follow_up=ada.follow_up)
    assert set(old.values_list("recipient", "reply_to", "subject", "body")) == {("", "", REDACTED, REDACTED)}
    assert FollowUpNotification.objects.filter(follow_up=grace.follow_up, body="").count() == 0
    assert list(InvitationEmail.objects.exclude(last_error="").values_list("pk", flat=True)) == [waiting.pk]


def test_imported_files_are_emptied_after_their_window_unless_still_importing(db: Any) -> None:
    done = ContactImport.objects.create(file_name="crm.csv", content=b"email\r\na@b.c\r\n", status="done")
    running = ContactImport.objects.create(file_name="now.csv", content=b"email\r\nd@e.f\r\n", status="running")
    fresh = ContactImport.objects.create(file_name="new.csv", content=b"email\r\ng@h.i\r\n", status="done")
    ContactImport.objects.exclude(pk=fresh.pk).update(created_at=ago(40))

    retention_run(now=timezone.now(), windows={**NOTHING, "import_files": 30})

    assert bytes(ContactImport.objects.get(pk=done.pk).content) == b""
    assert ContactImport.objects.get(pk=done.pk).file_name == ""
    assert bytes(ContactImport.objects.get(pk=running.pk).content) == b"email\r\nd@e.f\r\n"
    assert bytes(ContactImport.objects.get(pk=fresh.pk).content) == b"email\r\ng@h.i\r\n"


def test_old_digests_lose_their_quotes_and_keep_their_numbers_and_archive_page(digest: DigestDelivery) -> None:
    counts = [(theme["name"], theme["count"]) for theme in digest.content["themes"]]
    DigestDelivery.objects.filter(pk=digest.pk).update(created_at=ago(400))

    report = retention_run(now=timezone.now(), windows={**NOTHING, "digest_quotes": 365})
    again = retention_run(now=timezone.now(), windows={**NOTHING, "digest_quotes": 365})

    content = DigestDelivery.objects.get(pk=digest.pk).content
    assert report.changed["feedback.privacy.digest_quotes_expire"] == 1
    assert again.changed["feedback.privacy.digest_quotes_expire"] == 0
    assert [(theme["name"], theme["count"]) for theme in content["themes"]] == counts
    assert [theme["quotes"] for theme in content["themes"]] == [[] for _theme in counts]
    page = Client().get(archive_url(digest.subscription), {"period": digest.period_start.isoformat()})
    assert page.status_code == 200
    assert "Lovelace" not in page.content.decode()


def test_contacts_inactive_for_their_window_are_erased_without_being_suppressed(ada: Story) -> None:
    dormant = make_contact(email="dormant@example.com")
    Contact.objects.filter(pk=dormant.pk).update(created_at=ago(800), updated_at=ago(800))

    retention_run(now=timezone.now(), windows={**NOTHING, "contact_identity": 730})

    assert list(Contact.objects.values_list("pk", flat=True)) == [ada.contact.pk]
    assert list(ContactErasure.objects.values_list("contact_id", "reason")) == [(dormant.pk, "retention")]
    assert SuppressedAddress.objects.count() == 0


def test_retention_leaves_every_figure_as_it_was(ada: Story, grace: Story, survey: Survey) -> None:
    before = figures(survey)
    every_window = dict.fromkeys(settings.RETENTION_DAYS, 730)

    # Three years from now, everything is past every window.
    retention_run(now=timezone.now() + timedelta(days=3 * 365), windows=every_window)

    assert Contact.objects.count() == 0
    assert Answer.objects.exclude(text="").count() == 0
    assert figures(survey) == before


def test_the_nightly_job_is_scheduled_and_runs_every_window(
    survey: Survey, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.RETENTION_DAYS = {**NOTHING, "free_text": 730}
    old_comment(survey, "Old complaint", days=800)

    result = privacy_retention.delay().get()

    assert settings.CELERY_BEAT_SCHEDULE["privacy-retention"]["task"] == "vocsite.tasks.privacy_retention"
    assert "vocsite.tasks.privacy_retention" in celery_app.tasks
    assert result == {"feedback.Answer.free_text": 1}
