"""Periods and scope: which local days a report covers at each site, and which kiosks count."""
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

import peewee

from sync.central.store.models import (
    Kiosk,
    Site,
)
from sync.common.zones import site_zone
from sync.wire.defaults import N_
from sync.wire.protocol import EARLIEST_YEAR, LATEST_YEAR

MAX_RANGE_DAYS = 366


MAX_RANGE_DAYS = 366
PERIODS = ("today", "7d", "30d", "custom")


PERIODS = ("today", "7d", "30d", "custom")
PERIOD_DAYS = {"today": 1, "yesterday": 1, "7d": 7, "30d": 30}


class PeriodError(ValueError):
    """A period the pages cannot show; the message says why (in English, for logs and the export
    API), and :attr:`template` with :attr:`values` lets the pages say it in their own language."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template % values)
        self.template, self.values = template, values


@dataclass(frozen=True)
class Period:
    """Which local days: the last *days* days up to each site's today, or fixed dates for every site."""

    kind: str = "today"
    first: date | None = None  # custom only
    last: date | None = None

    @classmethod
    def parse(
        cls, kind: str | None, first: date | str | None = None, last: date | str | None = None
    ) -> "Period":
        kind = kind or "today"
        if kind not in PERIODS:
            raise PeriodError(N_("period: expected one of %(kinds)s"), kinds=", ".join(PERIODS))
        if kind != "custom":
            return cls(kind)
        try:
            first_day, last_day = _within_years(first), _within_years(last)
        except ValueError:
            raise PeriodError(N_("a custom period needs from and to as YYYY-MM-DD, in the years %(first)s to "
                                 "%(last)s"), first=EARLIEST_YEAR, last=LATEST_YEAR) from None
        if first_day > last_day:
            raise PeriodError(N_("the period's start is after its end"))
        if (last_day - first_day).days + 1 > MAX_RANGE_DAYS:
            raise PeriodError(N_("a period is at most %(days)s days"), days=MAX_RANGE_DAYS)
        return cls(kind, first_day, last_day)

    @property
    def length(self) -> int:
        if self.kind in PERIOD_DAYS:
            return PERIOD_DAYS[self.kind]
        first, last = self._custom_days()
        return (last - first).days + 1

    def _custom_days(self) -> tuple[date, date]:
        if self.first is None or self.last is None:
            raise PeriodError(N_("a custom period needs from and to as YYYY-MM-DD, in the years %(first)s to "
                                 "%(last)s"), first=EARLIEST_YEAR, last=LATEST_YEAR)
        return self.first, self.last

    def days_for(self, today: date) -> tuple[date, date]:
        """``(first, last)`` local days for a site whose today is *today*."""
        if self.kind == "custom":
            return self._custom_days()
        if self.kind == "yesterday":  # the daily digest's: each site's own yesterday
            return today - timedelta(days=1), today - timedelta(days=1)
        return today - timedelta(days=self.length - 1), today

    def previous_for(self, today: date) -> tuple[date, date]:
        """The same number of days just before :meth:`days_for`: the trend's comparison."""
        first, _ = self.days_for(today)
        return first - timedelta(days=self.length), first - timedelta(days=1)


def _within_years(value: date | str | None) -> date:
    """*value* (a date or ``YYYY-MM-DD``) as a date in the years ratings are kept for; ValueError otherwise.

    The years bound every date a report computes from a period: its previous period, a day's next
    midnight, the export's margin of a day each side, all stay inside what :class:`date` holds.
    """
    day = value if isinstance(value, date) else date.fromisoformat(value or "")
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"{day} is outside the years {EARLIEST_YEAR} to {LATEST_YEAR}")
    return day


@dataclass(frozen=True)
class Scope:
    """Which kiosks count: the viewer's sites (None: all) narrowed by site, service, provider, kiosk.

    Every id here is central's own row number; a kiosk's UUID (the wire's ``kiosk_id``) never is."""

    site_ids: tuple[int, ...] | None = None
    service_id: int | None = None
    provider_id: int | None = None
    central_kiosk_id: int | None = None

    def narrowed(self, **changes: Any) -> "Scope":
        """This scope with some settings changed; sites can only narrow, never widen."""
        narrowed = replace(self, **changes)
        if self.site_ids is not None:
            # None means "every site": from a limited scope that would widen it, so the limit stands.
            wanted = self.site_ids if narrowed.site_ids is None else narrowed.site_ids
            narrowed = replace(narrowed, site_ids=tuple(s for s in wanted if s in self.site_ids))
        return narrowed

    def kiosk_condition(self) -> Any:
        """The peewee condition on ``Kiosk`` that keeps the kiosks in this scope."""
        condition: Any = peewee.Value(True)
        if self.site_ids is not None:
            condition &= Kiosk.site.in_(list(self.site_ids)) if self.site_ids else peewee.Value(False)
        if self.service_id is not None:
            condition &= Kiosk.service == self.service_id
        if self.provider_id is not None:
            condition &= Kiosk.provider == self.provider_id
        if self.central_kiosk_id is not None:
            condition &= Kiosk.id == self.central_kiosk_id
        return condition


def local_today(site: Site, now: datetime) -> date:
    return now.astimezone(site_zone(site)).date()


def _aware(value: str | datetime) -> datetime:
    """A UTC hour as the database returned it (aggregate queries skip the field's conversion)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def local_day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of local *day* in *zone*: 23 or 25 hours on a DST change day."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, end


def _month_start(today: date, back: int) -> date:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _month_starts(first: date, today: date) -> Iterator[date]:
    month = first
    while month <= today:
        yield month
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
