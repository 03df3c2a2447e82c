"""Pause, the manager PIN and the device-wide lock-out, as stored."""
import stat
from datetime import timedelta

import pytest

from kiosk.db import connection
from kiosk.errors import ValidationError
from kiosk.manager_access import LockOut
from kiosk.models import Rating
from kiosk.pin import PIN_FILE, check_pin, pin_is_set, set_pin
from sync.common.clock import FakeClock


@pytest.mark.parametrize("trusted", [True, False])
def test_a_paused_kiosk_stores_presses_as_closed_whatever_the_clock(make_app, clock, trusted):
    clock.set_trusted(trusted)
    kiosk = make_app(press_interval=0).extensions["hymy"]
    kiosk.recorder.pause()
    assert kiosk.recorder.record(4, "touch").filtered == "closed"
    kiosk.recorder.resume()
    assert kiosk.recorder.record(4, "touch").filtered is None  # the test clock's Monday noon is open
    with connection():
        assert [r.filtered for r in Rating.select().order_by(Rating.seq)] == ["closed", None]


def test_a_pause_survives_a_restart(make_app, clock):
    make_app().extensions["hymy"].recorder.pause()
    again = make_app(clock=FakeClock(clock.now(), boot_id="next-boot")).extensions["hymy"]
    assert again.recorder.paused
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


def test_five_wrong_pins_within_five_minutes_lock_for_five_minutes(app, clock):
    rule, now = LockOut(), clock.now()
    with connection():
        for n in range(4):
            assert rule.failure(now + timedelta(seconds=n)) is None
        assert rule.locked_until(now) is None
        until = rule.failure(now + timedelta(seconds=10))
        assert until == now + timedelta(seconds=10, minutes=5)
        assert rule.locked_until(now + timedelta(minutes=5)) == until
        assert rule.locked_until(until) is None


def test_wrong_pins_spread_over_more_than_five_minutes_do_not_lock(app, clock):
    rule, now = LockOut(), clock.now()
    with connection():
        for n in range(10):
            assert rule.failure(now + timedelta(minutes=2 * n)) is None


def test_a_right_pin_clears_the_count(app, clock):
    rule, now = LockOut(), clock.now()
    with connection():
        for _ in range(4):
            rule.failure(now)
        rule.success()
        assert rule.failure(now) is None


def test_unverified_rows_are_decided_once_the_clock_is_trusted_even_without_a_press(make_app):
    """Presses on an unset clock; NTP sets it; the manager looks before anyone presses again."""
    from datetime import datetime, timezone

    from kiosk import reports

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
        assert reports.day_figures(day, kiosk.recorder.content).awaiting_clock == 2  # no trusted moment yet
        kiosk.recorder.note_clock()
        figures = reports.day_figures(day, kiosk.recorder.content)
    assert figures.awaiting_clock == 0
    assert figures.counts.faces == (1, 0, 0, 1)
    assert [bar.label for bar in figures.hours if bar.counts.counted] == ["10"]
