"""Real headless Chromium against pytest-django's live server (Playwright's sync API).

The system's Chromium (Debian's ``/usr/bin/chromium``) is used; Playwright's own browser
downloads are never needed. Without that binary the e2e tests skip, unless ``CI`` is set:
then they fail, so a CI image that lost its browser cannot pass silently.

One browser per test package; each test gets a fresh context (cookies, viewport, locale).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("SALESALLOC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-secret-123"  # tests/conftest.py's users
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"e2e tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (install Debian's chromium package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in requirements-dev.txt
        _unavailable("the playwright package is not installed (requirements-dev.txt)")
    # Playwright's sync API runs an event loop in this thread, so Django would refuse ORM
    # calls made by the test itself (fixtures, assertions) without this.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser: Any, live_server: Any, **context_args: Any) -> Any:
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", accept_downloads=True, **context_args
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The Content-Security-Policy is on in every environment: a blocked inline script or
    # style shows up as a console error, and fails the test like a JavaScript error.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """``new_page(viewport=...)`` -> a page in a fresh browser context; closed afterwards."""
    pages: list[Any] = []

    def make(**context_args: Any) -> Any:
        page = _new_page(browser, live_server, **context_args)
        pages.append(page)
        return page

    yield make
    for page in pages:
        assert page.js_errors == [], f"JavaScript errors on {page.url}: {page.js_errors}"
        page.context.close()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page(viewport={"width": 1280, "height": 900})


@pytest.fixture
def sign_in() -> Any:
    """``sign_in(page, "manager")``: sign in through the real form, land on the dashboard."""

    def run(page: Any, username: str) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard/")

    return run
