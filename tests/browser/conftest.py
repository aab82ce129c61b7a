"""Real-browser tests: Debian's headless Chromium, driven by Playwright, against a live server.

- The browser is the system's /usr/bin/chromium (`make test` installs it with apt when it is
  missing); Playwright's downloaded browsers are never used. Without the binary these tests skip
  with a message saying so, and only then.
- One browser for all of them (starting Chromium is the slow part); every test gets a fresh
  context (its own cookies, so its own cart and session) and page.
- The site is pytest-django's `live_server`: a threaded server on the test database. Its tests
  are transactional (the server's threads must see committed rows), so the data migrations'
  rows (roles, chart of accounts) are restored for each one with serialized rollback.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the suite may run as root (CI containers), where the sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    """A Chromium for one browser test, closed after it.

    Playwright's sync API runs an asyncio event loop in the test's thread for as long as it is
    started, so Django takes every ORM call there (the test's own setup and asserts, the test
    database's creation and flush) for one made inside async code and refuses it
    (SynchronousOnlyOperation). Nothing here is async: the database work happens between browser
    calls, in that one thread, so Django's documented switch DJANGO_ALLOW_ASYNC_UNSAFE is set
    while Playwright runs. Function scope, not package: the database fixtures (autouse) set up
    before this one, so the test database is restored (serialized rollback: the roles, the chart
    of accounts) before Playwright's loop runs; with a longer-lived browser that restore silently
    restored nothing after an earlier transactional test had flushed the tables. Launching
    Chromium costs about half a second a test.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Chromium is not installed at {CHROMIUM}; apt-get install chromium")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def live_site(live_server, django_db_serialized_rollback):
    """The live server's base URL, on a database holding the data migrations' rows."""
    return live_server.url


@pytest.fixture
def open_page(browser, live_site):
    """`open_page(width, height)`: a fresh browser context (no cookies) and its page."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(base_url=live_site, viewport={"width": width, "height": height}, locale="uk-UA")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
