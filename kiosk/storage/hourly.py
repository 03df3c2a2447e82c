"""Hourly counts: the manager's figures per local hour, kept beyond raw retention.

Raw ratings are pruned once synced, but a manager's past days must stay
complete, so every rating and follow-up is also counted in its local hour
(``hourly_count``, ``hourly_reason``) in the same transaction that stores it.
Pruning never touches these rows.

An hour is keyed by the UTC instant it starts; ``local_day`` and
``local_hour`` place it on the kiosk's calendar, so a spring-forward day has
23 rows and a fall-back day 25 (its repeated hour twice).

A follow-up counts in its rating's hour, and only when the rating is counted.
An ``unverified`` rating (recorded on an untrusted clock outside a known
opening time) is counted as such until :func:`decide_unverified` places it
with central's own function (sync/wire/clock_correction.py), once its boot had a
trusted clock and the kiosk's clock is trusted now: then it moves to the
hour of its corrected time as a counted or ``closed`` rating, with its
follow-up, the hour central puts it in.
"""
import sqlite3
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

import peewee

from kiosk.storage.db import database
from kiosk.storage.models import Boot, ClockDecision, HourlyCount, HourlyReason, KioskState, Rating
from sync.wire.clock_correction import corrected_time
from sync.wire.figures import HOUR_COUNTS, count_name
from sync.wire.hours import OpeningHours, final_filter
from sync.wire.protocol import UNHAPPY_RATINGS, UNVERIFIED

#: kiosk_state key: the first local day whole in the hourly counts, when older rows were pruned before them.
COMPLETE_FROM = "hourly_complete_from"

HOUR = timedelta(hours=1)
#: An hour as the hourly tables key it: ``(hour_start text, local_day, local_hour)``.
HourKey = tuple[str, str, int]
#: An hour's key as stored (the wire's UTC time text).
hour_text = HourlyCount.hour_start.db_value


class HourKeys:
    """``(hour_start text, local_day, local_hour)`` of a moment, remembered for
    the hour in hand: a press pays one comparison, not a time-zone conversion."""

    __slots__ = ("_zone", "_start", "_end", "_key")

    def __init__(self) -> None:
        self._zone: tzinfo | None = None
        self._start: datetime | None = None
        self._end: datetime | None = None
        self._key: HourKey | None = None

    def of(self, moment: datetime, zone: tzinfo) -> "HourKey":
        if (zone is self._zone and self._start is not None and self._end is not None and self._key is not None
                and self._start <= moment < self._end):
            return self._key
        start, key = hour_of(moment, zone)
        self._zone, self._start, self._end, self._key = zone, start, start + HOUR, key
        return key


def hour_of(moment: datetime, zone: tzinfo) -> tuple[datetime, "HourKey"]:
    """``(UTC start, (hour_start text, local_day, local_hour))`` of the local hour holding *moment*."""
    local = moment.astimezone(zone)
    start = local.replace(minute=0, second=0, microsecond=0)  # keeps fold: the repeated hour stays apart
    start_utc = start.astimezone(timezone.utc)
    if start_utc > moment:  # an offset that is not whole hours moved the start past the moment
        start_utc -= HOUR
    return start_utc, (hour_text(start_utc), start.date().isoformat(), start.hour)


#: Each count's column in ``hourly_count`` (the counts are named as at central; the columns kept theirs).
HOUR_COLUMNS = {name: HourlyCount._meta.fields[name].column_name for name in HOUR_COUNTS}
_GIVEN = HourlyReason.given.column_name

#: One UPSERT per count, built once: the press path only picks one and runs it.
_ADD_TO_HOUR = {
    name: (f"INSERT INTO hourly_count (hour_start, local_day, local_hour, {column}) VALUES (?, ?, ?, ?) "
           f"ON CONFLICT (hour_start) DO UPDATE SET {column} = {column} + excluded.{column}")
    for name, column in HOUR_COLUMNS.items()
}
_ADD_TO_REASON = (
    f"INSERT INTO hourly_reason (hour_start, reason, reason_group, {_GIVEN}, unhappy) VALUES (?, ?, ?, ?, ?) "
    f"ON CONFLICT (hour_start, reason) DO UPDATE SET {_GIVEN} = {_GIVEN} + excluded.{_GIVEN}, "
    "unhappy = unhappy + excluded.unhappy"
)


def add_to_hour(connection: sqlite3.Connection, key: "HourKey", count: str, amount: int = 1) -> None:
    """Add *amount* to the hour *key*'s *count* (one of ``HOUR_COUNTS``), creating the hour's row."""
    connection.execute(_ADD_TO_HOUR[count], (*key, amount))


def add_followup(
    connection: sqlite3.Connection, key: "HourKey", rating: int, reason: str, reason_group: str, amount: int = 1
) -> None:
    """Count a follow-up of a counted rating in its rating's hour *key*, and under its reason."""
    add_to_hour(connection, key, "followups", amount)
    unhappy = amount if rating in UNHAPPY_RATINGS else 0
    connection.execute(_ADD_TO_REASON, (key[0], reason, reason_group, amount, unhappy))


def rating_for_followup(connection: sqlite3.Connection, rating_id: str) -> tuple[int, datetime | None] | None:
    """``(rating, moment it counts at or None)`` of *rating_id*, or None when there is no such rating.

    The moment is set when the rating is counted, so its follow-up counts there
    too: a rating never filtered counts at its recorded time, an unverified one
    the kiosk decided to count at its corrected time.
    """
    row = connection.execute(
        "SELECT r.rating, r.recorded_at, r.filtered, d.rating_id, d.corrected_at, d.filtered "
        "FROM rating r LEFT JOIN clock_decision d ON d.rating_id = r.id WHERE r.id = ?",
        (rating_id,),
    ).fetchone()
    if row is None:
        return None
    rating, recorded_at, filtered, decided, corrected_at, decided_filter = row
    if filtered is None:
        return rating, Rating.recorded_at.python_value(recorded_at)
    if filtered == UNVERIFIED and decided is not None and decided_filter is None:
        return rating, ClockDecision.corrected_at.python_value(corrected_at)
    return rating, None


#: Undecided ``unverified`` ratings whose boot had a trusted clock, with what placing them needs.
_UNDECIDED = (
    "SELECT r.id, r.rating, r.recorded_at, r.clock_trusted, r.monotonic, b.trusted_wall, b.trusted_monotonic, "
    "f.reason, f.reason_group "
    "FROM rating r JOIN boot b ON b.boot_id = r.boot_id "
    "LEFT JOIN clock_decision d ON d.rating_id = r.id "
    "LEFT JOIN followup f ON f.rating_id = r.id "
    # The literal (not a parameter) lets SQLite use the partial index rating_unverified.
    "WHERE r.filtered = 'unverified' AND d.rating_id IS NULL AND b.trusted_wall IS NOT NULL"
)


def _decisions(
    connection: sqlite3.Connection, opening_hours: OpeningHours, trusted_now: datetime
) -> list[tuple[Any, ...]]:
    """``(rating id, rating, recorded, real time, filter, reason, group)`` of each undecided
    ``unverified`` rating a trusted clock can place now; the ones it cannot are left out."""
    decisions = []
    rows = connection.execute(_UNDECIDED).fetchall()
    for rating_id, rating, recorded_at, trusted, monotonic, trusted_wall, trusted_monotonic, reason, group in rows:
        recorded = Rating.recorded_at.python_value(recorded_at)
        row = {"recorded_at": recorded, "clock_trusted": bool(trusted), "monotonic": monotonic}
        occurred_at, basis = corrected_time(row, Boot.trusted_wall.python_value(trusted_wall), trusted_monotonic,
                                            latest=trusted_now)
        decided = final_filter(UNVERIFIED, occurred_at, basis, opening_hours)
        if decided != UNVERIFIED:  # placed; an uncorrectable one stays apart, as at central
            decisions.append((rating_id, rating, recorded, occurred_at, decided, reason, group))
    return decisions


def decide_unverified(opening_hours: OpeningHours, trusted_now: datetime) -> int:
    """Decide every undecided ``unverified`` rating whose boot later had a
    trusted clock; move its count (and its follow-up's) to where it belongs.

    The real time is central's rule (sync/wire/clock_correction.py) with the boot's
    first trusted (wall, monotonic) pair as the reference and *trusted_now*,
    the kiosk's own time read on a trusted clock, as the latest instant a
    rating can have been recorded at; the filter is
    :func:`sync.wire.hours.final_filter`'s. Nothing is decided without a trusted
    now (None). Returns how many were decided. Cheap when there is nothing
    to decide: one indexed query, and no write lock, so presses never wait
    on a page view (nor on a rating that can never be placed).
    """
    if trusted_now is None:
        return 0
    zone = opening_hours.zone
    if not _decisions(database.connection(), opening_hours, trusted_now):
        return 0  # the usual case
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        decisions = _decisions(connection, opening_hours, trusted_now)  # again: another thread may have decided
        for rating_id, rating, recorded, occurred_at, decided, reason, group in decisions:
            connection.execute("INSERT INTO clock_decision (rating_id, corrected_at, filtered) VALUES (?, ?, ?)",
                               (rating_id, hour_text(occurred_at), decided))
            add_to_hour(connection, hour_of(recorded, zone)[1], "unverified", -1)
            key = hour_of(occurred_at, zone)[1]
            add_to_hour(connection, key, count_name(rating, decided))
            if decided is None and reason is not None:
                add_followup(connection, key, rating, reason, group)
    return len(decisions)


def backfill(zone: tzinfo) -> int:
    """Fill empty hourly tables from the raw rows an older version stored.

    Runs once, when the hourly tables are empty and ratings exist (the first
    start after the upgrade that added them). Returns the ratings counted.
    """
    keys = HourKeys()
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        if connection.execute("SELECT 1 FROM hourly_count LIMIT 1").fetchone():
            return 0
        rows = connection.execute(
            "SELECT r.seq, r.rating, r.recorded_at, r.filtered, f.reason, f.reason_group "
            "FROM rating r LEFT JOIN followup f ON f.rating_id = r.id ORDER BY r.seq").fetchall()
        for _, rating, recorded_at, filtered, reason, group in rows:
            key = keys.of(Rating.recorded_at.python_value(recorded_at), zone)
            add_to_hour(connection, key, count_name(rating, filtered))
            if filtered is None and reason is not None:
                add_followup(connection, key, rating, reason, group)
        if rows and rows[0][0] > 1:  # older rows were pruned: their first day is not whole here
            first_day = keys.of(Rating.recorded_at.python_value(rows[0][2]), zone)[1]
            KioskState.write(**{COMPLETE_FROM: (date.fromisoformat(first_day) + timedelta(days=1)).isoformat()})
    return len(rows)


def first_complete_day() -> date | None:
    """The first local day the hourly counts hold in full, or None before any rating."""
    stored = KioskState.read(COMPLETE_FROM)
    first = HourlyCount.select(peewee.fn.MIN(HourlyCount.local_day)).scalar()
    if first is None:
        return None
    return max(date.fromisoformat(first), date.fromisoformat(stored)) if stored else date.fromisoformat(first)
