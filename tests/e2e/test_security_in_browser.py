"""Under the content security policy, the admin, the API docs and the staff dashboard still work."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from tests.conftest import make_invitation, make_survey
from tests.e2e.test_answer_in_browser import csp_violations, record_console

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password-1"


def log_in(page: Page, live_server: Any) -> None:
    get_user_model().objects.create_superuser("boss", "boss@example.com", PASSWORD)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()


def test_the_admin_works_under_the_content_security_policy(browser: Browser, live_server: Any) -> None:
    make_survey()
    page = browser.new_page()
    console = record_console(page)

    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/surveys/survey/")
    page.get_by_role("link", name="Net Promoter Score").first.click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}/admin/surveys/contact/add/")
    page.get_by_label("Email").fill("new@example.com")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert csp_violations(console) == []


@pytest.mark.parametrize(
    ("path", "drawn"), [("/api/docs/", ".opblock"), ("/staff/dashboard/", "svg")], ids=["API docs", "dashboard"]
)
def test_staff_pages_work_under_the_content_security_policy(
    browser: Browser, live_server: Any, path: str, drawn: str
) -> None:
    page = browser.new_page()
    console = record_console(page)
    log_in(page, live_server)

    page.goto(f"{live_server.url}{path}")

    expect(page.locator(drawn).first).to_be_visible()
    assert page.locator(drawn).count() > 3
    assert csp_violations(console) == []


def test_a_survey_link_leaves_no_token_in_the_address_bar_or_history(browser: Browser, live_server: Any) -> None:
    invitation = make_invitation(survey=make_survey())
    page = browser.new_page()
    console = record_console(page)

    page.goto(f"{live_server.url}/s/{invitation.token}/?score=7")

    expect(page.get_by_role("radio", name="7")).to_be_checked()
    assert invitation.token not in page.url
    assert csp_violations(console) == []
    page.go_back()
    assert page.url == "about:blank"  # the token URL redirected at once: it never became a history entry
