"""The manager screen's rules, through Flask's test client: no PIN set, the
PIN and ``hymy set-pin``, the device-wide lock-out, the session's end (idle on
the kiosk's clock, "Back to customers", a restart), CSRF, pause and resume,
and pages that show what the figures say."""
import os
import re
import stat
from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.manager import reports
from kiosk.manager.pin import PIN_FILE, set_pin
from kiosk.manager.views import IDLE_SECONDS
from kiosk.storage.db import connection
from tests.helpers.manager import PIN, sign_in, signed_in, text, token


@pytest.fixture
def app(make_app):
    """A kiosk whose default language is English, so the tests read the English words."""
    return make_app(language="en")


@pytest.fixture
def with_pin(app, kiosk):
    set_pin(kiosk.config.data_dir, PIN)
    return app


# -- no PIN ------------------------------------------------------------------------------------

def test_with_no_pin_the_page_says_how_to_set_one_and_nothing_else(client):
    page = client.get("/manager")
    assert page.status_code == 200
    body = text(page)
    assert "hymy set-pin" in body
    assert 'name="pin"' not in body and "<svg class=\"chart" not in body and 'data-figure' not in body
    for path in ("/manager/week", "/manager/kiosk", "/manager/pause", "/manager/calendar"):
        assert client.get(path).headers["Location"].endswith("/manager")
    assert client.post("/manager/login", data={"pin": "0000", "csrf_token": token(client)}).status_code == 302


# -- hymy set-pin ------------------------------------------------------------------------------

def set_pin_command(data_dir, typed):
    env = {name: None for name in os.environ if name.startswith("HYMY_")}
    return CliRunner().invoke(main, ["set-pin"], input=typed, env={**env, "HYMY_DATA_DIR": str(data_dir)})


def test_set_pin_reads_the_pin_twice_from_standard_input_and_keeps_only_a_hash(tmp_path):
    result = set_pin_command(tmp_path, "20462046\n20462046\n")
    assert result.exit_code == 0, result.output
    assert "top-left corner" in result.output
    stored = (tmp_path / PIN_FILE).read_text()
    assert "20462046" not in stored.split("$") and stored.startswith("scrypt:")
    assert stat.S_IMODE((tmp_path / PIN_FILE).stat().st_mode) == 0o600


@pytest.mark.parametrize(("typed", "says"), [
    ("1234\n4321\n", "the two PINs differ"),
    ("12a4\n12a4\n", "4 to 8 digits"),
    ("123\n123\n", "4 to 8 digits"),
    ("123456789\n123456789\n", "4 to 8 digits"),
    ("1234\n", "two lines"),
])
def test_set_pin_refuses_with_one_line_and_changes_nothing(tmp_path, typed, says):
    result = set_pin_command(tmp_path, typed)
    assert result.exit_code == 2
    assert says in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / PIN_FILE).exists()


def test_a_pin_set_while_the_kiosk_runs_works_at_once(client, kiosk):
    assert set_pin_command(kiosk.config.data_dir, f"{PIN}\n{PIN}\n").exit_code == 0
    assert sign_in(client).status_code == 302 and signed_in(client)


# -- signing in and the lock-out ---------------------------------------------------------------

def test_the_pin_page_has_a_field_that_submits_on_enter_and_a_digit_pad(with_pin, client):
    body = text(client.get("/manager"))
    assert re.search(r'<form class="login" method="post"', body)
    assert re.search(r'<input id="pin" class="pin" name="pin" type="password" inputmode="none"', body)
    assert sorted(re.findall(r'data-digit="(\d)"', body)) == list("0123456789")
    assert 'type="submit"' in body  # Enter in the field submits the form


def test_the_right_pin_opens_the_manager_screen_and_a_wrong_one_does_not(with_pin, client):
    wrong = sign_in(client, "1111")
    assert wrong.status_code == 403 and "Wrong PIN" in text(wrong)
    assert not signed_in(client)
    assert sign_in(client).headers["Location"].endswith("/manager")
    assert signed_in(client)


def test_the_session_cookie_is_private_to_the_manager_screen(with_pin, client):
    cookie = sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/manager" in cookie
    assert "Expires" not in cookie  # gone with the browser, and with the process's secret


def test_five_wrong_pins_lock_every_browser_for_five_minutes(make_app, clock, kiosk):
    set_pin(kiosk.config.data_dir, PIN)
    # Two browsers (each on a kiosk app of its own: the lock-out lives in the database, not in a process).
    first, second = make_app(language="en").test_client(), make_app(language="en").test_client()
    for attempt in range(5):
        browser = first if attempt % 2 else second
        assert sign_in(browser, "0000").status_code in (403, 429)
    for browser in (first, second):
        refused = sign_in(browser)  # even the right PIN
        assert refused.status_code == 429 and "locked until" in text(refused)
        assert 'name="pin" type="password" inputmode="none" autocomplete="off" maxlength="8"' in text(refused)
        assert not signed_in(browser)
    clock.advance(5 * 60 - 1)
    assert sign_in(second).status_code == 429
    clock.advance(2)
    assert sign_in(second).status_code == 302 and signed_in(second)


# -- the session's end -------------------------------------------------------------------------

def test_the_session_ends_after_three_minutes_without_a_touch(with_pin, client, clock):
    sign_in(client)
    for _ in range(3):  # every page asked for is a touch: 9 minutes of use stay signed in
        clock.advance(IDLE_SECONDS - 1)
        assert client.get("/manager/week").status_code == 200
    clock.advance(IDLE_SECONDS + 1)
    page = client.get("/manager")
    assert 'name="pin"' in text(page) and "three minutes without a touch" in text(page)
    assert client.get("/manager/week").status_code == 302


def test_a_touch_on_the_page_reported_by_its_script_keeps_the_session(with_pin, client, clock):
    sign_in(client)
    csrf = token(client)
    clock.advance(IDLE_SECONDS - 10)
    assert client.post("/manager/alive", headers={"X-CSRFToken": csrf}).status_code == 204
    clock.advance(IDLE_SECONDS - 10)
    assert signed_in(client)
    clock.advance(IDLE_SECONDS + 1)
    assert client.post("/manager/alive", headers={"X-CSRFToken": csrf}).status_code == 401


def test_back_to_customers_ends_the_session(with_pin, client):
    sign_in(client)
    left = client.post("/manager/logout", data={"csrf_token": token(client)})
    assert left.status_code == 302 and left.headers["Location"] == "/"
    assert not signed_in(client)


def test_a_session_never_survives_a_restart(make_app, kiosk):
    set_pin(kiosk.config.data_dir, PIN)
    before = make_app(language="en").test_client()
    sign_in(before)
    cookie = before.get_cookie("hymy_manager", path="/manager")
    after = make_app(language="en").test_client()  # the same kiosk started again: a new secret
    after.set_cookie("hymy_manager", cookie.value, path="/manager")
    assert not signed_in(after)


# -- CSRF --------------------------------------------------------------------------------------

def test_forms_without_their_csrf_token_are_refused_and_change_nothing(with_pin, client, kiosk, clock):
    refused = client.post("/manager/login", data={"pin": "0000"})
    assert refused.status_code == 400 and "Nothing was changed" in text(refused)
    for _ in range(5):  # refused forms are not wrong PINs: no lock-out
        client.post("/manager/login", data={"pin": "0000", "csrf_token": "forged"})
    sign_in(client)
    assert client.post("/manager/pause", data={"action": "pause"}).status_code == 400
    assert client.post("/manager/pause", data={"action": "pause", "csrf_token": "x"}).status_code == 400
    assert kiosk.pause.paused is False
    assert client.post("/manager/logout").status_code == 400 and signed_in(client)


def test_the_customer_api_needs_no_csrf_token_and_keeps_its_contract(with_pin, client):
    sign_in(client)
    rating = client.post("/api/ratings", json={"rating": 3})
    assert rating.status_code == 201 and set(rating.get_json()) == {"id", "filtered", "followup_key"}
    followup = client.post(f"/api/ratings/{rating.get_json()['id']}/followup",
                           json={"reason": "staff", "followup_key": rating.get_json()["followup_key"]})
    assert followup.status_code == 201
    assert client.post("/api/ratings", data="rating=3").status_code == 415  # still JSON only


# -- pause -------------------------------------------------------------------------------------

def test_pause_and_resume_from_the_page(with_pin, client, kiosk, make_app, clock):
    sign_in(client)
    paused = client.post("/manager/pause", data={"action": "pause", "csrf_token": token(client)})
    assert paused.status_code == 302 and kiosk.pause.paused
    assert client.post("/api/ratings", json={"rating": 4}).get_json()["filtered"] == "closed"
    clock.advance(10)
    screen = text(client.get("/"))
    assert 'data-view="closed"' in screen and re.search(r'<main id="question"[^>]* hidden>', screen)
    assert "Resume" in text(client.get("/manager/pause"))
    assert 'tab--alert' in text(client.get("/manager"))
    assert make_app().extensions["hymy"].recorder.pause_switch.paused  # a restart keeps the pause

    client.post("/manager/pause", data={"action": "resume", "csrf_token": token(client)})
    assert not kiosk.pause.paused
    assert client.post("/api/ratings", json={"rating": 4}).get_json()["filtered"] is None
    screen = text(client.get("/"))
    assert 'data-view="question"' in screen and re.search(r'<section id="closed"[^>]* hidden>', screen)


def test_the_customer_screen_has_no_visible_way_to_the_manager_screen(with_pin, client):
    screen = text(client.get("/"))
    assert 'href="/manager' not in screen
    assert 'data-manager-url="/manager"' in screen  # for the hidden three-second press (static/js/corner.js)


# -- what the pages show -----------------------------------------------------------------------

def tap_at(kiosk, clock, moment, rating, reason=None, comment=None):
    clock.set_wall(moment)
    clock.advance(10)
    recorded = kiosk.recorder.record(rating, "touch")
    if reason:
        kiosk.recorder.record_followup(recorded.id, reason, comment)
    return recorded


HELSINKI_NOON = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


def test_today_shows_the_days_figures_as_counted_from_the_taps(with_pin, client, kiosk, clock):
    # Monday 5 January in Helsinki: 09:xx two taps, 12:xx four; a repeat that never counts.
    taps = [(7, 4, None), (7, 3, "staff"), (10, 4, None), (10, 2, "waiting"), (10, 1, "waiting"), (10, 3, None)]
    for hour, rating, reason in taps:
        tap_at(kiosk, clock, HELSINKI_NOON.replace(hour=hour), rating, reason,
               "Jono oli pitkä" if rating == 1 else None)
    clock.advance(0.5)
    kiosk.recorder.record(4, "button")  # within 3 s: a repeat
    sign_in(client)
    body = text(client.get("/manager"))
    figures = dict(re.findall(r'<p class="figure__label">([^<]+)</p>\s*<p class="figure__value">([^<]+)</p>', body))
    # Counted by hand: 4 happy of 6 = 67 %; Happy Index 100 * (3+2+3+1+0+2) / 18 = 61.1.
    assert figures == {"Satisfaction": "67\u00a0%", "Happy Index": "61.1", "Ratings": "6", "Follow-ups": "50\u00a0%"}
    assert "figure--bad" in body and "target 85\u00a0%" in body  # 67 % is under the target
    bars = dict(re.findall(r'data-hour="(\d\d)" data-counted="(\d+)"', body))
    assert bars == {"09": "2", "10": "0", "11": "0", "12": "4"}
    assert "1 left out (repeats, closed)" in body
    assert "Jono oli pitkä" in body and "12:" in body
    assert "What: 0\u00a0%" in body and "How: 100\u00a0%" in body  # all three reasons are functional (how)


def test_a_comment_shows_only_where_its_rating_counts(make_app, clock):
    """A repeat's or a paused kiosk's comment is left out with its rating, as Follow-ups leaves it out; a
    rating on an untrusted clock shows its comment once the kiosk placed it, on the day it really was."""
    app = make_app(language="en", opening_hours={day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri")})
    kiosk = app.extensions["hymy"]
    set_pin(kiosk.config.data_dir, PIN)
    recorder = kiosk.recorder
    # The clock says Sunday 23:30 in Helsinki (closed) and is not trusted: it is really Monday 10:30.
    clock.reboot("boot-2", monotonic=100.0)
    clock.set_wall(datetime(2026, 1, 4, 21, 30, tzinfo=timezone.utc), trusted=False)
    placed = recorder.record(2, "touch")
    assert placed.filtered == "unverified"
    clock.advance(5)
    recorder.record_followup(placed.id, "waiting", "Kassalla jonoa")
    clock.advance(55)
    clock.set_wall(datetime(2026, 1, 5, 8, 31, 5, tzinfo=timezone.utc), trusted=True)  # NTP: Monday 10:31:05
    counted = recorder.record(4, "touch")
    recorder.record_followup(counted.id, "staff", "Kiitos, nopeaa")
    clock.advance(1)
    repeat = recorder.record(3, "button")
    assert repeat.filtered == "repeat"
    recorder.record_followup(repeat.id, "staff", "Painoin kahdesti")
    clock.advance(600)
    recorder.pause_switch.pause()
    closed = recorder.record(1, "touch")
    assert closed.filtered == "closed"
    recorder.record_followup(closed.id, "outcome", "Suljettu, silti vastasin")
    recorder.pause_switch.resume()

    client = app.test_client()
    assert sign_in(client).status_code == 302
    monday = text(client.get("/manager?day=2026-01-05"))
    assert "Kiitos, nopeaa" in monday and "Kassalla jonoa" in monday
    assert "Painoin kahdesti" not in monday and "Suljettu, silti vastasin" not in monday
    assert re.search(r"Kassalla jonoa</p>\s*<p class=\"comment__meta\">10:30 ", monday)  # at its corrected time
    figures = dict(re.findall(r'<p class="figure__label">([^<]+)</p>\s*<p class="figure__value">([^<]+)</p>', monday))
    assert figures["Ratings"] == "2" and figures["Follow-ups"] == "100\u00a0%"
    assert "2 answered what mattered" in monday and "2 left out (repeats, closed)" in monday
    sunday = text(client.get("/manager?day=2026-01-04"))
    assert "Kassalla jonoa" not in sunday and "No comments on this day." in sunday


def test_the_day_param_and_the_calendar_offer_exactly_the_days_shown_in_full(with_pin, client, kiosk, clock):
    for back in (3, 2, 1, 0):
        tap_at(kiosk, clock, HELSINKI_NOON - timedelta(days=back), 4)
    sign_in(client)
    with connection():
        first, today = reports.available_days(kiosk.content_store.current().opening_hours.zone, clock.now())
    assert client.get(f"/manager?day={today}").status_code == 200
    if first:
        assert client.get(f"/manager?day={first}").status_code == 200
        assert client.get(f"/manager?day={first - timedelta(days=1)}").status_code == 404
    assert client.get(f"/manager?day={today + timedelta(days=1)}").status_code == 404
    assert client.get("/manager?day=5.1.2026").status_code == 400
    assert client.get("/manager/week?end=nonsense").status_code == 400
    offered = re.findall(r'data-day="([\d-]+)"', text(client.get("/manager/calendar")))
    expected = [str(day) for day in (date(2026, 1, 1) + timedelta(days=n) for n in range(31))
                if (first or today) <= day <= today]
    assert offered == expected


def test_the_week_page_shows_each_day_and_a_weekday_by_hour_map(with_pin, client, kiosk, clock):
    for back in range(6, -1, -1):  # oldest first: the clock ends on Monday 5 January
        for rating in (4, 4, 3, 2, 1)[: 1 + back % 5]:
            tap_at(kiosk, clock, HELSINKI_NOON - timedelta(days=back), rating)
    sign_in(client)
    body = text(client.get("/manager/week"))
    per_day = dict(re.findall(r'data-day="([\d-]+)" data-counted="(\d+)"', body))
    assert per_day == {str(date(2026, 1, 5) - timedelta(days=back)): str(1 + back % 5) for back in range(7)}
    assert body.count('class="chart__cell"') >= 7  # every weekday has its noon cell
    assert "Satisfaction by weekday and hour" in body
    # Head office's bands against the target of 85: the legend names all five, in every language.
    legend = re.search(r'<p class="legend legend--heat">(.*?)</p>', body, re.S).group(1)
    assert re.findall(r'data-band="(\w+)"', legend) == ["good", "mid", "bad", "few", "none"]
    assert [words.strip() for words in re.findall(r'</span>([^<]*)</span>', legend)] == [
        "85\u00a0% or more", "75–84\u00a0%", "under 75\u00a0%", "too few", "no ratings"]
    cells = re.findall(r'<rect class="heat-(\w+)" data-band="\w+" data-counted="(\d+)"', body)
    assert sorted(set(cells)) == [("bad", "5"), ("few", "1"), ("few", "2"), ("few", "3"), ("few", "4")]  # 60 %
    finnish = text(client.get("/manager/week?lang=fi"))
    assert "85\u00a0% tai enemmän" in finnish and "alle 75\u00a0%" in finnish and "ei arvioita" in finnish


def test_the_kiosk_page_says_in_plain_words_how_the_kiosk_is(with_pin, client, kiosk, clock):
    tap_at(kiosk, clock, HELSINKI_NOON, 4)
    sign_in(client)
    body = text(client.get("/manager/kiosk"))
    assert "Everything works." in body
    assert "Not connected yet" in body and "1 waiting to be sent" in body
    assert "Set from the network" in body and "GB free" in body or "MB free" in body
    clock.set_trusted(False)
    assert "Not yet checked" in text(client.get("/manager/kiosk"))


def test_the_pages_speak_the_kiosks_languages(with_pin, client):
    sign_in(client)
    assert "Tyytyväisyys" in text(client.get("/manager?lang=fi"))
    assert "Nöjdhet" in text(client.get("/manager?lang=sv"))
    week_link = re.search(r'href="(/manager/week[^"]*)"', text(client.get("/manager?lang=sv"))).group(1)
    assert week_link == "/manager/week?lang=sv"


# -- hymy demo ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_the_demo_prints_its_manager_pin_and_seeds_a_week_worth_showing(tmp_path):
    from gpiozero.pins.mock import MockFactory

    from kiosk.cli.demo import BAD_HOUR, build_demo_app, start_demo
    from sync.common.clock import FakeClock
    from sync.wire.figures import satisfaction

    app = build_demo_app(tmp_path, clock=FakeClock(datetime(2026, 1, 5, 21, 30, tzinfo=timezone.utc)),
                         pin_factory=MockFactory())
    demo = start_demo(app, tmp_path, days=7, central_port=0)
    try:
        (line,) = [line for line in demo.announcement("http://127.0.0.1:8000/") if "manager screen" in line]
        assert "http://127.0.0.1:8000/manager" in line and "top-left corner for three seconds" in line
        pin = re.search(r"PIN (\d{4})\b", line).group(1)
        client = app.test_client()
        assert sign_in(client, pin).status_code == 302

        yesterday = date(2026, 1, 4)
        page = text(client.get(f"/manager?day={yesterday}"))
        bad_column = re.search(rf'data-hour="{BAD_HOUR}".*?</g>', page, re.S).group(0)
        assert "is-below" in bad_column  # the bad hour is red on the chart
        content = demo.kiosk.content_store.current()
        with connection():
            day = reports.day_figures(yesterday, content)
            week = reports.week_figures(yesterday, content)
        hours = {bar.label: bar.counts for bar in day.hours}
        worst = min((h for h in hours if hours[h].counted >= 5), key=lambda h: satisfaction(hours[h]))
        assert worst == str(BAD_HOUR)
        assert max(hours[str(BAD_HOUR)].unhappy_reasons.items(), key=lambda item: item[1])[0] == "waiting"
        per_hour = [sum(week.heat[weekday][hour].counted for weekday in range(7)) for hour in range(24)]
        assert per_hour[8] < per_hour[10] < per_hour[12] > per_hour[15]  # quiet mornings, a lunch peak
    finally:
        demo.close()


def test_a_failing_database_is_a_page_saying_so_not_an_error_dump(with_pin, client, kiosk):
    sign_in(client)
    assert signed_in(client)
    path = kiosk.config.database_path
    aside = path.with_name(path.name + ".aside")
    os.replace(path, aside)
    try:
        path.write_bytes(b"this is not a database\n" * 512)
        response = client.get("/manager")
    finally:
        os.replace(aside, path)
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "storage is not answering" in text(response)
    assert "Traceback" not in text(response)
