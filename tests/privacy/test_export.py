"""Exporting everything about a contact, as JSON, from the API and from admin."""

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from surveys.distributions import contact_unsubscribe
from surveys.models import Membership
from tests.privacy.conftest import Story
from vocsite.privacy.export import contact_export
from vocsite.privacy.registry import policies

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_the_export_holds_the_contact_and_every_row_that_is_theirs(ada: Story, grace: Story, admin_client: Any) -> None:
    contact_unsubscribe(token=ada.token)

    answer = admin_client.get(f"/api/v1/contacts/{ada.contact.pk}/export/")

    assert answer.status_code == 200
    data = answer.json()
    assert (data["format"], data["version"]) == ("vocsite.contact-export", 1)
    assert list(data) == [
        "format",
        "version",
        "exported_at",
        "contact",
        "invitations",
        "responses",
        "follow_ups",
        "health",
        "health_history",
        "webhook_messages",  # payloads that named them (subscriptions that opted into personal data)
    ]
    # The health score derived from their answers is theirs too, with what it was made of.
    [health] = data["health"]
    assert health["band"] == "critical" and health["breakdown"][0]["key"] == "nps_latest"
    assert [row["score"] for row in data["health_history"]] == [health["score"]]
    contact = data["contact"]
    assert (contact["email"], contact["name"], contact["external_id"]) == (
        "Ada.Lovelace@example.org",
        "Ada Lovelace",
        "crm-lovelace",
    )
    assert contact["attributes"] == {"phone": "+44 20 7946 0815"}
    assert contact["unsubscribed_at"] is not None
    [invitation] = data["invitations"]
    assert invitation["survey__name"] == "Net Promoter Score"
    assert [email["last_error"] for email in invitation["emails"]] == [
        "452 4.2.2 <Ada.Lovelace@example.org> mailbox full"
    ]
    [response] = data["responses"]
    assert response["score"] == 2
    assert [(a["question__key"], a["number"], a["text"], a["choices"]) for a in response["answers"]] == [
        ("nps", 2, "", []),
        ("disappointed", None, "The invoice was wrong again, Ada Lovelace here, and nobody called me back.", []),
        ("may_contact", None, "", ["yes"]),
    ]
    assert sorted(theme["theme__name"] for theme in response["answers"][1]["themes"]) == ["Billing", "Support"]
    [follow_up] = data["follow_ups"]
    assert (follow_up["status"], follow_up["root_cause__name"], follow_up["owner__username"]) == (
        "resolved",
        "Billing error",
        "chief",
    )
    assert follow_up["resolution_note"] == "Refunded Ada's invoice"
    assert [event["kind"] for event in follow_up["events"]] == [
        "created",
        "assigned",
        "call",
        "email",
        "status",
        "customer_told",
    ]
    assert [(email["kind"], email["recipient"]) for email in follow_up["emails"]] == [
        ("assigned", "chief@corp.example"),
        ("customer_message", "Ada.Lovelace@example.org"),
        ("customer", "Ada.Lovelace@example.org"),
    ]
    text = json.dumps(data)
    assert "Grace" not in text and "grace@example.net" not in text


def test_tokens_are_never_exported(ada: Story, admin_client: Any) -> None:
    data = admin_client.get(f"/api/v1/contacts/{ada.contact.pk}/export/").json()

    assert ada.token not in json.dumps(data)
    assert "token" not in data["invitations"][0]
    told = data["follow_ups"][0]["emails"][2]["body"]
    assert "/s/[token]/status/" in told


def test_the_export_reads_each_model_once(ada: Story, django_assert_num_queries: Any) -> None:
    linked = [policy for policy in policies() if policy.contact_path]

    with django_assert_num_queries(len(linked)):
        data = contact_export(contact=ada.contact)

    assert data["exported_at"] <= timezone.now()


def test_only_administrators_may_export(ada: Story, client: Client) -> None:
    customer = User.objects.create_user("someone", "someone@example.com", "a-long-password-1")
    agent = User.objects.create_user("agent", "agent@corp.example", "a-long-password-1", is_staff=True)
    path = f"/api/v1/contacts/{ada.contact.pk}/export/"

    anonymous = client.get(path)
    client.force_login(customer)
    not_staff = client.get(path)
    client.force_login(agent)
    without_permission = client.get(path)
    Membership.objects.create(user=agent, team=None, role="administrator")
    client.force_login(User.objects.get(pk=agent.pk))
    allowed = client.get(path)
    missing = client.get("/api/v1/contacts/999999/export/")

    assert [anonymous.status_code, not_staff.status_code, without_permission.status_code] == [401, 403, 403]
    assert (allowed.status_code, missing.status_code) == (200, 404)


def test_admin_downloads_the_export_from_the_contact_page(ada: Story, admin_client: Any) -> None:
    page = admin_client.get(f"/admin/surveys/contact/{ada.contact.pk}/change/").content.decode()

    download = admin_client.get(f"/admin/surveys/contact/{ada.contact.pk}/export/")

    assert f"/admin/surveys/contact/{ada.contact.pk}/export/" in page
    assert download["Content-Type"] == "application/json; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="contact-{ada.contact.pk}.json"'
    assert json.loads(download.content)["contact"]["name"] == "Ada Lovelace"


def test_the_admin_list_action_exports_the_selected_contacts(ada: Story, grace: Story, admin_client: Any) -> None:
    chosen = admin_client.post(
        "/admin/surveys/contact/",
        {"action": "export_contacts", "_selected_action": [str(ada.contact.pk), str(grace.contact.pk)]},
    )

    assert chosen["Content-Disposition"] == 'attachment; filename="contacts.json"'
    assert [export["contact"]["name"] for export in json.loads(chosen.content)] == ["Ada Lovelace", "Grace Hopper"]


def test_an_erased_contact_cannot_be_exported_any_more(ada: Story, admin_client: Any) -> None:
    admin_client.post(f"/api/v1/contacts/{ada.contact.pk}/erase/")

    api = admin_client.get(f"/api/v1/contacts/{ada.contact.pk}/export/")
    page = admin_client.get(f"/admin/surveys/contact/{ada.contact.pk}/export/", follow=True)

    assert api.status_code == 404
    assert "No such contact: it may have been erased already." in page.content.decode()
