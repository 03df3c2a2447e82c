"""Pause, the manager PIN and the device-wide lock-out, as stored."""
import stat
import threading
from datetime import timedelta

import pytest

from kiosk.errors import ValidationError
from kiosk.manager.access import LockOut, OpenSessions
from kiosk.manager.pin import PIN_FILE, check_pin, pin_is_set, set_pin
from kiosk.storage.db import connection
from kiosk.storage.models import Rating
from sync.common.clock import FakeClock


@pytest.mark.parametrize("trusted", [True, False])
def test_a_paused_kiosk_stores_presses_as_closed_whatever_the_clock(make_app, clock, trusted):
    clock.set_trusted(trusted)
    kiosk = make_app(press_interval=0).extensions["hymy"]
    kiosk.pause.pause()
    assert kiosk.recorder.record(4, "touch").filtered == "closed"
    kiosk.pause.resume()
    assert kiosk.recorder.record(4, "touch").filtered is None  # the test clock's Monday noon is open
    with connection():
        assert [r.filtered for r in Rating.select().order_by(Rating.seq)] == ["closed", None]


def test_a_pause_survives_a_restart(make_app, clock):
    make_app().extensions["hymy"].recorder.pause_switch.pause()
    again = make_app(clock=FakeClock(clock.now(), boot_id="next-boot")).extensions["hymy"]
    assert again.recorder.pause_switch.paused
    assert again.recorder.record(3, "button").filtered == "closed"


def test_the_pin_is_kept_only_as_a_hash(tmp_path):
    set_pin(tmp_path, "4711")
    stored = (tmp_path / PIN_FILE).read_text()
    assert "4711" not in stored.split("$") and stored.startswith("scrypt:")
    assert stat.S_IMODE((tmp_path / PIN_FILE).stat().st_mode) == 0o600
    assert pin_is_set(tmp_path) and check_pin(tmp_path, "4711")
    assert not check_pin(tmp_path, "4712") and not check_pin(tmp_path, "47111")


@pytest.mark.parametrize("bad", ["123", "123456789", "12a4", "١٢٣٤", "", " 1234", None])
def test_a_pin_is_4_to_8_digits(tmp_path, bad):
    with pytest.raises(ValidationError):
        set_pin(tmp_path, bad)
    assert not pin_is_set(tmp_path) and not check_pin(tmp_path, "1234")


def test_five_tries_within_five_minutes_lock_until_five_minutes_after_the_first(app, clock):
    rule, now = LockOut(), clock.now()
    with connection():
        for n in range(4):
            assert rule.claim(now + timedelta(seconds=n)) is None  # counted, may be checked
        assert rule.locked_until(now + timedelta(seconds=4)) is None
        assert rule.claim(now + timedelta(seconds=10)) is None  # the fifth try is still checked
        until = now + timedelta(minutes=5)
        assert rule.locked_until(now + timedelta(seconds=10)) == until
        assert rule.claim(now + timedelta(seconds=11)) == until  # the sixth is refused
        assert rule.claim(until - timedelta(seconds=1)) == until  # refused tries count nothing
        # The first try leaves the window: one more may be checked, then the second one's lock holds.
        assert rule.claim(until) is None
        assert rule.locked_until(until) == now + timedelta(seconds=1, minutes=5)


def test_tries_spread_over_more_than_five_minutes_do_not_lock(app, clock):
    rule, now = LockOut(), clock.now()
    with connection():
        for n in range(10):
            assert rule.claim(now + timedelta(minutes=2 * n)) is None


def test_a_right_pin_clears_the_count(app, clock):
    rule, now = LockOut(), clock.now()
    with connection():
        for _ in range(4):
            rule.claim(now)
        rule.success()
        for _ in range(5):
            assert rule.claim(now) is None


def test_open_sessions_are_bounded_and_forget_the_idle_first(clock):
    sessions = OpenSessions(clock, idle_seconds=180, limit=3)
    idle = sessions.open()
    clock.advance(200)
    kept = [sessions.open() for _ in range(2)]
    newest = sessions.open()  # full: the idle one goes
    assert len(sessions) == 3 and sessions.touch(idle) is None
    clock.advance(1)
    assert sessions.touch(kept[1]) == sessions.touch(newest) == "open"
    sessions.open()  # full of live ones: the one least recently touched goes
    assert sessions.touch(kept[0]) is None
    assert sessions.touch(kept[1]) == sessions.touch(newest) == "open"


def test_open_sessions_end_on_idle_and_on_request_and_belong_to_one_boot(clock):
    sessions = OpenSessions(clock, idle_seconds=180)
    first, second, third = sessions.open(), sessions.open(), sessions.open()
    clock.advance(180)
    assert sessions.touch(first) == "open"
    clock.advance(181)
    assert sessions.touch(first) == "idle" and sessions.touch(first) is None
    sessions.end(second)
    assert sessions.touch(second) is None
    clock.reboot("another-boot")
    assert sessions.touch(third) == "idle"
    assert sessions.touch(None) is None and sessions.touch(["not", "an", "id"]) is None


def test_open_sessions_take_parallel_logins_without_losing_one(clock):
    sessions = OpenSessions(clock, idle_seconds=180, limit=1000)
    opened, start = [[] for _ in range(8)], threading.Barrier(8)

    def log_in(mine):
        start.wait(timeout=10)
        mine.extend(sessions.open() for _ in range(100))

    threads = [threading.Thread(target=log_in, args=(mine,)) for mine in opened]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len({session_id for mine in opened for session_id in mine}) == len(sessions) == 800


def test_unverified_rows_are_decided_once_the_clock_is_trusted_even_without_a_press(make_app):
    """Presses on an unset clock; NTP sets it; the manager looks before anyone presses again."""
    from datetime import datetime, timezone

    from kiosk.manager import reports

    clock = FakeClock(datetime(2026, 1, 5, 4, 0, tzinfo=timezone.utc), trusted=False)  # 06:00 in Helsinki
    kiosk = make_app(clock=clock, opening_hours={"mon": ["08:00-20:00"]}, press_interval=0).extensions["hymy"]
    assert kiosk.recorder.record(4, "touch").filtered == "unverified"
    clock.advance(60)
    assert kiosk.recorder.record(1, "touch").filtered == "unverified"
    # The wall clock was two hours slow: it was 10:01 in Helsinki. NTP sets it an hour later.
    clock.advance(3600)
    clock.set_wall(datetime(2026, 1, 5, 9, 2, tzinfo=timezone.utc), trusted=True)
    day = datetime(2026, 1, 5).date()
    with connection():
        assert reports.day_figures(day, kiosk.content_store.current()).awaiting_clock == 2  # no trusted moment yet
        kiosk.recorder.note_clock()
        figures = reports.day_figures(day, kiosk.content_store.current())
    assert figures.awaiting_clock == 0
    assert figures.counts.faces == (1, 0, 0, 1)
    assert [bar.label for bar in figures.hours if bar.counts.counted] == ["10"]
