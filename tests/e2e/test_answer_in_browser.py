"""A customer answers from their email in headless Chromium, in English and in Chinese."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from feedback.models import SurveyResponse
from surveys.emails import invitation_email_build
from tests.conftest import make_contact, make_invitation, make_survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


def score_link(html: str, score: int) -> str:
    links = re.findall(r'href="([^"]+\?score=(\d+)[^"]*)"', html)
    return next(url for url, value in links if int(value) == score).replace("&amp;", "&")


def record_console(page: Page) -> list[str]:
    """Every console message of the page, as Chromium reports CSP violations there."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    return messages


def csp_violations(console: list[str]) -> list[str]:
    return [text for text in console if "Content Security Policy" in text]


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_customer_answers_in_english_from_the_email(
    browser: Browser, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.SITE_URL = live_server.url
    invitation = make_invitation(survey=make_survey(), contact=make_contact(language="en", name="Alice"))
    email = invitation_email_build(invitation=invitation)
    page = browser.new_page(viewport=PHONE)
    console = record_console(page)

    page.goto(score_link(email.alternatives[0].content, 9))
    expect(page.get_by_role("radio", name="9")).to_be_checked()
    assert invitation.token not in page.url
    assert fits_the_screen(page)
    assert not SurveyResponse.objects.exists()
    page.get_by_role("button", name="Next").press("Enter")
    page.get_by_label("Thank you! What did you love most?").fill("The support team")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("status")).to_have_text("Thank you for your feedback. We read every answer.")
    assert invitation.token not in page.url
    assert csp_violations(console) == []
    page.screenshot(path=tmp_path / "thanks-en.png")
    response = SurveyResponse.objects.get(invitation=invitation)
    answers = {a.question.key: a.display_value() for a in response.answers.select_related("question")}
    assert (response.status, response.language, response.score) == ("completed", "en", 9)
    assert answers == {"nps": "9", "loved": "The support team", "may_contact": "Yes"}


def test_a_customer_answers_in_chinese_without_javascript(
    browser: Browser, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.SITE_URL = live_server.url
    invitation = make_invitation(survey=make_survey(), contact=make_contact(language="zh-hans", name="王伟"))
    email = invitation_email_build(invitation=invitation)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()

    page.goto(score_link(email.alternatives[0].content, 3))
    expect(page.get_by_role("radio", name="3")).to_be_checked()
    assert fits_the_screen(page)
    page.get_by_role("button", name="下一页").click()
    page.get_by_label("很抱歉。最让您失望的是什么？").fill("等了四十分钟才有人接电话")
    page.get_by_role("button", name="下一页").click()
    page.get_by_role("radio", name="可以").check()
    page.get_by_role("button", name="提交").click()

    expect(page.get_by_role("status")).to_have_text("感谢您的反馈，我们会认真阅读每一条回答。")
    page.screenshot(path=tmp_path / "thanks-zh.png")
    response = SurveyResponse.objects.get(invitation=invitation)
    answers = {a.question.key: a.display_value("zh-hans") for a in response.answers.select_related("question")}
    assert (response.status, response.language, response.score) == ("completed", "zh-hans", 3)
    assert answers == {"nps": "3", "disappointed": "等了四十分钟才有人接电话", "may_contact": "可以"}
    context.close()


def test_a_missing_answer_is_announced_next_to_the_question(browser: Browser, live_server: Any) -> None:
    invitation = make_invitation(survey=make_survey())
    page = browser.new_page(viewport=PHONE)

    page.goto(f"{live_server.url}/s/{invitation.token}/")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#q-nps-error")).to_have_text("Please answer this question.")
    assert not SurveyResponse.objects.exists()
