"""Headless Chromium for the browser tests, one per module."""

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are plain
# synchronous set-up and checks, not async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
