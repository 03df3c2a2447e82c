"""The kiosk places its ``unverified`` ratings with central's rule, and only on a trusted clock.

The recorder's ``note_clock`` (which the manager's pages call before they
count) reads the kiosk's clock once: when it is trusted, that reading is the
latest instant a rating can have been recorded at, and the ratings whose
boot had a trusted pair are placed by :func:`sync.wire.clock_correction.corrected_time`.
tests/central/test_clock_agreement.py shows the kiosk and central agree.
"""
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.storage.db import connection
from kiosk.storage.models import ClockDecision, HourlyCount, Rating
from sync.common.clock import FakeClock

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)  # Monday, 14:00 in Helsinki
EVERY_DAY = {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def wrong_clock():
    """A week off, not trusted yet, in boot-1."""
    return FakeClock(NOW - timedelta(days=7), monotonic=100.0, trusted=False, boot_id="boot-1")


def decision(rating_id):
    with connection():
        found = ClockDecision.get_or_none(ClockDecision.rating == rating_id)
    return None if found is None else (found.corrected_at, found.filtered)


def test_nothing_is_placed_until_the_clock_is_trusted_now(make_app, wrong_clock):
    """A boot's trusted pair is not enough: without a trusted now there is no latest instant to check."""
    kiosk = make_app(clock=wrong_clock, opening_hours=EVERY_DAY).extensions["hymy"]
    untrusted = kiosk.recorder.record(3, "touch")
    wrong_clock.advance(60)
    wrong_clock.set_wall(NOW, trusted=True)
    kiosk.recorder.record(4, "touch")  # notes boot-1's trusted pair
    wrong_clock.reboot("boot-2", monotonic=5.0)
    wrong_clock.set_trusted(False)

    assert kiosk.recorder.note_clock() == 0
    assert decision(untrusted.id) is None
    wrong_clock.set_trusted(True)
    assert kiosk.recorder.note_clock() == 1
    assert decision(untrusted.id) == (NOW - timedelta(seconds=60), None)  # 13:59 in Helsinki: counted
    assert kiosk.recorder.note_clock() == 0  # decided once


def test_a_rating_that_can_never_be_placed_stays_apart_and_takes_no_write_lock(make_app, wrong_clock):
    """Its reading puts it before 2000: it stays unverified, as at central, and a page view that finds
    it still does not wait for the write lock (held here by another connection)."""
    kiosk = make_app(clock=wrong_clock, opening_hours=EVERY_DAY, busy_timeout_ms=200).extensions["hymy"]
    ancient = kiosk.recorder.record(2, "button")
    wrong_clock.advance(9e8)  # about 28 years on the monotonic clock
    wrong_clock.set_wall(NOW, trusted=True)
    kiosk.recorder.record(4, "touch")  # the boot's trusted pair
    holder = sqlite3.connect(kiosk.config.database_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert kiosk.recorder.note_clock() == 0  # would raise StorageError after 200 ms if it waited
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert decision(ancient.id) is None
    with connection():
        assert Rating.get_by_id(ancient.id).filtered == "unverified"
        assert sum(hour.unverified for hour in HourlyCount.select()) == 1
