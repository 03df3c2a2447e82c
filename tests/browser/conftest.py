"""The screen in a real browser: Debian's Chromium driven by Playwright.

One browser per test session (starting Chromium is the slow part), a fresh
context per test (no shared cookies, storage or timers), and a real kiosk
served by waitress on loopback from the ``serve`` fixture. Never download a
browser: the tests use /usr/bin/chromium, which tests/run.sh installs.
"""
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from kiosk.storage.db import connection
from kiosk.storage.models import Followup
from tests.conftest import stored_ratings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: The panels the screen must fit: a 7" Pi display, a 10" panel, a full-HD monitor.
SIZES = {"800x480": (800, 480), "1024x600": (1024, 600), "1920x1080": (1920, 1080)}

ANY_ID = re.compile(r"^[0-9a-f-]{36}$")


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


def new_context(browser):
    """A fresh browser context sized like the common 10" kiosk panel."""
    context = browser.new_context(viewport={"width": 1024, "height": 600}, has_touch=True)
    context.set_default_timeout(5000)
    return context


@pytest.fixture
def context(browser):
    context = new_context(browser)
    yield context
    context.close()


class Screen:
    """One open kiosk page and the actions a customer takes on it."""

    def __init__(self, page, url):
        self.page = page
        self.url = url
        self.body = page.locator("body")
        self.requests = []  # every URL the page asked for, in order
        self.errors = []  # uncaught script errors
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path="/", clock=False):
        if clock:
            # Fake timers: the test moves time with page.clock.fast_forward().
            self.page.clock.install()
        self.page.goto(self.url + path)
        self.wait_live()
        return self

    def wait_live(self):
        """Wait until the push stream is open, so a button press reaches this page."""
        expect(self.body).to_have_attribute("data-live", "true")

    def face(self, rating):
        return self.page.locator(f'.face[data-rating="{rating}"]')

    def reason(self, key):
        return self.page.locator(f'.chip[data-reason="{key}"]')

    def key(self, character):
        return self.page.locator(f'.keyboard__layer:not([hidden]) .key[data-key="{character}"]')

    def action(self, name):
        return self.page.locator(f'.view:not([hidden]) [data-action="{name}"]:visible')

    def tap_face(self, rating):
        """Tap a face and wait until the kiosk has stored it; return the rating id.
        The kiosk's 201 answer (with the follow-up key) is kept in :attr:`created`."""
        with self.page.expect_response("**/api/ratings") as reply:
            self.face(rating).click()
        assert reply.value.status == 201
        self.created = reply.value.json()
        expect(self.body).to_have_attribute("data-rating-id", ANY_ID)
        return self.body.get_attribute("data-rating-id")

    def type_comment(self, text):
        """Type *text* key by key on the on-screen keyboard's letter layer."""
        keyboard = self.page.locator(".keyboard")
        for character in text:
            if character == " ":
                self.action("space").click()
                continue
            shifted = "is-shifted" in (keyboard.get_attribute("class") or "")
            if character.isalpha() and character.isupper() != shifted:
                self.action("shift").click()
            self.key(character.lower()).click()

    def requests_to(self, path):
        """How many requests this page has sent to *path* so far."""
        return sum(1 for url in self.requests if url.split("?")[0].endswith(path))

    def showing(self, view):
        expect(self.body).to_have_attribute("data-view", view)

    def screenshot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled")


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


def stored_followups():
    """Every stored follow-up, oldest first."""
    with connection():
        return list(Followup.select().order_by(Followup.recorded_at, Followup.id))


__all__ = ["stored_ratings", "stored_followups", "SIZES", "ARTIFACTS", "ANY_ID"]
