"""Under the content security policy, the admin, the API docs and the staff dashboard still work."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import make_invitation, make_survey
from tests.e2e.test_answer_in_browser import csp_violations, record_console

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password-1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


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


def test_the_api_docs_work_under_the_content_security_policy(browser: Browser, live_server: Any) -> None:
    page = browser.new_page()
    console = record_console(page)
    log_in(page, live_server)

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    assert csp_violations(console) == []


def test_the_staff_dashboard_works_under_the_content_security_policy(browser: Browser, live_server: Any) -> None:
    page = browser.new_page()
    console = record_console(page)
    log_in(page, live_server)

    page.goto(f"{live_server.url}/staff/dashboard/")

    expect(page.locator("svg").first).to_be_visible()
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
