"""Wrong kiosk clocks corrected at central from the monotonic clock.

Central's FakeClock stands for real time; the kiosk's wall clock is a week
off, jumps when NTP syncs, and restarts with each boot, while its monotonic
clock runs true. Central places each untrusted row within a second of when
it really happened, keeps the kiosk's own time beside it, and flags what it
cannot place."""
from datetime import datetime, timedelta, timezone

import pytest

WEEK = timedelta(days=7)
EVERY_DAY = [f"{day}=08:00-20:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
KIOSK_HOURS = {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def central_rows(world):
    """id -> (occurred_at, time_basis, recorded_at, filtered) as central keeps them."""
    def moment(text):
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)

    return {row_id: (moment(occurred), basis, moment(recorded), filtered)
            for row_id, occurred, basis, recorded, filtered in world.central_query(
                "SELECT id, occurred_at, time_basis, recorded_at, filtered FROM rating")}


def assert_placed(world, ids, basis):
    rows = central_rows(world)
    for row_id in ids:
        occurred, row_basis, _, _ = rows[row_id]
        assert row_basis == basis, row_id
        off = abs((occurred - world.truth[row_id]).total_seconds())
        assert off < 1.0, f"central placed {row_id} {off:.0f} s from when it happened"


@pytest.fixture
def hours_world(make_world):
    """A site open 08-20 Helsinki time every day, on central and in the kiosk's own file."""
    return make_world(site_hours=EVERY_DAY, opening_hours=KIOSK_HOURS)


def test_clock_a_week_off_then_an_ntp_jump_between_recording_and_sending(hours_world):
    world, clock = hours_world, hours_world.clock
    clock.set_wall(clock.now() - WEEK, trusted=False)  # no RTC: the Pi woke up with last week's time

    (open_hours,) = world.record(1, followup_every=0)  # really 12:00 in Helsinki: open
    world.advance(timedelta(hours=8, minutes=30).total_seconds())
    (after_closing,) = world.record(1, followup_every=0)  # really 20:30: closed
    world.advance(600)
    world.uploader.loop(max_passes=1)
    assert world.pending() == 0

    assert_placed(world, [open_hours, after_closing], "corrected")
    rows = central_rows(world)
    for row_id in (open_hours, after_closing):  # the kiosk's own time is kept beside the corrected one
        occurred, _, recorded, _ = rows[row_id]
        assert abs((occurred - recorded) - WEEK) < timedelta(seconds=1)
    # The kiosk could not tell open from closed on a wrong clock; central decides from the corrected time.
    assert world.kiosk_query("SELECT DISTINCT filtered FROM rating") == [("unverified",)]
    assert rows[open_hours][3] is None and rows[after_closing][3] == "closed"

    # Recorded on the wrong clock, then NTP jumps the wall clock, then sent.
    world.advance(3600)
    before_jump = world.record(3, followup_every=0)
    clock.set_wall(world.central_clock.now(), trusted=True)
    after_jump = world.record(2, followup_every=0)
    world.advance(1800)
    world.uploader.loop(max_passes=1)
    assert world.pending() == 0
    assert_placed(world, before_jump, "corrected")
    assert_placed(world, after_jump, "kiosk")
    world.assert_exactly_once()


def test_rows_of_earlier_boots_corrected_from_the_boots_trusted_reading(hours_world):
    world, clock = hours_world, hours_world.clock
    stale = datetime(2025, 11, 30, 9, 0, tzinfo=timezone.utc)  # the time the Pi last saved before power-off

    # Boot A: untrusted for a while, then NTP syncs and a press is recorded on the trusted clock.
    clock.reboot("boot-a", monotonic=5.0)
    clock.set_wall(stale, trusted=False)
    boot_a_early = world.record(3, followup_every=0)
    world.advance(40)
    clock.set_wall(world.central_clock.now(), trusted=True)
    boot_a_trusted = world.record(1, followup_every=0)

    # Boot B: the network never came up; its clock was never trusted.
    world.advance(300)
    clock.reboot("boot-b", monotonic=4.0)
    clock.set_wall(stale, trusted=False)
    boot_b = world.record(3, followup_every=0)

    # Boot C sends it all, on an untrusted clock again.
    world.advance(300)
    clock.reboot("boot-c", monotonic=6.0)
    clock.set_wall(stale + timedelta(minutes=3), trusted=False)
    world.uploader.loop(max_passes=1)
    assert world.pending() == 0

    assert_placed(world, boot_a_early, "corrected")
    assert_placed(world, boot_a_trusted, "kiosk")
    rows = central_rows(world)
    for row_id in boot_b:  # flagged, never guessed: kept at the kiosk's time, its open/closed left unverified
        occurred, basis, recorded, filtered = rows[row_id]
        assert (basis, occurred, filtered) == ("uncorrectable", recorded, "unverified")
        assert recorded.date() == stale.date()
    world.assert_exactly_once()
