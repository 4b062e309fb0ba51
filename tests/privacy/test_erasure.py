"""Erasing a contact: scores stay (anonymous), words go, links die, the address is never emailed again."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import Answer, DigestDelivery, FollowUp, FollowUpEvent, FollowUpNotification, SurveyResponse
from surveys import distributions, sending
from surveys.models import (
    Contact,
    ContactErasure,
    ContactImport,
    Distribution,
    Invitation,
    InvitationEmail,
    Membership,
    SuppressedAddress,
    Survey,
    Team,
)
from surveys.suppression import address_hash, addresses_suppress
from tests.conftest import make_contact, make_invitation
from tests.privacy.conftest import Story, figures, stored_mentions
from vocsite.privacy.erasure import contact_erase, contacts_erase
from vocsite.privacy.registry import REDACTED

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_erasing_keeps_scores_and_figures_and_removes_everything_personal(
    ada: Story, grace: Story, digest: DigestDelivery, contact_file: ContactImport, chief: Any, admin_client: Any
) -> None:
    before = figures(ada.response.survey)
    assert stored_mentions("Lovelace", "ada.lovelace@example.org") != []

    answer = admin_client.post(f"/api/v1/contacts/{ada.contact.pk}/erase/")

    assert answer.status_code == 200
    assert answer.json()["contact_id"] == ada.contact.pk
    assert answer.json()["erased_by"] == "boss"
    assert stored_mentions("Lovelace", "ada.lovelace@example.org", "Ada", "7946", "crm-lovelace") == []
    assert not Contact.objects.filter(pk=ada.contact.pk).exists()
    assert figures(ada.response.survey) == before


def test_answers_keep_their_numbers_choices_sentiment_and_themes_but_lose_their_words(ada: Story) -> None:
    kept = list(Answer.objects.filter(response=ada.response).order_by("pk").values("number", "choices", "sentiment"))
    themes = sorted(Answer.objects.filter(response=ada.response, themes__isnull=False).values_list("themes__name"))

    contact_erase(contact_id=ada.contact.pk, by=None)

    answers = Answer.objects.filter(response=ada.response).order_by("pk")
    assert list(answers.values("number", "choices", "sentiment")) == kept
    assert (
        sorted(answers.filter(themes__isnull=False).values_list("themes__name"))
        == themes
        == [
            ("Billing",),
            ("Support",),
        ]
    )
    assert {(answer.text, tuple(answer.key_phrases)) for answer in answers} == {("", ())}
    response = SurveyResponse.objects.get(pk=ada.response.pk)
    assert (response.contact_id, response.score, response.status) == (None, 2, "completed")


def test_notes_and_emails_about_the_case_are_redacted_and_the_case_kept(ada: Story) -> None:
    contact_erase(contact_id=ada.contact.pk, by=None)

    follow_up = FollowUp.objects.get(pk=ada.follow_up.pk)
    assert (follow_up.contact_id, follow_up.status, follow_up.root_cause.name) == (None, "resolved", "Billing error")
    assert (follow_up.resolution_note, follow_up.shared_note) == (REDACTED, REDACTED)
    events = FollowUpEvent.objects.filter(follow_up=follow_up).order_by("pk")
    assert [(event.kind, event.to_value, event.note) for event in events] == [
        ("created", "", "Every unhappy customer"),
        ("assigned", "chief", ""),
        ("call", "", REDACTED),
        ("email", REDACTED, REDACTED),
        ("status", "resolved", REDACTED),
        ("customer_told", "", REDACTED),
    ]
    emails = FollowUpNotification.objects.filter(follow_up=follow_up).order_by("pk")
    assert [(email.kind, email.recipient, email.subject, email.body) for email in emails] == [
        ("assigned", "", REDACTED, REDACTED),
        ("customer_message", "", REDACTED, REDACTED),
        ("customer", "", REDACTED, REDACTED),
    ]


def test_links_sent_before_the_erasure_open_nothing(ada: Story) -> None:
    contact_erase(contact_id=ada.contact.pk, by=None)

    client = Client()
    assert client.get(f"/s/{ada.token}/").status_code == 404
    assert client.get(f"/s/{ada.token}/status/").status_code == 404
    assert client.get(f"/u/{ada.token}/").status_code == 404
    invitation = Invitation.objects.get(pk=ada.invitation.pk)
    assert invitation.token != ada.token and len(invitation.token) == 32
    assert (invitation.contact_id, invitation.erased_at is not None, invitation.status) == (None, True, "sent")


def test_the_address_is_kept_only_as_a_hash_and_never_emailed_again(ada: Story, survey: Survey) -> None:
    contact_erase(contact_id=ada.contact.pk, by=None)
    assert list(SuppressedAddress.objects.values_list("address_hash", flat=True)) == [
        address_hash("ada.lovelace@example.org")
    ]

    again = make_contact(email="ADA.Lovelace@Example.org")
    distribution = Distribution.objects.create(name="Again", survey=survey)
    distribution.contacts.set([again])
    distributions.distribution_schedule(distribution=distribution)
    distributions.distributions_materialise_due(now=timezone.now())
    via_api, created = distributions.survey_send_to_contact(
        survey=survey, email="ada.lovelace@EXAMPLE.org", idempotency_key="ticket-7"
    )

    skipped = Invitation.objects.filter(contact=again).values_list("status", "skip_reason")
    assert sorted(skipped) == [("skipped", "suppressed"), ("skipped", "suppressed")]
    assert created and via_api.contact_id == again.pk
    assert InvitationEmail.objects.filter(invitation__contact=again).count() == 0


def test_an_email_waiting_for_an_address_that_became_suppressed_is_skipped_at_send_time(survey: Survey) -> None:
    invitation = make_invitation(survey=survey, contact=make_contact(email="late@example.com"))
    email = InvitationEmail.objects.create(invitation=invitation, sequence=0, due_at=timezone.now())
    # The same address, erased as another contact (say, re-imported meanwhile), while this email waited.
    addresses_suppress(addresses=["Late@Example.com"])

    outcome = sending.invitation_email_send_batch(email_ids=[email.pk])

    assert (outcome.skipped, outcome.sent) == (1, [])
    assert InvitationEmail.objects.get(pk=email.pk).note == "suppressed"
    assert Invitation.objects.get(pk=invitation.pk).skip_reason == "suppressed"


def test_emails_still_waiting_for_the_erased_contact_are_never_sent(ada: Story) -> None:
    reminder = InvitationEmail.objects.create(invitation=ada.invitation, sequence=1, due_at=timezone.now())
    notice = FollowUpNotification.objects.create(
        follow_up=ada.follow_up, kind="customer_message", step=9, recipient="ada.lovelace@example.org", body="Hi Ada"
    )

    contact_erase(contact_id=ada.contact.pk, by=None)
    outcome = sending.invitation_email_send_batch(email_ids=[reminder.pk])

    assert (outcome.skipped, outcome.sent) == (0, [])
    assert InvitationEmail.objects.get(pk=reminder.pk).status == "skipped"
    assert FollowUpNotification.objects.get(pk=notice.pk).status == "failed"
    assert sending.reminders_create_due(now=timezone.now() + timedelta(days=30)) == 0


def test_stored_digests_lose_the_erased_customers_quotes_and_keep_the_others(
    ada: Story, grace: Story, digest: DigestDelivery
) -> None:
    def quotes() -> list[str]:
        content = DigestDelivery.objects.get(pk=digest.pk).content
        return [quote["text"] for theme in content["themes"] for quote in theme["quotes"]]

    assert any("Ada Lovelace" in quote for quote in quotes())

    contact_erase(contact_id=ada.contact.pk, by=None)

    # Grace's complaint is quoted under both of its themes, billing and support.
    assert quotes() == ["The invoice was wrong and support never answered my calls."] * 2


def test_their_rows_are_removed_from_stored_contact_files(
    ada: Story, grace: Story, contact_file: ContactImport
) -> None:
    contact_erase(contact_id=ada.contact.pk, by=None)

    stored = ContactImport.objects.get(pk=contact_file.pk)
    assert bytes(stored.content).decode() == "email,name,plan\r\ngrace@example.net,Grace Hopper,silver\r\n"
    assert stored.errors == []


def test_the_other_customers_data_is_untouched(ada: Story, grace: Story) -> None:
    contact_erase(contact_id=ada.contact.pk, by=None)

    assert Contact.objects.get(pk=grace.contact.pk).name == "Grace Hopper"
    assert FollowUp.objects.get(pk=grace.follow_up.pk).resolution_note == "Refunded Grace's invoice"
    assert Client().get(f"/s/{grace.token}/status/", follow=True).status_code == 200
    assert Answer.objects.filter(response=grace.response, text__contains="support never answered").count() == 1


def test_erasing_twice_answers_with_the_first_erasure_and_changes_nothing(ada: Story, admin_client: Any) -> None:
    first = admin_client.post(f"/api/v1/contacts/{ada.contact.pk}/erase/").json()

    again = admin_client.post(f"/api/v1/contacts/{ada.contact.pk}/erase/")

    assert again.status_code == 200
    assert again.json() == first
    assert ContactErasure.objects.count() == 1
    assert SuppressedAddress.objects.count() == 1


def test_the_erasure_is_recorded_with_who_when_and_what_changed(ada: Story, chief: Any) -> None:
    erasure = contact_erase(contact_id=ada.contact.pk, by=chief)

    stored = ContactErasure.objects.get()
    assert (stored.contact_id, stored.erased_by, stored.reason) == (ada.contact.pk, chief, "request")
    assert stored.erased_at == erasure.erased_at
    assert stored.summary == {
        "surveys.contact": 1,
        "surveys.invitation": 1,
        "surveys.invitationemail": 1,
        "feedback.surveyresponse": 1,
        "feedback.answer": 3,
        "feedback.answertheme": 2,
        "feedback.followup": 1,
        "feedback.followupevent": 6,
        "feedback.followupnotification": 3,
        "feedback.healthscore": 1,
        "feedback.healthhistory": 1,
    }


def test_erasing_many_contacts_takes_as_many_statements_as_erasing_one(
    survey: Survey, chief: Any, django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    from tests.privacy.conftest import live_story

    stories = [
        live_story(
            survey=survey,
            capture=django_capture_on_commit_callbacks,
            email=f"person{n}@example.org",
            name=f"Person Number{n}",
            complaint="The invoice was wrong again this month, please fix it.",
            owner=chief,
        )
        for n in range(4)
    ]
    with CaptureQueriesContext(connection) as one:
        contacts_erase(contact_ids=[stories[0].contact.pk], by=chief)

    with django_assert_num_queries(len(one.captured_queries)):
        contacts_erase(contact_ids=[story.contact.pk for story in stories[1:]], by=chief)

    assert ContactErasure.objects.count() == 4


def test_an_unknown_contact_is_a_404_and_only_administrators_may_erase(ada: Story, client: Client) -> None:
    agent = User.objects.create_user("agent", "agent@corp.example", "a-long-password-1", is_staff=True)
    team = Team.objects.create(name="Care")
    Contact.objects.filter(pk=ada.contact.pk).update(team=team)
    manager = Membership.objects.create(user=agent, team=team, role="manager")
    client.force_login(agent)

    refused = client.post(f"/api/v1/contacts/{ada.contact.pk}/erase/")
    manager.delete()
    Membership.objects.create(user=agent, team=None, role="administrator")
    agent = User.objects.get(pk=agent.pk)
    client.force_login(agent)
    unknown = client.post("/api/v1/contacts/999999/erase/")
    not_a_number = client.post("/api/v1/contacts/99999999999999999999999/erase/")
    allowed = client.post(f"/api/v1/contacts/{ada.contact.pk}/erase/")

    assert (refused.status_code, unknown.status_code, not_a_number.status_code) == (403, 404, 404)
    assert allowed.status_code == 200
    assert Contact.objects.filter(pk=ada.contact.pk).exists() is False


def test_admin_asks_for_confirmation_then_erases(ada: Story, admin_client: Any) -> None:
    change = admin_client.get(f"/admin/surveys/contact/{ada.contact.pk}/change/")
    confirm = admin_client.get(f"/admin/surveys/contact/erase/?ids={ada.contact.pk}")

    assert f"/admin/surveys/contact/erase/?ids={ada.contact.pk}" in change.content.decode()
    assert confirm.status_code == 200
    assert "Yes, erase" in confirm.content.decode() and "Ada Lovelace" in confirm.content.decode()
    assert Contact.objects.filter(pk=ada.contact.pk).exists()

    done = admin_client.post("/admin/surveys/contact/erase/", {"ids": str(ada.contact.pk)}, follow=True)

    assert done.status_code == 200
    assert "1 contact was erased." in done.content.decode()
    assert not Contact.objects.filter(pk=ada.contact.pk).exists()
    assert ContactErasure.objects.get().erased_by.username == "boss"


def test_the_admin_list_action_leads_to_the_same_confirmation(ada: Story, grace: Story, admin_client: Any) -> None:
    ids = sorted([ada.contact.pk, grace.contact.pk])

    chosen = admin_client.post(
        "/admin/surveys/contact/", {"action": "erase_contacts", "_selected_action": [str(pk) for pk in ids]}
    )

    assert chosen.status_code == 302
    assert chosen["Location"] == f"/admin/surveys/contact/erase/?ids={ids[0]}%2C{ids[1]}"
    assert Contact.objects.count() == 2


def test_a_team_manager_sees_no_erase_button_and_cannot_erase(ada: Story, client: Client) -> None:
    agent = User.objects.create_user("agent", "agent@corp.example", "a-long-password-1", is_staff=True)
    team = Team.objects.create(name="Care")
    Contact.objects.filter(pk=ada.contact.pk).update(team=team)
    Membership.objects.create(user=agent, team=team, role="manager")
    client.force_login(agent)

    change = client.get(f"/admin/surveys/contact/{ada.contact.pk}/change/")
    refused = client.post("/admin/surveys/contact/erase/", {"ids": str(ada.contact.pk)})

    assert change.status_code == 200 and "/admin/surveys/contact/erase/" not in change.content.decode()
    assert refused.status_code == 403
    assert Contact.objects.filter(pk=ada.contact.pk).exists()
