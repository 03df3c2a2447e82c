"""The manager's figures: a day and a week, counted from the hourly rows.

The counts come from ``hourly_count`` / ``hourly_reason`` (kiosk/storage/hourly.py),
which outlive raw retention, so a past day shows in full as long as the
calendar offers it. The formulas, from counts to figures, are
:mod:`sync.wire.figures`' and how they are shown :mod:`sync.wire.display`'s (the same
central uses): nothing here restates one. Only the latest comments are read
from the raw rows, which is where comments live; a comment shows on the day
and only when its rating counts there, as its follow-up does in the figures.
The figures read the counts as they stand: the manager's pages first let the
recorder place the ``unverified`` ratings a trusted clock can place
(:meth:`kiosk.storage.recorder.Recorder.note_clock`).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from kiosk.storage.content import Content
from kiosk.storage.db import database
from kiosk.storage.hourly import HOUR, HOUR_COLUMNS, first_complete_day, hour_text
from kiosk.storage.models import ClockDecision, Followup, HourlyReason, Rating
from sync.wire import display, figures
from sync.wire.defaults import DEFAULT_MIN_RESPONSES
from sync.wire.figures import HOUR_COUNTS, Counts, Drivers
from sync.wire.protocol import FILTERS, UNVERIFIED

LATEST_COMMENTS = 20


@dataclass(frozen=True)
class HourBar:
    """One local hour of a day (a day has 23, 24 or 25 of them)."""

    label: str  # "08"; the repeated hour of a fall-back day is "02" and "02 (2)"
    hour_start: datetime  # UTC
    counts: Counts


@dataclass(frozen=True)
class Comment:
    rating: int
    reason: str
    reason_group: str
    text: str
    recorded_at: datetime  # UTC: when the follow-up was given (on a corrected clock when its rating's was)


@dataclass(frozen=True)
class DayFigures:
    day: date
    zone: tzinfo
    counts: Counts
    awaiting_clock: int  # unverified ratings a trusted clock has not placed yet
    satisfaction: int | None  # whole percent; None: too few
    happy_index: float | None  # one decimal
    target: float | None
    below_target: bool | None
    min_responses: int
    followup_rate: int | None
    hours: list[HourBar]
    last_week: list[HourBar]  # the same weekday a week earlier, hour by hour
    drivers_all: Drivers
    drivers_unhappy: Drivers
    comments: list[Comment]


@dataclass(frozen=True)
class WeekFigures:
    first_day: date
    last_day: date
    days: list[tuple[date, Counts]]  # oldest first
    heat: list[list[Counts]]  # [weekday 0 = Monday][local hour 0..23] -> Counts
    counts: Counts
    satisfaction: int | None
    happy_index: float | None
    min_responses: int


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants a local *day* starts and ends (23, 24 or 25 hours apart)."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, end


def day_hours(day: date, zone: tzinfo) -> list[tuple[str, datetime]]:
    """``[(label, UTC start)]`` for each local hour of *day*."""
    start, end = day_bounds(day, zone)
    hours: list[tuple[str, datetime]] = []
    seen: dict[int, int] = {}
    moment = start
    while moment < end:
        hour = moment.astimezone(zone).hour
        seen[hour] = seen.get(hour, 0) + 1
        hours.append((f"{hour:02d}" if seen[hour] == 1 else f"{hour:02d} ({seen[hour]})", moment))
        moment += HOUR
    return hours


_HOURLY_SQL = (
    f"SELECT hour_start, local_day, local_hour, {', '.join(HOUR_COLUMNS[name] for name in HOUR_COUNTS)} "
    "FROM hourly_count WHERE local_day BETWEEN ? AND ?"
)
_REASONS_SQL = (
    f"SELECT r.hour_start, r.reason, r.reason_group, r.{HourlyReason.given.column_name}, r.unhappy "
    "FROM hourly_reason r JOIN hourly_count h ON h.hour_start = r.hour_start WHERE h.local_day BETWEEN ? AND ?"
)


def hourly_counts(first_day: date, last_day: date) -> tuple[dict[str, tuple[str, int, Counts]], dict[str, str]]:
    """``{hour_start text: (local_day, local_hour, Counts)}`` for the local days from *first_day*
    to *last_day*, and each reason's group. Hours stay text: converting each would cost more than the query."""
    span = (first_day.isoformat(), last_day.isoformat())
    reasons: dict[str, dict[str, int]] = {}
    unhappy: dict[str, dict[str, int]] = {}
    groups: dict[str, str] = {}
    for hour_start, reason, group, given, unhappy_followups in database.execute_sql(_REASONS_SQL, span):
        groups[reason] = group
        if given:
            reasons.setdefault(hour_start, {})[reason] = given
        if unhappy_followups:
            unhappy.setdefault(hour_start, {})[reason] = unhappy_followups
    hourly = {}
    for hour_start, local_day, local_hour, *faces_and_more in database.execute_sql(_HOURLY_SQL, span):
        faces, filters, followups = faces_and_more[:4], faces_and_more[4:7], faces_and_more[7]
        counts = Counts(tuple(faces), {name: n for name, n in zip(FILTERS, filters, strict=True) if n}, followups,
                        reasons.get(hour_start, {}), unhappy.get(hour_start, {}))
        hourly[hour_start] = (local_day, local_hour, counts)
    return hourly, groups


def _bars(day: date, zone: tzinfo, hourly: dict[str, tuple[str, int, Counts]]) -> list[HourBar]:
    bars = []
    for label, start in day_hours(day, zone):
        held = hourly.get(hour_text(start))
        bars.append(HourBar(label, start, held[2] if held else Counts()))
    return bars


def latest_comments(day: date, zone: tzinfo, limit: int = LATEST_COMMENTS) -> list[Comment]:
    """The day's latest comments with their rating and reason, newest first (blank ones left out).

    A comment belongs where its rating counts, by the figures' rule: a rating the
    filters left out (a repeat, closed, unverified and not placed yet) shows no comment,
    as its follow-up counts in no figure; an unverified rating a trusted clock placed
    counts on the day of its corrected time, and so does its comment, moved by the same
    correction.
    """
    start, end = day_bounds(day, zone)
    last = end - timedelta(microseconds=1)
    with_text = Followup.comment.is_null(False) & (Followup.comment != "")
    columns = (Followup.comment, Followup.reason, Followup.reason_group, Followup.recorded_at.alias("given_at"),
               Rating.rating, Rating.recorded_at.alias("rated_at"))
    counted = (Followup.select(*columns).join(Rating)
               .where(with_text & Rating.filtered.is_null() & Rating.recorded_at.between(start, last))
               .order_by(Followup.recorded_at.desc()).limit(limit))
    # Rare: unverified ratings a trusted clock placed on this day (decide_unverified keeps the decision apart).
    placed = (Followup.select(*columns, ClockDecision.corrected_at).join(Rating).join(ClockDecision)
              .where(with_text & (Rating.filtered == UNVERIFIED) & ClockDecision.filtered.is_null()
                     & ClockDecision.corrected_at.between(start, last))
              .order_by(ClockDecision.corrected_at.desc()).limit(limit))
    comments = []
    for query in (counted, placed):
        rows: Any = query.dicts()  # peewee's stub types a joined query's dicts as model rows
        for row in rows:
            given = _utc(row["given_at"])
            if row.get("corrected_at") is not None:  # the follow-up's clock was the rating's: corrected alike
                given = _utc(row["corrected_at"]) + (given - _utc(row["rated_at"]))
            comments.append(Comment(row["rating"], row["reason"], row["reason_group"], row["comment"], given))
    comments.sort(key=lambda comment: comment.recorded_at, reverse=True)
    return comments[:limit]


def _utc(value: str | datetime) -> datetime:
    """A time as a query of several tables returns it (aliased columns skip the field's conversion)."""
    return Rating.recorded_at.python_value(value) if isinstance(value, str) else value


def day_figures(day: date, content: Content, min_responses: int | None = None) -> DayFigures:
    """Everything the Today page shows for the local *day*."""
    zone = content.opening_hours.zone
    min_responses = _min_responses(content, min_responses)
    hourly, groups = hourly_counts(day - timedelta(days=7), day)
    hours = _bars(day, zone, hourly)
    counts = Counts.total(bar.counts for bar in hours)
    target = display.shown_target(content.target)
    shown = display.shown(counts, target, min_responses)
    return DayFigures(
        day=day,
        zone=zone,
        counts=counts,
        awaiting_clock=counts.filtered.get("unverified", 0),
        satisfaction=shown.satisfaction,
        happy_index=shown.happy_index,
        target=target,
        below_target=shown.below,
        min_responses=min_responses,
        followup_rate=display.whole_percent(figures.followup_rate(counts)),
        hours=hours,
        last_week=_bars(day - timedelta(days=7), zone, hourly),
        drivers_all=figures.drivers(counts.reasons, groups),
        drivers_unhappy=figures.drivers(counts.unhappy_reasons, groups),
        comments=latest_comments(day, zone),
    )


def week_figures(last_day: date, content: Content, min_responses: int | None = None) -> WeekFigures:
    """The seven local days ending on *last_day*: day by day, and weekday × hour."""
    min_responses = _min_responses(content, min_responses)
    first_day = last_day - timedelta(days=6)
    hourly, _ = hourly_counts(first_day, last_day)
    by_day: dict[date, Counts] = {}
    heat = [[Counts() for _ in range(24)] for _ in range(7)]
    for local_day, local_hour, counts in hourly.values():
        day = date.fromisoformat(local_day)
        by_day[day] = by_day.get(day, Counts()) + counts
        heat[day.weekday()][local_hour] = heat[day.weekday()][local_hour] + counts
    days = [(first_day + timedelta(days=n), by_day.get(first_day + timedelta(days=n), Counts())) for n in range(7)]
    total = Counts.total(counts for _, counts in days)
    shown = display.shown(total, min_responses=min_responses)
    return WeekFigures(
        first_day=first_day,
        last_day=last_day,
        days=days,
        heat=heat,
        counts=total,
        satisfaction=shown.satisfaction,
        happy_index=shown.happy_index,
        min_responses=min_responses,
    )


def available_days(zone: tzinfo, now: datetime) -> tuple[date | None, date]:
    """``(first day shown in full or None, today)`` in the kiosk's zone."""
    return first_complete_day(), now.astimezone(zone).date()


def _min_responses(content: Content, given: int | None) -> int:
    if given is not None:
        return given
    return getattr(content, "min_responses", None) or DEFAULT_MIN_RESPONSES
