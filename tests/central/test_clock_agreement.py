"""The kiosk and central place every row alike: same instant, same basis, same hour, same filter.

Both callers of :func:`sync.wire.clock_correction.corrected_time` are driven for
real: a kiosk (its recorder on a FakeClock, its batch builder, its own
decision of ``unverified`` rows when the manager looks) and central (ingest of
that batch over HTTP, on SQLite and PostgreSQL). Each scenario gives both the
same references: the kiosk's clock is set right at the very moment central
receives the batch, so the kiosk's trusted now is central's receive time, and

- *sending boot*: the kiosk's first trusted pair of its boot is central's
  (receive time, batch monotonic);
- *earlier boot*: both take the earlier boot's first trusted pair.

The rows cover a row placed in opening hours, one placed before opening
(closed), one whose reading would place it before the year 2000, one that
would land after the receive time (only an earlier boot can have it), and
rows recorded on a trusted clock, which keep their own time (basis kiosk).
"""
from datetime import timedelta

import pytest

from kiosk.storage.db import connection
from kiosk.storage.models import ClockDecision, HourlyCount, Rating
from sync.common.clock import FakeClock
from sync.wire.figures import HOUR_COUNTS
from tests.helpers.batches import kiosk_batch

EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Far enough on the monotonic clock that a correction lands before 2000 (about 28 years).
ANCIENT = 9e8


def sending_boot(kiosk, clock, received_at):
    """Rows of the boot the batch is sent from; the clock is set right as it is sent."""
    record = kiosk.recorder.record
    ids = {"ancient": record(2, "button").id}
    clock.advance(ANCIENT)
    clock.set_wall(received_at - timedelta(days=7))  # still a week off, untrusted
    ids["before opening"] = record(1, "button").id  # 7 h 10 min before the send: 06:50 in Helsinki
    clock.advance(6 * 3600)
    ids["open"] = record(3, "touch").id  # 12:50
    kiosk.recorder.record_followup(ids["open"], "waiting", "Jono")
    clock.advance(600)
    ids["open, later"] = record(4, "touch").id  # 13:00
    clock.advance(3600)
    clock.set_wall(received_at, trusted=True)  # NTP: this boot's first trusted pair is the send's own
    ids["trusted"] = record(4, "touch").id
    return ids


def earlier_boot(kiosk, clock, received_at):
    """Rows of a boot before the one the batch is sent from; that boot's clock was trusted a while."""
    record = kiosk.recorder.record
    trusted_at = received_at - timedelta(hours=3)  # 11:00 in Helsinki
    ids = {"ancient": record(2, "button").id}
    clock.advance(ANCIENT)
    clock.set_wall(received_at - timedelta(days=7))
    ids["before opening"] = record(1, "button").id  # 4 h before the trusted moment: 07:00
    kiosk.recorder.record_followup(ids["before opening"], "staff", None)
    clock.advance(4 * 3600 - 600)
    ids["open"] = record(3, "touch").id  # 10:50
    kiosk.recorder.record_followup(ids["open"], "waiting", "Jono")
    clock.advance(600)
    clock.set_wall(trusted_at, trusted=True)
    ids["trusted"] = record(4, "touch").id  # the boot's first trusted pair
    clock.set_trusted(False)  # NTP lost again
    clock.advance(4 * 3600)
    ids["past the send"] = record(3, "touch").id  # its reading says an hour after central received it
    clock.reboot("boot-2", monotonic=5.0)
    clock.set_wall(received_at, trusted=True)
    return ids


def central_placement(central, ids):
    """name -> (instant, basis, filter) as central stored the row."""
    rows = central.query(lambda m: {r.id: r for r in m.Rating.select().where(m.Rating.id.in_(list(ids.values())))})
    return {name: (rows[i].occurred_at, rows[i].time_basis, rows[i].filtered) for name, i in ids.items()}


def kiosk_placement(ids):
    """name -> (instant, basis, filter) as the kiosk counts the row now: a decision holds the
    corrected time; an unverified row still undecided (its boot had a trusted pair) could not be
    placed; any other row counts at its own time."""
    with connection():
        decisions = {d.rating_id: d for d in ClockDecision.select()}
        rows = {r.id: r for r in Rating.select()}
    placed = {}
    for name, rating_id in ids.items():
        row, decision = rows[rating_id], decisions.get(rating_id)
        if decision is not None:
            placed[name] = (decision.corrected_at, "corrected", decision.filtered)
        elif row.filtered == "unverified":
            placed[name] = (row.recorded_at, "uncorrectable", "unverified")
        else:
            placed[name] = (row.recorded_at, "kiosk", row.filtered)
    return placed


def kiosk_hours():
    """UTC hour -> counts by name (central's names), from the kiosk's hourly table
    (Helsinki's hours start on UTC hours)."""
    with connection():
        return {h.hour_start: {count: getattr(h, count) for count in HOUR_COUNTS} for h in HourlyCount.select()}


def central_hours(central, device_id):
    return central.query(lambda m: {
        h.hour: {c: getattr(h, c) for c in HOUR_COUNTS}
        for h in m.RollupHour.select().join(m.Kiosk).where(m.Kiosk.uuid == device_id)})


def without_empty(hours):
    return {hour: counts for hour, counts in hours.items() if any(counts.values())}


@pytest.mark.parametrize("scenario", [sending_boot, earlier_boot], ids=["sending-boot", "earlier-boot"])
def test_the_kiosk_and_central_place_every_row_alike(central, make_app, scenario):
    received_at = central.clock.now()  # Monday 5 January 2026, 14:00 in Helsinki
    clock = FakeClock(received_at - timedelta(days=7), monotonic=100.0, trusted=False, boot_id="boot-1")
    kiosk = make_app(clock=clock, opening_hours={day: ["08:00-20:00"] for day in EVERY_DAY}).extensions["hymy"]
    token, device_id = central.enrolled_kiosk(device_id=kiosk.kiosk_id,
                                              hours=[f"{day}=08:00-20:00" for day in EVERY_DAY])
    ids = scenario(kiosk, clock, received_at)
    assert clock.now() == received_at and clock.trusted()

    document = kiosk_batch(kiosk)  # sent now: central receives it at the kiosk's trusted now
    answer = central.post_batch(token, document).json()
    assert answer["accepted"] == len(ids) + sum(1 for _ in document["followups"]) and not answer["rejected"]
    assert kiosk.recorder.note_clock() > 0  # the manager looks: the kiosk decides its unverified rows

    at_central, at_kiosk = central_placement(central, ids), kiosk_placement(ids)
    assert at_kiosk == at_central
    # The cases are all there, each placed by the rule.
    assert at_central["ancient"][1:] == ("uncorrectable", "unverified")
    assert at_central["before opening"][1:] == ("corrected", "closed")
    assert at_central["open"][1:] == ("corrected", None)
    assert at_central["trusted"][1:] == ("kiosk", None)
    if "past the send" in ids:
        assert at_central["past the send"][1:] == ("uncorrectable", "unverified")
    # So every hour holds the same counts on the manager's screen and at head office, follow-ups included.
    assert without_empty(kiosk_hours()) == without_empty(central_hours(central, device_id))

