"""Survey links: the token becomes a cookie, failures all look alike, and guessing is rate-limited."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from feedback.answering import response_save_page
from feedback.models import SurveyResponse
from surveys import services
from surveys.links import COOKIE_NAME, SALT, Link, LinkKind
from surveys.models import Invitation, new_token
from surveys.ratelimit import link_failures
from tests.conftest import make_invitation, make_survey, make_ten_question_survey
from tests.realparts import free_port
from tests.survey_data import TEN_ANSWERS

pytestmark = pytest.mark.django_db


def link_of(invitation: Invitation) -> Link:
    return Link(LinkKind.INVITATION, invitation.token)


def test_opening_an_email_link_trades_the_token_for_a_cookie_and_a_url_without_it(client: Client) -> None:
    invitation = make_invitation()

    opened = client.get(f"/s/{invitation.token}/", {"score": "9", "lang": "en"})

    link = link_of(invitation)
    cookie = opened.cookies[COOKIE_NAME]
    assert opened.status_code == 302
    assert opened["Location"] == f"{link.path}?score=9&lang=en"
    assert invitation.token not in opened["Location"]
    assert (cookie["path"], cookie["httponly"], cookie["samesite"]) == (link.path, True, "Lax")
    assert cookie["max-age"] == 90 * 24 * 3600
    assert signing.get_cookie_signer(salt=COOKIE_NAME + SALT).unsign(cookie.value) == f"invitation:{invitation.token}"


def test_a_mail_scanner_that_follows_the_link_without_cookies_records_nothing(client: Client) -> None:
    invitation = make_invitation()
    opened = client.get(f"/s/{invitation.token}/", {"score": "0"})

    scanned = Client().get(opened["Location"])

    invitation.refresh_from_db()
    assert scanned.status_code == 404
    assert (invitation.opened_at, SurveyResponse.objects.count()) == (None, 0)


PRIVATE_PAGES = [
    ("GET", lambda invitation: f"/s/{invitation.token}/"),
    ("GET", lambda invitation: link_of(invitation).path),
    ("GET", lambda invitation: f"{link_of(invitation).path}thanks/"),
    ("GET", lambda invitation: f"{link_of(invitation).path}status/"),
    ("GET", lambda invitation: f"/s/{invitation.token}/status/"),
    ("GET", lambda invitation: f"/u/{invitation.token}/"),
    ("GET", lambda invitation: f"{link_of(invitation).path}unsubscribe/"),
    ("POST", lambda invitation: link_of(invitation).path),
    ("GET", lambda invitation: "/s/not-a-token/"),
    ("GET", lambda invitation: "/r/0123456789abcdef0123456789abcdef/"),
]


@pytest.mark.parametrize(("method", "path"), PRIVATE_PAGES)
def test_link_pages_are_never_cached_and_send_no_referrer(
    client: Client, method: str, path: Callable[[Invitation], str]
) -> None:
    invitation = make_invitation()
    client.get(f"/s/{invitation.token}/")

    page = client.generic(method, path(invitation))

    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "no-referrer"


def _unknown(client: Client) -> Any:
    return client.get(f"/s/{new_token()}/")


def _malformed(client: Client) -> Any:
    return client.get("/s/'%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E/")


def _closed_survey(client: Client) -> Any:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    services.survey_close(survey=survey)
    return client.get(f"/s/{invitation.token}/")


def _draft_survey(client: Client) -> Any:
    return client.get(f"/s/{make_invitation(survey=make_survey(live=False)).token}/")


def _replaced_token(client: Client) -> Any:
    invitation = make_invitation()
    old = invitation.token
    Invitation.objects.filter(pk=invitation.pk).update(token=new_token())
    return client.get(f"/s/{old}/")


def _used_cookie_of_a_closed_survey(client: Client) -> Any:
    survey = make_survey()
    invitation = make_invitation(survey=survey)
    client.get(f"/s/{invitation.token}/")
    services.survey_close(survey=survey)
    return client.get(link_of(invitation).path)


def _expired_cookie(client: Client) -> Any:
    invitation = make_invitation()
    signer = signing.get_cookie_signer(salt=COOKIE_NAME + SALT)
    signer.timestamp = lambda: signing.b62_encode(int(time.time()) - 91 * 24 * 3600)  # type: ignore[method-assign]
    client.cookies[COOKIE_NAME] = signer.sign(f"invitation:{invitation.token}")
    return client.get(link_of(invitation).path)


def _other_surveys_cookie(client: Client) -> Any:
    mine, theirs = make_invitation(), make_invitation()
    client.get(f"/s/{theirs.token}/")
    return client.get(link_of(mine).path)


def _forged_cookie(client: Client) -> Any:
    invitation = make_invitation()
    client.cookies[COOKIE_NAME] = f"invitation:{invitation.token}:forged:signature"
    return client.get(link_of(invitation).path)


def _disabled_anonymous_link(client: Client) -> Any:
    return client.get(f"/a/{make_survey().anonymous_token}/")


FAILURES = {
    "unknown": _unknown,
    "malformed": _malformed,
    "expired: survey closed": _closed_survey,
    "not yet open: draft survey": _draft_survey,
    "used and replaced": _replaced_token,
    "used cookie of a survey since closed": _used_cookie_of_a_closed_survey,
    "expired cookie": _expired_cookie,
    "another survey's cookie": _other_surveys_cookie,
    "forged cookie": _forged_cookie,
    "disabled anonymous link": _disabled_anonymous_link,
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_every_failed_link_looks_the_same_to_a_visitor(client: Client, failure: Callable[[Client], Any]) -> None:
    reference = _unknown(Client())

    page = failure(client)

    assert (page.status_code, page.content) == (404, reference.content)
    assert "This link is not valid" in page.content.decode()
    assert COOKIE_NAME not in page.cookies


def test_failed_lookups_from_one_address_are_rate_limited_with_a_friendly_page(settings: Any) -> None:
    settings.LINK_FAILURE_LIMIT = 3
    guesser, neighbour = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.8")
    link_failures.reset_address("203.0.113.7")
    link_failures.reset_address("203.0.113.8")
    invitation = make_invitation()
    guesses = [guesser.get(f"/s/{new_token()}/").status_code for _ in range(3)]

    blocked = guesser.get(f"/s/{invitation.token}/")
    other = neighbour.get(f"/s/{invitation.token}/")

    assert guesses == [404, 404, 404]
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "600"
    assert "Too many attempts" in blocked.content.decode()
    assert other.status_code == 302


def test_an_ipv6_guesser_cannot_escape_the_limit_by_changing_addresses_within_its_network(settings: Any) -> None:
    settings.LINK_FAILURE_LIMIT = 2
    link_failures.reset_address("2001:db8:1:2::1")
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2"):
        Client(REMOTE_ADDR=host).get(f"/s/{new_token()}/")

    blocked = Client(REMOTE_ADDR="2001:db8:1:2:ffff::9").get("/u/anything/")

    assert blocked.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(settings: Any) -> None:
    settings.LINK_FAILURE_LIMIT, settings.TRUSTED_PROXIES = 1, 1
    link_failures.reset_address("198.51.100.4")
    link_failures.reset_address("198.51.100.5")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    Client(**proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4").get(f"/s/{new_token()}/")

    blocked = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.4").get(f"/s/{new_token()}/")
    other = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.5").get(f"/s/{new_token()}/")

    assert (blocked.status_code, other.status_code) == (429, 404)


def test_without_the_cache_nobody_is_blocked_and_links_still_open(settings: Any) -> None:
    settings.LINK_FAILURE_LIMIT = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    invitation = make_invitation()
    Client().get(f"/s/{new_token()}/")
    Client().get(f"/s/{new_token()}/")

    opened = Client().get(f"/s/{invitation.token}/", follow=True)

    assert opened.status_code == 200


def test_the_anonymous_link_moves_each_respondent_to_a_personal_link_of_their_own(client: Client) -> None:
    survey = make_survey(anonymous_link_enabled=True)
    shared = client.get(f"/a/{survey.anonymous_token}/")

    saved = client.post(shared["Location"], {"q_nps": "10"})

    personal = Link(LinkKind.INVITATION, Invitation.objects.get().token)
    assert shared["Location"] == Link(LinkKind.ANONYMOUS, survey.anonymous_token).path
    assert saved["Location"] == f"{personal.path}?lang=en&page=2"
    assert saved.cookies[COOKIE_NAME]["path"] == personal.path
    assert client.get(saved["Location"]).status_code == 200


def test_a_form_posted_to_the_token_url_is_still_saved_then_moves_to_the_link_page(client: Client) -> None:
    invitation = make_invitation()

    saved = client.post(f"/s/{invitation.token}/", {"page": "1", "q_nps": "9"})

    assert saved["Location"] == f"{link_of(invitation).path}?lang=en&page=2"
    assert saved.cookies[COOKIE_NAME]["path"] == link_of(invitation).path
    assert SurveyResponse.objects.get().score == 9


def test_the_submission_post_costs_no_query_beyond_the_service(client: Client) -> None:
    survey = make_ten_question_survey()
    alone, through_the_page = make_invitation(survey=survey), make_invitation(survey=survey)
    client.get(f"/s/{through_the_page.token}/")
    with CaptureQueriesContext(connection) as service:
        response_save_page(token=alone.token, page=1, data=TEN_ANSWERS, language="en")

    with CaptureQueriesContext(connection) as request:
        saved = client.post(link_of(through_the_page).path, {**TEN_ANSWERS, "lang": "en"})

    assert saved["Location"] == f"{link_of(through_the_page).path}thanks/?lang=en"
    assert len(request.captured_queries) == len(service.captured_queries)


def test_the_unsubscribe_page_of_a_link_is_reached_without_the_token_and_one_click_still_works(
    client: Client,
) -> None:
    invitation = make_invitation()

    asked = client.get(f"/u/{invitation.token}/", follow=True)

    assert asked.redirect_chain == [(f"{link_of(invitation).path}unsubscribe/", 302)]
    assert "Unsubscribe from survey emails?" in asked.content.decode()
