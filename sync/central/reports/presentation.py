"""Figures as head office's pages show them: per group, in total, per hour of a day, as a heat map and by month."""
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sync.central.reports.periods import Period, Scope, _month_start, _month_starts, local_day_bounds, local_today
from sync.central.reports.queries import brand_settings, day_counts, hour_counts
from sync.central.store.models import Site
from sync.common.zones import site_zone
from sync.wire import display, figures
from sync.wire.display import Number, Shown, Trend
from sync.wire.figures import Counts


def hours_of_day(site: Site, scope: Scope, day: date) -> list[tuple[datetime, Counts]]:
    """``[(local start, Counts)]`` for each UTC hour of *site*'s local *day*, in order.

    A UTC hour starts at :30 local time in a half-hour zone: it is shown at
    its own local start, and the day's hours come from the UTC hours that
    start within it (its totals come from the day rollup, which is exact).
    """
    zone = site_zone(site)
    start, end = local_day_bounds(day, zone)
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    counts = hour_counts(scope.narrowed(site_ids=(site.id,)), first_hour, end)
    hours: list[tuple[datetime, Counts]] = []
    moment = first_hour
    while moment < end:
        if moment >= start or moment + timedelta(hours=1) > start:
            hours.append((moment.astimezone(zone), counts.get(moment, Counts())))
        moment += timedelta(hours=1)
    return hours


def heat_map(site: Site, scope: Scope, period: Period, now: datetime) -> dict[tuple[int, int], Counts]:
    """``{(weekday 0-6, local hour 0-23): Counts}`` over *period*'s local days of *site*."""
    zone = site_zone(site)
    first, last = period.days_for(local_today(site, now))
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    cells: defaultdict[tuple[int, int], Counts] = defaultdict(Counts)
    for hour, counts in hour_counts(scope.narrowed(site_ids=(site.id,)), start.replace(minute=0), end).items():
        local = hour.astimezone(zone)
        cells[(local.weekday(), local.hour)] = cells[(local.weekday(), local.hour)] + counts
    return dict(cells)


def months(site: Site, scope: Scope, now: datetime, count: int = 12) -> list[tuple[date, Counts]]:
    """``[(first day of month, Counts)]`` for the last *count* local months of *site*, oldest first."""
    today = local_today(site, now)
    first_month = _month_start(today, count - 1)
    period = Period.parse("custom", first_month.isoformat(), today.isoformat())
    by_day = day_counts("day", scope.narrowed(site_ids=(site.id,)), period, now)
    totals: defaultdict[date, Counts] = defaultdict(Counts)
    for key, counts in by_day.items():
        day = key if isinstance(key, date) else date.fromisoformat(str(key))
        totals[day.replace(day=1)] = totals[day.replace(day=1)] + counts
    return [(month, totals.get(month, Counts())) for month in _month_starts(first_month, today)]


@dataclass(frozen=True)
class Figures:
    """What a row of a report shows, as shown (sync.wire.display's rounding, verdict and trend)."""

    counts: Counts
    previous: Counts
    target: Number | None
    min_responses: int

    @property
    def shown(self) -> Shown:
        return display.shown(self.counts, self.target, self.min_responses)

    @property
    def responses(self) -> int:
        return self.counts.counted

    @property
    def satisfaction(self) -> int | None:
        return self.shown.satisfaction

    @property
    def happy_index(self) -> float | None:
        return self.shown.happy_index

    @property
    def below_target(self) -> bool | None:
        return self.shown.below

    @property
    def previous_satisfaction(self) -> int | None:
        return display.shown(self.previous, self.target, self.min_responses).satisfaction

    @property
    def change(self) -> Trend:
        """The :class:`sync.wire.display.Trend` against the previous period."""
        return display.trend(self.satisfaction, self.previous_satisfaction)

    def change_against(self, other: "Figures") -> Trend:
        """The :class:`sync.wire.display.Trend` from *other*'s satisfaction (a whole, a brand) to this one's."""
        return display.trend(self.satisfaction, other.satisfaction)

    @property
    def trend(self) -> int | None:
        """Change in satisfaction against the previous period, in percentage points (as shown); None when
        either period has too few."""
        return self.change.points

    @property
    def followup_rate(self) -> int | None:
        return display.whole_percent(figures.followup_rate(self.counts))

    def sort_key(self, column: str) -> tuple[bool, float]:
        value = {"responses": self.responses, "satisfaction": self.satisfaction,
                 "happy_index": self.happy_index, "trend": self.trend}[column]
        return (value is None, value if value is not None else 0)


def figures_by(group_by: str, scope: Scope, period: Period, now: datetime) -> dict[Any, Figures]:
    """``{group key: Figures}`` with the previous period for the trend."""
    target, min_responses = brand_settings()
    current = day_counts(group_by, scope, period, now, reasons=False)
    previous = day_counts(group_by, scope, period, now, previous=True, reasons=False)
    return {key: Figures(current.get(key, Counts()), previous.get(key, Counts()), target, min_responses)
            for key in set(current) | set(previous)}


def empty_figures() -> Figures:
    target, min_responses = brand_settings()
    return Figures(Counts(), Counts(), target, min_responses)


def total_figures(
    scope: Scope, period: Period, now: datetime, by_site: Mapping[Any, Figures] | None = None
) -> Figures:
    """The whole scope's figures (every site of it summed) with the previous period; *by_site*, when
    the caller already has :func:`figures_by` per site for the same scope and period, is summed as is."""
    if by_site is None:
        by_site = figures_by("site", scope, period, now)
    target, min_responses = brand_settings()
    return Figures(Counts.total(f.counts for f in by_site.values()),
                   Counts.total(f.previous for f in by_site.values()), target, min_responses)
