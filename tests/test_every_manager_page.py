"""Every manager page on the kiosk, in every language, in every state a manager meets: never a 5xx,
never English left on a Finnish or Swedish page.

The pages come from the kiosk's own URL map (every GET route under ``/manager``,
tests/helpers/routes.py). The kiosk holds a week of taps in Helsinki across the spring's change of
time (Sunday 29 March 2026, a 23-hour day), with reasons, comments, repeats and presses while
paused. Each page, and each day, week and month it takes in its query, is asked over real HTTP in
Finnish, Swedish and English: with no PIN set, signed out with a PIN set, signed in, and signed in
while the kiosk is paused, and with a network document from central (the manager roles there are:
no one, and the manager). The answer is a
200, 302, 403 or 404, and a Finnish or Swedish page shows none of the English message ids the
kiosk's catalog translates (tests/helpers/untranslated.py).
"""
import re
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

from kiosk.manager.pin import set_pin
from kiosk.storage import actions
from kiosk.storage.network import NetworkStore
from tests.helpers.network_document import network_document
from tests.helpers.routes import page_routes
from tests.helpers.untranslated import EnglishFinder

PIN = "2468"
LANGUAGES = ("fi", "sv", "en")
ALLOWED = {200, 302, 403, 404}
CATALOGS = "kiosk/translations/{language}/LC_MESSAGES/messages.po"
HELSINKI = ZoneInfo("Europe/Helsinki")
#: The kiosk's now: Tuesday 31 March 2026, 13:00 in Helsinki (summer time since Sunday).
NOW = datetime(2026, 3, 31, 10, 0, tzinfo=timezone.utc)
FIRST_DAY = date(2026, 3, 24)
CHANGE_DAY = "2026-03-29"
#: Local times of the day's taps: the first and last hours of the day, which a change of offset moves.
TAP_TIMES = [(0, 30), (2, 30), (3, 30), (9, 15), (11, 40), (12, 5), (12, 10), (16, 45), (23, 30)]
COMMENTS = ["Jono oli pitkä", "Kassalla ei ollut ketään", None]


def _seed(kiosk, clock):
    """A week of taps up to now, one of them repeated at once, and two presses while paused."""
    day, n = FIRST_DAY, 0
    while day <= NOW.astimezone(HELSINKI).date():
        for hour, minute in TAP_TIMES:
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI).astimezone(timezone.utc)
            if moment >= NOW:
                break
            clock.set_wall(moment)
            clock.advance(30)  # monotonic time moves on: no tap is a repeat of the one before
            rating = (4, 3, 1, 4, 2, 4, 3, 4, 1)[(n + day.day) % 9]
            recorded = kiosk.recorder.record(rating, "touch")
            if rating <= 2:
                kiosk.recorder.record_followup(recorded.id, ("waiting", "staff", "outcome")[n % 3],
                                               COMMENTS[n % len(COMMENTS)])
            n += 1
        day += timedelta(days=1)
    clock.advance(1)
    kiosk.recorder.record(4, "button")  # within the press interval: a repeat
    kiosk.pause.pause()
    clock.advance(60)
    kiosk.recorder.record(1, "button")  # stored as closed
    kiosk.pause.resume()
    clock.set_wall(NOW)
    _record_actions(kiosk, clock)


def _record_actions(kiosk, clock):
    """An action of each kind of target, one of them withdrawn: the Actions page shows every state."""
    started = (NOW.astimezone(HELSINKI).date() - timedelta(days=3)).isoformat()
    lunch = {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11, "to_hour": 14}
    for title, target in (("Toinen kassa", lunch), ("Jonon ohjaus", {"kind": "reason", "reason": "waiting"}),
                          ("Uusi matto", {"kind": "site"})):
        action = actions.new_action(kiosk.kiosk_id, title, "Huom.", started, target, clock.now())
        actions.keep(action, clock.now())
    withdrawal = actions.new_action(kiosk.kiosk_id, "Uusi matto", None, started, {"kind": "site"}, clock.now(),
                                    supersedes=action["id"], withdrawn=True)
    actions.keep(withdrawal, clock.now())


def queries(route):
    """The query strings a manager page takes: each day of the week, the change of time, a day before the
    kiosk's first, a week's end, this month and the last, a month before any tap."""
    days = [(FIRST_DAY + timedelta(days=n)).isoformat() for n in range(8)]
    return {
        "manager.today": [{}, *[{"day": day} for day in days], {"day": "2026-03-01"}],
        "manager.week": [{}, {"end": CHANGE_DAY}, {"end": "2026-03-25"}, {"end": "2026-04-30"}],
        "manager.calendar": [{}, {"month": "2026-03"}, {"month": "2026-02"}, {"month": "2025-12"}],
    }.get(route.endpoint, [{}])


class Manager:
    """One browser on the kiosk's manager pages, over real HTTP."""

    def __init__(self, url):
        self.url, self.http = url, requests.Session()

    def get(self, path, params=None):
        return self.http.get(self.url + path, params=params, allow_redirects=False, timeout=30)

    def sign_in(self):
        page = self.get("/manager")
        token = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
        answer = self.http.post(self.url + "/manager/login", data={"pin": PIN, "csrf_token": token},
                                allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text[:300]

    def close(self):
        self.http.close()


def test_every_manager_page_in_every_language_and_state_answers_without_a_5xx_or_english(
        make_app, clock, serve):
    app = make_app()
    kiosk = app.extensions["hymy"]
    _seed(kiosk, clock)
    server = serve(app)
    routes = page_routes(app, under="/manager")
    assert {route.endpoint for route in routes} >= {"manager.today", "manager.week", "manager.calendar",
                                                      "manager.state", "manager.pause_page"}
    ids = {"action_id": [current.latest["id"] for current in actions.site_actions([])] + [str(uuid.uuid4())]}
    urls = [(path, params) for route in routes for path in route.urls(ids) for params in queries(route)]
    finders = {language: EnglishFinder(CATALOGS.format(language=language)) for language in ("fi", "sv")}
    statuses, problems, requests_made = Counter(), [], 0

    def ask_all(state, browser):
        nonlocal requests_made
        for language in LANGUAGES:
            for path, params in urls:
                response = browser.get(path, {**params, "lang": language})
                requests_made += 1
                statuses[state, response.status_code] += 1
                where = f"{state}, {language}: GET {response.request.path_url}"
                if response.status_code not in ALLOWED:
                    problems.append(f"{where} answered {response.status_code}: {response.text[:300]}")
                elif language in finders and response.headers["Content-Type"].startswith("text/html"):
                    left = finders[language].left_in(response.text)
                    if left:
                        problems.append(f"{where} ({response.status_code}) shows English: {left}")

    browser = Manager(server.url)
    try:
        ask_all("no PIN set", browser)
        set_pin(kiosk.config.data_dir, PIN)
        ask_all("signed out", browser)
        browser.sign_in()
        ask_all("signed in", browser)
        NetworkStore(kiosk.config.data_dir).save(network_document(names=["Tampere", "Kamppi"]), "e1", NOW)
        ask_all("signed in, with the network", browser)
        kiosk.pause.pause()
        ask_all("signed in, paused", browser)
    finally:
        browser.close()
    assert not problems, f"{len(problems)} of {requests_made} answers wrong:\n" + "\n".join(problems[:40])
    print(f"\n{requests_made} requests: {dict(sorted(statuses.items()))}")
    assert statuses["signed in", 200] and statuses["signed in", 404] and statuses["signed out", 302], statuses
