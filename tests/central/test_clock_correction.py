"""Rows recorded on a wrong clock get their real time at central.

The kiosks here are real (recorder and batch builder) on a FakeClock; central
receives at RECEIVE_TIME on its own FakeClock.
"""
from datetime import datetime, timedelta, timezone

import pytest

from sync.common.clock import FakeClock
from sync.wire.protocol import parse_time
from tests.helpers.batches import batch, kiosk_batch, rating_row
from tests.helpers.central import RECEIVE_TIME

WEEK = timedelta(days=7)


def stored(central, rating_id):
    return central.query(lambda m: m.Rating.get_by_id(rating_id))


@pytest.fixture
def wrong_clock():
    """A kiosk clock a week behind, not yet trusted (no NTP yet), in boot "boot-1"."""
    return FakeClock(RECEIVE_TIME - WEEK - timedelta(hours=2), monotonic=100.0, trusted=False, boot_id="boot-1")


@pytest.fixture
def kiosk(make_app, wrong_clock):
    return make_app(clock=wrong_clock).extensions["hymy"]


@pytest.fixture
def token(central, kiosk):
    return central.enrolled_kiosk(device_id=kiosk.kiosk_id)[0]


def test_untrusted_rows_of_the_sending_boot_are_placed_by_the_monotonic_clock(central, kiosk, wrong_clock, token):
    first = kiosk.recorder.record(4, "button")
    wrong_clock.advance(600)
    second = kiosk.recorder.record(1, "button")
    wrong_clock.advance(3600)  # sent an hour after the second press, clock still a week off
    document = kiosk_batch(kiosk)

    central.post_batch(token, document)

    for rating, seconds_before_send in ((first, 4200), (second, 3600)):
        row = stored(central, rating.id)
        assert row.time_basis == "corrected"
        assert row.occurred_at == RECEIVE_TIME - timedelta(seconds=seconds_before_send)
        assert row.recorded_at < RECEIVE_TIME - WEEK  # the kiosk's own time is kept beside it


def test_an_ntp_jump_between_recording_and_sending_is_corrected(central, kiosk, wrong_clock, token):
    rating = kiosk.recorder.record(3, "touch")
    wrong_clock.advance(120)
    wrong_clock.set_wall(RECEIVE_TIME - timedelta(seconds=30), trusted=True)  # NTP synchronises
    wrong_clock.advance(30)
    document = kiosk_batch(kiosk)
    assert document["clock_trusted"] and not document["ratings"][0]["clock_trusted"]

    central.post_batch(token, document)

    row = stored(central, rating.id)
    assert (row.time_basis, row.occurred_at) == ("corrected", RECEIVE_TIME - timedelta(seconds=150))
    assert row.recorded_at == parse_time(document["ratings"][0]["recorded_at"])


def test_rows_of_an_earlier_boot_are_corrected_from_its_first_trusted_reading(central, kiosk, wrong_clock, token):
    early = kiosk.recorder.record(2, "button")  # monotonic 100, clock a week off
    wrong_clock.advance(50)
    synced_at = RECEIVE_TIME - timedelta(days=1)
    wrong_clock.set_wall(synced_at, trusted=True)
    trusted = kiosk.recorder.record(4, "button")  # boot-1's first trusted pair: (synced_at, 150)
    wrong_clock.reboot("boot-2", monotonic=5.0)
    wrong_clock.set_trusted(False)
    document = kiosk_batch(kiosk)
    assert [b["boot_id"] for b in document["boots"]] == ["boot-1"]

    central.post_batch(token, document)

    assert (stored(central, early.id).time_basis, stored(central, early.id).occurred_at) == (
        "corrected", synced_at - timedelta(seconds=50))
    assert stored(central, trusted.id).time_basis == "kiosk"
    assert stored(central, trusted.id).occurred_at == synced_at


def test_rows_of_an_earlier_boot_without_a_trusted_reading_are_uncorrectable(central, kiosk, wrong_clock, token):
    rating = kiosk.recorder.record(1, "button")
    wrong_clock.reboot("boot-2", monotonic=5.0)
    document = kiosk_batch(kiosk)
    assert document["boots"] == []

    central.post_batch(token, document)

    row = stored(central, rating.id)
    assert row.time_basis == "uncorrectable"
    assert row.occurred_at == row.recorded_at  # kept as the kiosk said, flagged, not guessed


def test_the_export_says_which_rows_were_corrected(central, kiosk, wrong_clock, token):
    corrected = kiosk.recorder.record(4, "button")
    wrong_clock.set_wall(RECEIVE_TIME - timedelta(minutes=5), trusted=True)
    as_recorded = kiosk.recorder.record(3, "button")
    central.post_batch(token, kiosk_batch(kiosk))
    _, user = central.add_user("olli", "admin")

    rows = {r["id"]: r for r in central.export_json(user, from_="2026-01-05", to="2026-01-05")}

    assert rows[corrected.id]["corrected"] is True and rows[corrected.id]["time_basis"] == "corrected"
    assert rows[as_recorded.id]["corrected"] is False and rows[as_recorded.id]["time_basis"] == "kiosk"
    assert rows[corrected.id]["occurred_at"] == "2026-01-05T12:00:00Z"
    assert rows[corrected.id]["recorded_at"].startswith("2025-12-29T")


@pytest.mark.parametrize("hours_before_send, decided", [(1, None), (7, "closed")], ids=["open", "closed"])
def test_unverified_rows_are_decided_from_the_corrected_time_and_the_sites_hours(
        central, hours_before_send, decided):
    # Central receives at 14:00 Helsinki time; the site opens 08:00-20:00 on Mondays.
    token, device = central.enrolled_kiosk(hours=["mon=08:00-20:00"])
    sent_monotonic = 50_000.0
    row = rating_row(1, clock_trusted=False, filtered="unverified", boot_id="boot-b",
                     recorded_at=datetime(2025, 12, 29, 3, 0, tzinfo=timezone.utc),  # a week off, and at night
                     monotonic=sent_monotonic - hours_before_send * 3600)
    central.post_batch(token, batch(device, [row], boot_id="boot-b", monotonic=sent_monotonic, clock_trusted=False))

    held = stored(central, row["id"])
    assert held.time_basis == "corrected" and held.kiosk_filter == "unverified"
    assert held.filtered == decided


def test_unverified_rows_that_cannot_be_corrected_stay_unverified(central):
    token, device = central.enrolled_kiosk(hours=["mon=08:00-20:00"])
    row = rating_row(1, clock_trusted=False, filtered="unverified", boot_id="old-boot")
    central.post_batch(token, batch(device, [row], boot_id="boot-now"))
    held = stored(central, row["id"])
    assert (held.time_basis, held.filtered) == ("uncorrectable", "unverified")


def untrusted(seq, monotonic, boot_id="boot-b"):
    return rating_row(seq, clock_trusted=False, boot_id=boot_id, monotonic=monotonic,
                      recorded_at=datetime(2025, 12, 29, 9, 0, tzinfo=timezone.utc) + timedelta(seconds=seq))


@pytest.mark.parametrize("past_send", [60.0, 9_999_999_000.0], ids=["a-minute", "three-centuries"])
def test_a_reading_past_the_batchs_own_is_uncorrectable_not_a_time_after_the_send(central, past_send):
    # The case: a reading ~1e10 s past the batch's once became the year 2343.
    token, device = central.enrolled_kiosk()
    row = untrusted(1, 500.0 + past_send)
    central.post_batch(token, batch(device, [row], boot_id="boot-b", monotonic=500.0, clock_trusted=False))
    held = stored(central, row["id"])
    assert held.time_basis == "uncorrectable"
    assert held.occurred_at == held.recorded_at == parse_time(row["recorded_at"])


def test_an_earlier_boots_correction_past_the_send_or_before_2000_is_uncorrectable(central):
    token, device = central.enrolled_kiosk()
    boots = [{"boot_id": "late", "trusted_wall": "2026-01-05T11:00:00Z", "trusted_monotonic": 100.0},
             {"boot_id": "ancient", "trusted_wall": "2026-01-01T00:00:00Z", "trusted_monotonic": 9e9},
             {"boot_id": "fine", "trusted_wall": "2026-01-05T11:00:00Z", "trusted_monotonic": 100.0}]
    after_send = untrusted(1, 100.0 + 2 * 3600, boot_id="late")  # an hour after central received it
    before_2000 = untrusted(2, 0.0, boot_id="ancient")  # 9e9 s before 2026: the 1700s
    good = untrusted(3, 40.0, boot_id="fine")
    central.post_batch(token, batch(device, [after_send, before_2000, good], boot_id="boot-now", boots=boots))

    for row in (after_send, before_2000):
        held = stored(central, row["id"])
        assert (held.time_basis, held.occurred_at) == ("uncorrectable", held.recorded_at)
    held = stored(central, good["id"])
    assert (held.time_basis, held.occurred_at) == ("corrected", datetime(2026, 1, 5, 10, 59, tzinfo=timezone.utc))
