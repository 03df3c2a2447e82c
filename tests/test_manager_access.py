"""The manager's way in, over real HTTP to a waitress-served kiosk: PIN tries sent in parallel
bursts never get more than five checked, and a session that ended stays ended for a copy of its
cookie (after "Back to customers", after three idle minutes, after a restart)."""
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
import requests

from kiosk.manager.pin import set_pin
from kiosk.manager.views import IDLE_SECONDS
from tests.helpers.bursts import release_together

PIN = "2468"
CSRF = re.compile(r'data-csrf="([^"]+)"')


class ManagerBrowser:
    """A browser at the kiosk's ``/manager``: its own cookie and connection, the CSRF token of its page."""

    def __init__(self, url, cookies=None):
        self.url = url
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        if cookies is not None:
            self.http.cookies.update(cookies)
        self.csrf = None

    def get(self, path="/manager"):
        response = self.http.get(self.url + path, allow_redirects=False, timeout=30)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path, **form):
        if self.csrf is None:
            self.get()
        return self.http.post(self.url + path, data={**form, "csrf_token": self.csrf}, allow_redirects=False,
                              timeout=60)

    def sign_in(self, pin=PIN):
        return self.post("/manager/login", pin=pin)

    def close(self):
        self.http.close()


@pytest.fixture
def kiosk_url(app, kiosk, serve):
    """The kiosk with a PIN, served by waitress with the threads of a real kiosk (config ``threads``)."""
    set_pin(kiosk.config.data_dir, PIN)
    return serve(app, threads=kiosk.config.threads).url


@pytest.fixture
def app(make_app):
    return make_app(language="en")


def _burst(url, pins):
    """POST each of *pins* to /manager/login from a browser of its own, all at once; their statuses."""
    browsers = [ManagerBrowser(url) for _ in pins]
    for browser in browsers:
        browser.get()  # the form and the connection, before the start
    try:
        return release_together([lambda browser=browser, pin=pin: browser.sign_in(pin).status_code
                                 for browser, pin in zip(browsers, pins, strict=True)])
    finally:
        for browser in browsers:
            browser.close()


def _shows_pin_pad(response):
    return response.status_code in (200, 429) and 'name="pin"' in response.text and 'data-page="today"' not in \
        response.text


def _sent_to_pin_pad(response):
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/manager"


# -- parallel bursts -----------------------------------------------------------------------------

def test_forty_parallel_wrong_pins_get_five_checked_and_then_the_right_one_is_refused(kiosk_url, clock):
    statuses = Counter(_burst(kiosk_url, ["0000"] * 40))
    assert statuses == {403: 5, 429: 35}
    # A second burst while locked, the right PIN among the wrong ones: every try is refused.
    second = _burst(kiosk_url, ["1111"] * 20 + [PIN] + ["2222"] * 19)
    assert Counter(second) == {429: 40} and second[20] == 429
    page = ManagerBrowser(kiosk_url).get()
    assert page.status_code == 429 and "locked until" in page.text
    clock.advance(5 * 60 + 1)
    assert ManagerBrowser(kiosk_url).sign_in().status_code == 302


def test_after_four_wrong_pins_at_once_the_right_one_gets_in_and_clears_the_count(kiosk_url):
    """Four wrong PINs leave room for a fifth try: the right one opens the screen and the count starts again."""
    assert Counter(_burst(kiosk_url, ["0000"] * 4)) == {403: 4}
    browser = ManagerBrowser(kiosk_url)
    assert browser.sign_in().status_code == 302 and 'data-page="today"' in browser.get().text
    assert Counter(_burst(kiosk_url, ["0000"] * 10)) == {403: 5, 429: 5}  # the count started again


# -- sessions that end ---------------------------------------------------------------------------

def _signed_in(url):
    browser = ManagerBrowser(url)
    assert browser.sign_in().status_code == 302
    assert 'data-page="today"' in browser.get().text
    return browser


def _assert_replay_refused(url, cookies):
    """A copy of an ended session's cookie: the PIN pad on /manager, a 302 there from every other page."""
    replay = ManagerBrowser(url, cookies)
    assert _shows_pin_pad(replay.get("/manager"))
    for path in ("/manager/week", "/manager/calendar", "/manager/kiosk", "/manager/pause"):
        assert _sent_to_pin_pad(replay.get(path)), path
    paused = replay.post("/manager/pause", action="pause")
    assert _sent_to_pin_pad(paused)
    assert replay.post("/manager/alive").status_code == 401


def test_a_cookie_copied_before_back_to_customers_opens_nothing_after(kiosk_url, kiosk):
    browser = _signed_in(kiosk_url)
    kept = browser.http.cookies.copy()
    left = browser.post("/manager/logout")
    assert left.status_code == 302 and urlsplit(left.headers["Location"]).path == "/"
    _assert_replay_refused(kiosk_url, kept)
    assert kiosk.pause.paused is False


def test_a_cookie_copied_before_three_idle_minutes_opens_nothing_after(kiosk_url, clock):
    browser = _signed_in(kiosk_url)
    kept = browser.http.cookies.copy()
    clock.advance(IDLE_SECONDS - 1)
    assert browser.get("/manager/week").status_code == 200  # a touch: the idle time starts again
    clock.advance(IDLE_SECONDS + 1)
    closed = browser.get("/manager")
    assert _shows_pin_pad(closed) and "three minutes without a touch" in closed.text
    _assert_replay_refused(kiosk_url, kept)


def test_a_cookie_copied_before_a_restart_opens_nothing_after_even_with_the_same_secret(app, make_app, kiosk_url,
                                                                                       serve):
    kept = _signed_in(kiosk_url).http.cookies.copy()
    restarted = make_app(language="en")  # the same kiosk started again
    # A restart also makes a new signing secret; with the old one kept, the cookie's signature still
    # holds, and the session is still not open in the new process.
    restarted.secret_key = app.secret_key
    _assert_replay_refused(serve(restarted).url, kept)
