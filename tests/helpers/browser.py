"""The screens in a real browser: Debian's Chromium and its flags, the window sizes, where screenshots
go, and a customer screen driven the way a customer uses it."""

import re
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.helpers.manager import PIN

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


#: How long the follow-up ignores touches after a face's tap (``GHOST_TAP_MS`` in view.js).
GHOST_TAP_MS = 300


ANY_ID = re.compile(r"^[0-9a-f-]{36}$")


def hold_the_clock(page):
    """Fake the page's timers and hold them still, so they move only when the test moves
    them (``fast_forward``, ``run_for``).

    A clock that is only installed still runs on with real time: on a loaded machine
    the seconds a test spends waiting for the page would count as the page's time
    too, and a timer due in 5 s could fire after a step of 4.9 s."""
    start = datetime.now()
    page.clock.install(time=start)
    page.clock.pause_at(start + timedelta(seconds=1))


def new_context(browser):
    """A fresh browser context sized like the common 10" kiosk panel."""
    context = browser.new_context(viewport={"width": 1024, "height": 600}, has_touch=True)
    context.set_default_timeout(5000)
    return context


class Screen:
    """One open kiosk page and the actions a customer takes on it."""

    def __init__(self, page, url):
        self.page = page
        self.url = url
        self.body = page.locator("body")
        self.requests = []  # every URL the page asked for, in order
        self.errors = []  # uncaught script errors
        self.clock_held = False
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path="/", clock=False):
        if clock:
            hold_the_clock(self.page)
            self.clock_held = True
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
        self.let_the_followup_wake()
        return self.body.get_attribute("data-rating-id")

    def let_the_followup_wake(self):
        """The follow-up ignores touches for its first moment (a ghost tap of the face
        must not pick a reason); on a held clock, let that moment pass."""
        if self.clock_held:
            self.page.clock.run_for(GHOST_TAP_MS)

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


#: The smallest finger target on the manager's pages (a manager stands close; 48 px is the platforms' guidance).
MIN_TARGET_PX = 48


FITS_ACROSS = """() => ({w: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
                          vw: innerWidth})"""


SMALL_TARGETS = """(min) => [...document.querySelectorAll('button, a[href], input')]
  .filter((el) => el.offsetParent !== null || el.closest('svg'))
  .map((el) => [el.className.baseVal ?? el.className, el.textContent.trim().slice(0, 20), el.getBoundingClientRect()])
  .filter(([, , r]) => r.width < min || r.height < min)
  .map(([name, label, r]) => `${name} ${label}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled")


def check_fits(page, where):
    # Measure the page as styled: a locator's expectation can pass on the parsed document while its
    # stylesheet is still on the way (seen under a loaded machine: unstyled buttons measure small).
    page.wait_for_load_state("load")
    size = page.evaluate(FITS_ACROSS)
    assert size["w"] <= size["vw"], f"{where} scrolls sideways: {size}"
    small = page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)
    assert small == [], f"{where}: targets under {MIN_TARGET_PX} px: {small}"


def enter_pin(page, pin=PIN):
    for digit in pin:
        page.locator(f'.pad__key[data-digit="{digit}"]').click()
    expect(page.locator("#pin")).to_have_value(pin)
    page.locator(".pad__key--ok").click()
