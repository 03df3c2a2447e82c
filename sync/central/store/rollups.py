"""Rollups: what head office's reports read instead of the raw rows.

Per kiosk and UTC hour (``rollup_hour``, ``rollup_hour_reason``) and per kiosk
and local day of its site (``rollup_day``, ``rollup_day_reason``): counted
ratings per face, left-out ratings per filter, follow-ups of counted ratings,
and per reason and group the follow-ups given and those among unhappy ratings
(1-2). The group is the follow-up's own: central's for a reason it publishes
(ingest refuses another), the kiosk's for a key central never published.

They are kept in ingest's own transaction, from exactly the rows that
transaction inserted: a duplicate adds nothing, a conflict adds nothing, and
a row enters once, with its filter already decided (central decides
``unverified`` at ingest and never changes a stored row). A follow-up counts
where its rating counts: the rating's hour and day, and only when the rating
itself is counted.

Local days are kept apart from hours because a UTC hour does not split at
local midnight in a half-hour zone (India, Newfoundland, Nepal's 45 minutes):
each row's day is its real time in its site's zone (sync/common/zones.py: UTC
when the stored name is unusable), exact in every zone and on a DST change
day. A site whose zone changes has its days rebuilt from the raw rows
(:func:`rebuild_days`).

Rows are summed here in Python and written with one UPSERT per table
(``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``, the same SQL on
SQLite and PostgreSQL), so a batch of 1,000 rows from one kiosk costs a few
statements, not 1,000.
"""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timezone, tzinfo

import peewee

from sync.central.store.models import (
    Followup,
    Kiosk,
    Rating,
    RollupDay,
    RollupDayReason,
    RollupHour,
    RollupHourReason,
    Site,
    central_db,
)
from sync.common.zones import site_zone
from sync.wire.figures import HOUR_COUNTS, REASON_COUNTS, count_name
from sync.wire.protocol import UNHAPPY_RATINGS


def hour_start(moment: datetime) -> datetime:
    """The UTC hour *moment* falls in, as an aware datetime."""
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(minute=0, second=0, microsecond=0)


class Tally:
    """Counts to add, per kiosk and hour and per kiosk and local day, summed before writing.

    Kiosks are keyed by central's own number (``Kiosk.id``, the rollups' ``kiosk_id`` column)."""

    def __init__(self) -> None:
        # (zone, quarter hour) -> (UTC hour, local day): every zone's offset is whole quarters
        self._slots: dict[tuple[tzinfo, int], tuple[datetime, date]] = {}
        self.hours: defaultdict[tuple[int, datetime], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(HOUR_COUNTS, 0))
        self.days: defaultdict[tuple[int, date], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(HOUR_COUNTS, 0))
        self.hour_reasons: defaultdict[tuple[int, datetime, str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(REASON_COUNTS, 0))
        self.day_reasons: defaultdict[tuple[int, date, str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(REASON_COUNTS, 0))

    def _slot(self, occurred_at: datetime, zone: tzinfo) -> tuple[datetime, date]:
        """``(UTC hour, local day)`` of *occurred_at*, worked out once per quarter hour: a batch's rows
        crowd into a few hours, and converting each row's time into its zone costs more than the rest."""
        key = (zone, int(occurred_at.timestamp()) // 900)  # the quarter hour, found without a new datetime
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = (hour_start(occurred_at), occurred_at.astimezone(zone).date())
        return slot

    def _add(self, central_kiosk_id: int, occurred_at: datetime, zone: tzinfo, column: str) -> None:
        hour, day = self._slot(occurred_at, zone)
        self.hours[(central_kiosk_id, hour)][column] += 1
        self.days[(central_kiosk_id, day)][column] += 1

    def add_rating(
        self, central_kiosk_id: int, occurred_at: datetime, zone: tzinfo, rating: int, filtered: str | None
    ) -> None:
        """One stored rating: its face when counted, else its filter."""
        self._add(central_kiosk_id, occurred_at, zone, count_name(rating, filtered))

    def add_followup(
        self,
        central_kiosk_id: int,
        occurred_at: datetime,
        zone: tzinfo,
        rating: int,
        filtered: str | None,
        reason: str,
        reason_group: str,
    ) -> None:
        """One stored follow-up, given the facts of its rating; nothing when the rating is not counted.
        It counts under its own reason and group, as stored."""
        if filtered:
            return
        self._add(central_kiosk_id, occurred_at, zone, "followups")
        unhappy = 1 if rating in UNHAPPY_RATINGS else 0
        hour, day = self._slot(occurred_at, zone)
        for counts in (self.hour_reasons[(central_kiosk_id, hour, reason, reason_group)],
                       self.day_reasons[(central_kiosk_id, day, reason, reason_group)]):
            counts["given"] += 1
            counts["unhappy"] += unhappy

    def write(self, database: peewee.Database | None = None) -> None:
        """Add the tally to the rollup tables (inside the caller's transaction)."""
        database = database or central_db.obj
        RollupChanges.note()
        for model, keys, tally in ((RollupHour, ("kiosk_id", "hour"), self.hours),
                                   (RollupDay, ("kiosk_id", "day"), self.days),
                                   (RollupHourReason, ("kiosk_id", "hour", "reason", "reason_group"),
                                    self.hour_reasons),
                                   (RollupDayReason, ("kiosk_id", "day", "reason", "reason_group"),
                                    self.day_reasons)):
            if tally:
                _upsert_add(database, model, keys, tally)


class RollupChanges:
    """How many times this process has written rollups: figures shared between requests and computed
    before the latest write are not reused (sync/central/reports/network.py). Another worker's writes
    are not seen here; what shares figures also bounds how long it keeps them."""

    count = 0

    @classmethod
    def note(cls) -> None:
        cls.count += 1


def _db_time(database, value):
    """A key as the column stores it: UTC times naive (UtcDateTimeField), days as dates."""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
        if isinstance(database, peewee.SqliteDatabase):
            return value.isoformat(" ")
    elif isinstance(database, peewee.SqliteDatabase) and hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _upsert_add(database, model, keys, tally) -> None:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET n = n + excluded.n`` for every row of *tally*."""
    table = model._meta.table_name
    columns = [name for name in next(iter(tally.values()))]
    names = ", ".join(f'"{name}"' for name in (*keys, *columns))
    param = database.param
    row_marks = "(" + ", ".join(param for _ in range(len(keys) + len(columns))) + ")"
    updates = ", ".join(f'"{c}" = "{table}"."{c}" + excluded."{c}"' for c in columns)
    sql_head = f'INSERT INTO "{table}" ({names}) VALUES '
    sql_tail = f' ON CONFLICT ({", ".join(f"{chr(34)}{k}{chr(34)}" for k in keys)}) DO UPDATE SET {updates}'
    rows = [[_db_time(database, part) for part in key] + [counts[c] for c in columns]
            for key, counts in tally.items()]
    chunk = max(1, 900 // (len(keys) + len(columns)))  # under SQLite's parameter limit on any version
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        sql = sql_head + ", ".join(row_marks for _ in part) + sql_tail
        database.execute_sql(sql, [value for row in part for value in row])


# -- from the raw rows: the migration that adds the rollups, and a site's zone change -------------

def _tally_raw(kiosk_ids=None):
    """A tally of every stored rating and follow-up (of *kiosk_ids*, or all), read in kiosk order."""
    tally = Tally()
    zones = {}
    kiosks = Kiosk.select(Kiosk.id, Site.id, Site.name, Site.timezone).join(Site)
    if kiosk_ids is not None:
        kiosks = kiosks.where(Kiosk.id.in_(kiosk_ids))
    for kiosk in kiosks:
        zones[kiosk.id] = site_zone(kiosk.site)
    if not zones:
        return tally
    ratings = (Rating.select(Rating.kiosk, Rating.occurred_at, Rating.rating, Rating.filtered)
               .where(Rating.kiosk.in_(list(zones))).tuples())
    for kiosk_id, occurred_at, rating, filtered in ratings.iterator():
        tally.add_rating(kiosk_id, occurred_at, zones[kiosk_id], rating, filtered)
    followups = (Followup.select(Rating.kiosk, Rating.occurred_at, Rating.rating, Rating.filtered, Followup.reason,
                                 Followup.reason_group)
                 .join(Rating).where(Rating.kiosk.in_(list(zones))).tuples())
    for kiosk_id, occurred_at, rating, filtered, reason, reason_group in followups.iterator():
        tally.add_followup(kiosk_id, occurred_at, zones[kiosk_id], rating, filtered, reason, reason_group)
    return tally


def rebuild_all(database: peewee.Database, faces: bool = True, reasons: bool = True) -> None:
    """Fill empty rollup tables from every row held: the faces' (migration 5) and the reasons'
    (migration 8, which gave them the shape they have now)."""
    models = (RollupHour, RollupDay, RollupHourReason, RollupDayReason, Kiosk, Site, Rating, Followup)
    with database.bind_ctx(models):
        tally = _tally_raw()
        for wanted, parts in ((faces, (tally.hours, tally.days)), (reasons, (tally.hour_reasons, tally.day_reasons))):
            if not wanted:
                for part in parts:
                    part.clear()
        tally.write(database)


def rebuild_days(kiosk_ids: Iterable[int]) -> None:
    """Count *kiosk_ids*' local days again from the raw rows: after their site's zone changed
    or they moved to a site in another zone (inside the caller's transaction)."""
    kiosk_ids = list(kiosk_ids)
    if not kiosk_ids:
        return
    RollupDay.delete().where(RollupDay.kiosk.in_(kiosk_ids)).execute()
    RollupDayReason.delete().where(RollupDayReason.kiosk.in_(kiosk_ids)).execute()
    tally = _tally_raw(kiosk_ids)
    tally.hours.clear()
    tally.hour_reasons.clear()
    tally.write()
