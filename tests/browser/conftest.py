"""The screen in a real browser: Debian's Chromium driven by Playwright.

One browser per test session (starting Chromium is the slow part), a fresh
context per test (no shared cookies, storage or timers), and a real kiosk
served by waitress on loopback from the ``serve`` fixture. Never download a
browser: the tests use /usr/bin/chromium, which tests/run.sh installs.
"""
import time
from datetime import date

import pytest
from playwright.sync_api import sync_playwright

from kiosk.cli.demo import seed_ratings
from kiosk.manager.pin import set_pin
from kiosk.storage.db import connection
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, Screen, new_context
from tests.helpers.manager import PIN


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (tests/run.sh installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: Frequent heartbeats let the server notice a closed page at once, so a test's
#: server stops in milliseconds instead of waiting out a 15 s heartbeat.
LIVE_CONFIG = {"stream_heartbeat": 0.05, "stream_max_age": 30}


def pytest_configure(config):
    config.addinivalue_line("markers", "kiosk_config(**overrides): config keys for this test's kiosk")


@pytest.fixture
def screen_app(request, make_app):
    """The kiosk under test. Its repeat filter is off, so a test may tap as fast
    as it likes; ``@pytest.mark.kiosk_config(key=value)`` changes other keys."""
    marker = request.node.get_closest_marker("kiosk_config")
    return make_app(**{"press_interval": 0, **LIVE_CONFIG, **(marker.kwargs if marker else {})})


@pytest.fixture
def live(screen_app, serve):
    return serve(screen_app)


@pytest.fixture
def context(browser):
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def open_screen(live, browser, context, kiosk):
    """Open a kiosk page: ``open_screen("/?lang=sv", clock=True)``.

    The first screen opens in the test's context; ``own_window=True`` opens
    another in a context of its own, like a second kiosk display (Chromium
    throttles a page that is not in front, which would slow every click).
    The browser lets go of the streams before the server stops, so no stream
    holds up or outlives the server.
    """
    contexts = [context]

    def open_(path="/", clock=False, own_window=False):
        if own_window:
            contexts.append(new_context(browser))
        return Screen(contexts[-1].new_page(), live.url).open(path, clock=clock)

    yield open_
    for each in contexts:
        each.close()
    deadline = time.monotonic() + 5
    while kiosk.events.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.01)  # the server notices a closed stream at its next heartbeat


@pytest.fixture
def kiosk(screen_app):
    return screen_app.extensions["hymy"]


@pytest.fixture
def seeded(kiosk):
    """A realistic week and a day before it (the demo's), ending on the test clock's Monday, and a PIN."""
    with connection():
        seed_ratings(kiosk.kiosk_id, kiosk.content_store, kiosk.config.opening_hours.zone, 8,
                     today=date(2026, 1, 6))
    set_pin(kiosk.config.data_dir, PIN)
