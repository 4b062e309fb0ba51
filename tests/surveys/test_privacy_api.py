"""The suppression list and invitations over the API: no plain address, no token, ever."""

import pytest
from rest_framework.test import APIClient

from surveys.models import Role, SuppressedAddress
from surveys.suppression import address_hash, suppressed_among
from tests.conftest import make_invitation
from tests.teams import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(user=make_person("root", team=None, role=Role.ADMINISTRATOR))
    return client


def test_a_suppressed_address_is_stored_and_shown_only_as_its_keyed_hash(api: APIClient) -> None:
    answer = api.post("/api/v1/suppressed-addresses/", {"address": " Gone@Example.com "}, format="json")

    assert answer.status_code == 201
    row = SuppressedAddress.objects.get()
    assert row.address_hash == address_hash("gone@example.com")
    assert answer.json() == {
        "id": row.pk,
        "address_hash": row.address_hash,
        "reason": "erased",
        "created_at": answer.json()["created_at"],
    }
    assert suppressed_among(["gone@example.com"]) == {"gone@example.com"}
    assert b"example.com" not in api.get("/api/v1/suppressed-addresses/").content


def test_suppressing_an_address_again_answers_with_the_first_entry(api: APIClient) -> None:
    first = api.post("/api/v1/suppressed-addresses/", {"address": "gone@example.com"}, format="json")

    again = api.post("/api/v1/suppressed-addresses/", {"address": "GONE@example.com"}, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert SuppressedAddress.objects.count() == 1


def test_the_list_tells_whether_one_address_is_suppressed(api: APIClient) -> None:
    api.post("/api/v1/suppressed-addresses/", {"address": "gone@example.com"}, format="json")

    found = api.get("/api/v1/suppressed-addresses/", {"address": "Gone@example.com"})
    missing = api.get("/api/v1/suppressed-addresses/", {"address": "here@example.com"})

    assert found.json()["count"] == 1
    assert missing.json()["count"] == 0


def test_a_malformed_address_gets_a_field_message_and_nothing_is_stored(api: APIClient) -> None:
    answer = api.post("/api/v1/suppressed-addresses/", {"address": "not an address"}, format="json")

    assert answer.status_code == 400
    assert list(answer.json()) == ["address"]
    assert not SuppressedAddress.objects.exists()


def test_deleting_an_entry_lets_the_address_be_emailed_again(api: APIClient) -> None:
    created = api.post("/api/v1/suppressed-addresses/", {"address": "gone@example.com"}, format="json")

    answer = api.delete(f"/api/v1/suppressed-addresses/{created.json()['id']}/")

    assert answer.status_code == 204
    assert suppressed_among(["gone@example.com"]) == set()


def test_an_invitation_is_shown_without_its_token_or_idempotency_key(api: APIClient) -> None:
    invitation = make_invitation()

    listed = api.get("/api/v1/invitations/", {"survey": invitation.survey_id})
    one = api.get(f"/api/v1/invitations/{invitation.pk}/")

    assert [item["id"] for item in listed.json()["results"]] == [invitation.pk]
    assert one.json()["contact"] == invitation.contact_id
    for answer in (listed, one):
        assert invitation.token.encode() not in answer.content
        assert b"token" not in answer.content
        assert b"idempotency" not in answer.content


def test_an_unknown_invitation_status_in_a_filter_gets_a_field_message(api: APIClient) -> None:
    answer = api.get("/api/v1/invitations/", {"status": "lost"})

    assert answer.status_code == 400
    assert list(answer.json()) == ["status"]
