"""Head office's figures, read from the rollups (sync/central/store/rollups.py), never from raw rows.

A period is a run of whole local days *of each site*: "today" is each site's
own today in its own zone, so a site in Helsinki and one in Lisbon each show
their day. Sites are grouped by the days they cover, one query per group
(usually one or two), and summed per what the page groups by: site, kiosk,
service or provider. Every figure comes from :mod:`sync.wire.figures` and is shown
by :mod:`sync.wire.display` (the manager screen's formulas and rounding), given the
counts summed here.

Hours come from ``rollup_hour`` (UTC hours, shown at their local start), days
and longer ranges from ``rollup_day`` (exact local days in every zone).
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import peewee

from sync.central.store.models import (
    Followup,
    Kiosk,
    KioskStatus,
    Provider,
    Rating,
    Reason,
    Redaction,
    RollupDay,
    RollupDayReason,
    RollupHour,
    RollupHourReason,
    Service,
    Setting,
    Site,
)
from sync.central.store.rollups import COUNT_COLUMNS, FACE_COLUMNS, FILTER_COLUMNS
from sync.common.zones import site_hours, site_zone
from sync.wire import display, figures
from sync.wire.defaults import N_
from sync.wire.figures import Counts
from sync.wire.protocol import EARLIEST_YEAR, LATEST_YEAR

MAX_RANGE_DAYS = 366
PERIODS = ("today", "7d", "30d", "custom")
PERIOD_DAYS = {"today": 1, "yesterday": 1, "7d": 7, "30d": 30}


class PeriodError(ValueError):
    """A period the pages cannot show; the message says why (in English, for logs and the export
    API), and :attr:`template` with :attr:`values` lets the pages say it in their own language."""

    def __init__(self, template, **values):
        super().__init__(template % values)
        self.template, self.values = template, values


@dataclass(frozen=True)
class Period:
    """Which local days: the last *days* days up to each site's today, or fixed dates for every site."""

    kind: str = "today"
    first: date | None = None  # custom only
    last: date | None = None

    @classmethod
    def parse(cls, kind, first=None, last=None):
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
    def length(self):
        return PERIOD_DAYS.get(self.kind) or (self.last - self.first).days + 1

    def days_for(self, today):
        """``(first, last)`` local days for a site whose today is *today*."""
        if self.kind == "custom":
            return self.first, self.last
        if self.kind == "yesterday":  # the daily digest's: each site's own yesterday
            return today - timedelta(days=1), today - timedelta(days=1)
        return today - timedelta(days=self.length - 1), today

    def previous_for(self, today):
        """The same number of days just before :meth:`days_for`: the trend's comparison."""
        first, _ = self.days_for(today)
        return first - timedelta(days=self.length), first - timedelta(days=1)


def _within_years(value):
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

    site_ids: tuple | None = None
    service_id: int | None = None
    provider_id: int | None = None
    central_kiosk_id: int | None = None

    def narrowed(self, **changes):
        """This scope with some settings changed; sites can only narrow, never widen."""
        values = {"site_ids": self.site_ids, "service_id": self.service_id, "provider_id": self.provider_id,
                  "central_kiosk_id": self.central_kiosk_id}
        values.update(changes)
        if self.site_ids is not None and values["site_ids"] is not None:
            values["site_ids"] = tuple(s for s in values["site_ids"] if s in self.site_ids)
        return Scope(**values)

    def kiosk_condition(self):
        condition = peewee.Value(True)
        if self.site_ids is not None:
            condition &= Kiosk.site.in_(list(self.site_ids)) if self.site_ids else peewee.Value(False)
        if self.service_id is not None:
            condition &= Kiosk.service == self.service_id
        if self.provider_id is not None:
            condition &= Kiosk.provider == self.provider_id
        if self.central_kiosk_id is not None:
            condition &= Kiosk.id == self.central_kiosk_id
        return condition


def brand_settings():
    """``(target percent, min_responses)`` as head office set them."""
    values = dict(Setting.select(Setting.key, Setting.value)
                  .where(Setting.key.in_(["target", "min_responses"])).tuples())
    return display.shown_target(values.get("target")), values.get("min_responses") or figures.DEFAULT_MIN_RESPONSES


def sites_in(scope):
    """The sites of *scope*, by name."""
    query = Site.select().order_by(Site.name)
    if scope.site_ids is not None:
        query = query.where(Site.id.in_(list(scope.site_ids))) if scope.site_ids else query.where(False)
    return list(query)


def local_today(site, now):
    return now.astimezone(site_zone(site)).date()


def _day_groups(sites, now, period, previous=False):
    """``{(first, last): [site ids]}``: sites that share their local days are asked together."""
    groups = defaultdict(list)
    for site in sites:
        today = local_today(site, now)
        groups[period.previous_for(today) if previous else period.days_for(today)].append(site.id)
    return groups


_GROUPS = {
    "site": Kiosk.site,
    "kiosk": Kiosk.id,
    "service": Kiosk.service,
    "provider": Kiosk.provider,
    "day": RollupDay.day,
}


def _sum_columns(model, columns):
    return [peewee.fn.SUM(getattr(model, name)).alias(name) for name in columns]


def day_counts(group_by, scope, period, now, previous=False, reasons=True):
    """``{group key: Counts}`` over *period*'s local days, one entry per group that has rows.

    :param group_by: ``site``, ``kiosk``, ``service``, ``provider`` or ``day``.
    :param reasons: also count follow-ups per reason (the drivers); the figures need only the faces,
        and the reason rows are the larger table.
    """
    result = defaultdict(Counts)
    sites = sites_in(scope)
    for (first, last), site_ids in _day_groups(sites, now, period, previous).items():
        kiosks = scope.narrowed(site_ids=tuple(site_ids)).kiosk_condition()
        key = _GROUPS[group_by] if group_by != "day" else RollupDay.day
        rows = (RollupDay.select(key.alias("key"), *_sum_columns(RollupDay, COUNT_COLUMNS))
                .join(Kiosk).where(kiosks & RollupDay.day.between(first, last)).group_by(key).dicts())
        reason_key = key if group_by != "day" else RollupDayReason.day
        reason_rows = [] if not reasons else (RollupDayReason.select(reason_key.alias("key"), RollupDayReason.reason,
                                          RollupDayReason.reason_group,
                                          peewee.fn.SUM(RollupDayReason.given).alias("given"),
                                          peewee.fn.SUM(RollupDayReason.unhappy).alias("unhappy"))
                   .join(Kiosk).where(kiosks & RollupDayReason.day.between(first, last))
                   .group_by(reason_key, RollupDayReason.reason, RollupDayReason.reason_group).dicts())
        given, unhappy = _reason_counts(reason_rows, lambda row: row["key"])
        for row in rows:
            result[row["key"]] = result[row["key"]] + _counts(row, given[row["key"]], unhappy[row["key"]])
    return dict(result)


class UnpublishedReason(str):
    """A reason key central never published (a kiosk's own), as the follow-ups of one group gave it.

    It is the key itself wherever a string is (sorted, shown, its label the key for want of
    central's), but equal only to the same key *in the same group*, so counts summed by reason
    keep one key given in two groups apart, each under its own group (:class:`ReasonGroups`).
    """

    def __new__(cls, key, group):
        reason = super().__new__(cls, key)
        reason.group = group
        return reason

    def __eq__(self, other):
        return isinstance(other, UnpublishedReason) and str.__eq__(self, other) and self.group == other.group

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((str(self), self.group))

    def __repr__(self):
        return f"UnpublishedReason({str(self)!r}, {self.group!r})"


class ReasonGroups(dict):
    """reason key -> quality-model group: central's catalog, and for an :class:`UnpublishedReason`
    the group its own follow-ups gave."""

    def get(self, key, default=None):
        if isinstance(key, UnpublishedReason):
            return key.group
        return super().get(key, default)


def _reason_counts(rows, key_of):
    """``(given, unhappy)``: page key -> reason -> follow-ups, from rollup rows per reason and group.
    A reason in central's catalog is its key; any other, an :class:`UnpublishedReason`."""
    catalog = reason_groups()
    given, unhappy = defaultdict(dict), defaultdict(dict)
    for row in rows:
        reason, group = row["reason"], row["reason_group"]
        slot = reason if catalog.get(reason) == group else UnpublishedReason(reason, group)
        key = key_of(row)
        given[key][slot] = given[key].get(slot, 0) + int(row["given"])
        unhappy[key][slot] = unhappy[key].get(slot, 0) + int(row["unhappy"])
    return given, unhappy


def _counts(row, reasons, unhappy_reasons):
    return Counts(
        faces=tuple(int(row[name] or 0) for name in FACE_COLUMNS),
        filtered={name: int(row[name] or 0) for name in FILTER_COLUMNS if row[name]},
        followups=int(row["followups"] or 0),
        reasons={k: v for k, v in reasons.items() if v},
        unhappy_reasons={k: v for k, v in unhappy_reasons.items() if v},
    )


def hour_counts(scope, first_hour, end_hour):
    """``{UTC hour start: Counts}`` for hours in [first_hour, end_hour) of *scope*'s kiosks."""
    kiosks = scope.kiosk_condition()
    rows = (RollupHour.select(RollupHour.hour.alias("key"), *_sum_columns(RollupHour, COUNT_COLUMNS))
            .join(Kiosk).where(kiosks & (RollupHour.hour >= first_hour) & (RollupHour.hour < end_hour))
            .group_by(RollupHour.hour).dicts())
    reasons = (RollupHourReason.select(RollupHourReason.hour.alias("key"), RollupHourReason.reason,
                                       RollupHourReason.reason_group,
                                       peewee.fn.SUM(RollupHourReason.given).alias("given"),
                                       peewee.fn.SUM(RollupHourReason.unhappy).alias("unhappy"))
               .join(Kiosk).where(kiosks & (RollupHourReason.hour >= first_hour) & (RollupHourReason.hour < end_hour))
               .group_by(RollupHourReason.hour, RollupHourReason.reason, RollupHourReason.reason_group).dicts())
    given, unhappy = _reason_counts(reasons, lambda row: _aware(row["key"]))
    return {_aware(row["key"]): _counts(row, given[_aware(row["key"])], unhappy[_aware(row["key"])]) for row in rows}


def _aware(value):
    """A UTC hour as the database returned it (aggregate queries skip the field's conversion)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def local_day_bounds(day, zone):
    """UTC ``[start, end)`` of local *day* in *zone*: 23 or 25 hours on a DST change day."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, end


def hours_of_day(site, scope, day):
    """``[(local start, Counts)]`` for each UTC hour of *site*'s local *day*, in order.

    A UTC hour starts at :30 local time in a half-hour zone: it is shown at
    its own local start, and the day's hours come from the UTC hours that
    start within it (its totals come from the day rollup, which is exact).
    """
    zone = site_zone(site)
    start, end = local_day_bounds(day, zone)
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    counts = hour_counts(scope.narrowed(site_ids=(site.id,)), first_hour, end)
    hours, moment = [], first_hour
    while moment < end:
        if moment >= start or moment + timedelta(hours=1) > start:
            hours.append((moment.astimezone(zone), counts.get(moment, Counts())))
        moment += timedelta(hours=1)
    return hours


def heat_map(site, scope, period, now):
    """``{(weekday 0-6, local hour 0-23): Counts}`` over *period*'s local days of *site*."""
    zone = site_zone(site)
    first, last = period.days_for(local_today(site, now))
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    cells = defaultdict(Counts)
    for hour, counts in hour_counts(scope.narrowed(site_ids=(site.id,)), start.replace(minute=0), end).items():
        local = hour.astimezone(zone)
        cells[(local.weekday(), local.hour)] = cells[(local.weekday(), local.hour)] + counts
    return dict(cells)


def months(site, scope, now, count=12):
    """``[(first day of month, Counts)]`` for the last *count* local months of *site*, oldest first."""
    today = local_today(site, now)
    first_month = _month_start(today, count - 1)
    period = Period.parse("custom", first_month.isoformat(), today.isoformat())
    by_day = day_counts("day", scope.narrowed(site_ids=(site.id,)), period, now)
    totals = defaultdict(Counts)
    for day, counts in by_day.items():
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        totals[day.replace(day=1)] = totals[day.replace(day=1)] + counts
    return [(month, totals.get(month, Counts())) for month in _month_starts(first_month, today)]


def _month_start(today, back):
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _month_starts(first, today):
    month = first
    while month <= today:
        yield month
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True)
class Figures:
    """What a row of a report shows, as shown (sync.wire.display's rounding, verdict and trend)."""

    counts: Counts
    previous: Counts
    target: int | None
    min_responses: int

    @property
    def shown(self):
        return display.shown(self.counts, self.target, self.min_responses)

    @property
    def responses(self):
        return self.counts.counted

    @property
    def satisfaction(self):
        return self.shown.satisfaction

    @property
    def happy_index(self):
        return self.shown.happy_index

    @property
    def below_target(self):
        return self.shown.below

    @property
    def previous_satisfaction(self):
        return display.shown(self.previous, self.target, self.min_responses).satisfaction

    @property
    def change(self):
        """The :class:`sync.wire.display.Trend` against the previous period."""
        return display.trend(self.satisfaction, self.previous_satisfaction)

    def change_against(self, other):
        """The :class:`sync.wire.display.Trend` from *other*'s satisfaction (a whole, a brand) to this one's."""
        return display.trend(self.satisfaction, other.satisfaction)

    @property
    def trend(self):
        """Change in satisfaction against the previous period, in percentage points (as shown); None when
        either period has too few."""
        return self.change.points

    @property
    def followup_rate(self):
        return display.whole_percent(figures.followup_rate(self.counts))

    def sort_key(self, column):
        value = {"responses": self.responses, "satisfaction": self.satisfaction,
                 "happy_index": self.happy_index, "trend": self.trend}[column]
        return (value is None, value if value is not None else 0)


def figures_by(group_by, scope, period, now):
    """``{group key: Figures}`` with the previous period for the trend."""
    target, min_responses = brand_settings()
    current = day_counts(group_by, scope, period, now, reasons=False)
    previous = day_counts(group_by, scope, period, now, previous=True, reasons=False)
    return {key: Figures(current.get(key, Counts()), previous.get(key, Counts()), target, min_responses)
            for key in set(current) | set(previous)}


def empty_figures():
    target, min_responses = brand_settings()
    return Figures(Counts(), Counts(), target, min_responses)


def total_figures(scope, period, now, by_site=None):
    """The whole scope's figures (every site of it summed) with the previous period; *by_site*, when
    the caller already has :func:`figures_by` per site for the same scope and period, is summed as is."""
    if by_site is None:
        by_site = figures_by("site", scope, period, now)
    target, min_responses = brand_settings()
    return Figures(Counts.total(f.counts for f in by_site.values()),
                   Counts.total(f.previous for f in by_site.values()), target, min_responses)


def named(model, ids):
    """``{id: row}`` of *model* for *ids*."""
    ids = [i for i in ids if i is not None]
    return {row.id: row for row in model.select().where(model.id.in_(ids))} if ids else {}


NAMED_BY = {"site": Site, "service": Service, "provider": Provider, "kiosk": Kiosk}


# -- what the figures are about: reasons, comments, the fleet ------------------------------------

def reason_groups():
    """reason key -> quality-model group, every reason in central's catalog (offered or not), and for
    a key central never published, the group its follow-ups gave (:class:`ReasonGroups`)."""
    return ReasonGroups(Reason.select(Reason.key, Reason.group).tuples())


def reason_labels():
    """reason key -> {language: label}."""
    return dict(Reason.select(Reason.key, Reason.labels).tuples())


def _utc_bounds_by_zone(sites, period, now):
    """``[(site ids, UTC start, UTC end)]``: sites sharing a zone share the bounds of their local days."""
    by_zone = defaultdict(list)
    for site in sites:
        by_zone[site.timezone].append(site)
    bounds = []
    for members in by_zone.values():
        zone = site_zone(members[0])
        first, last = period.days_for(local_today(members[0], now))
        bounds.append(([s.id for s in members], local_day_bounds(first, zone)[0], local_day_bounds(last, zone)[1]))
    return bounds


@dataclass(frozen=True)
class CommentRow:
    followup_id: str
    comment: str
    reason: str
    reason_group: str
    rating: int
    site: str
    kiosk: str
    service: str
    local_time: datetime


COMMENTS_PER_PAGE = 50


def comments(scope, period, now, text="", page=1):
    """``(rows, more)``: the unredacted comments of *scope* in *period*, newest first, one page.

    Comments are read from the raw follow-ups (a list of texts, not a
    figure), narrowed by site, time and the index on occurred_at. A comment
    shows only where its rating counts (the figures' rule: a repeat, a closed
    or an unverified rating has none), as its follow-up does in the drivers.
    """
    sites = sites_in(scope)
    if not sites:
        return [], False
    window = peewee.Value(False)
    for site_ids, start, end in _utc_bounds_by_zone(sites, period, now):
        window |= Kiosk.site.in_(site_ids) & (Rating.occurred_at >= start) & (Rating.occurred_at < end)
    query = (Followup.select(Followup.id, Followup.comment, Followup.reason, Followup.reason_group, Rating.rating,
                             Rating.occurred_at, Site.name.alias("site"), Site.timezone,
                             Kiosk.name.alias("kiosk"), Service.name.alias("service"))
             .join(Rating).join(Kiosk).join(Site).switch(Kiosk).join(Service)
             .switch(Followup).join(Redaction, peewee.JOIN.LEFT_OUTER)
             .where(scope.kiosk_condition() & window & Rating.filtered.is_null() & Followup.comment.is_null(False)
                    & Redaction.id.is_null() & (Followup.comment != ""))
             .order_by(Rating.occurred_at.desc(), Followup.id)
             .offset((page - 1) * COMMENTS_PER_PAGE).limit(COMMENTS_PER_PAGE + 1))
    if text.strip():
        query = query.where(Followup.comment.contains(text.strip()))
    rows = []
    for row in query.dicts():
        occurred = _aware(row["occurred_at"])
        rows.append(CommentRow(row["id"], row["comment"], row["reason"], row["reason_group"], row["rating"],
                               row["site"], row["kiosk"], row["service"],
                               occurred.astimezone(site_zone(Site(name=row["site"], timezone=row["timezone"])))))
    return rows[:COMMENTS_PER_PAGE], len(rows) > COMMENTS_PER_PAGE


#: A kiosk silent this long within its site's opening hours is flagged on the fleet page.
SILENT_MINUTES = 60


@dataclass(frozen=True)
class FleetRow:
    kiosk: Kiosk
    site: Site
    status: object  # KioskStatus or None: never reported
    silent: bool

    @property
    def last_sync_at(self):
        """When the kiosk's uploader last reached central: the later of its last heartbeat and the last
        batch central took (None: neither yet). A kiosk with nothing to send heartbeats every pass and
        sends no batch; it is in sync, not stale."""
        moments = [moment for moment in (self.status.reported_at if self.status else None, self.kiosk.last_batch_at)
                   if moment is not None]
        return max(moments, default=None)

    @property
    def clock_offset_seconds(self):
        """The kiosk's wall clock minus central's at its last heartbeat (positive: ahead)."""
        if self.status is None:
            return None
        return (self.status.wall - self.status.reported_at).total_seconds()

    @property
    def has_gap(self):
        """Central holds a row numbered above one it lacks, or the kiosk reported a gap it could not fill."""
        return self.kiosk.seq_highest > self.kiosk.seq_contiguous or bool(self.status and self.status.gap_error)


def fleet(scope, now):
    """Every kiosk of *scope* (revoked ones left out) with its last heartbeat and how it is doing.

    An enrolled kiosk that never sent a heartbeat is silent counted from its enrolment: a
    kiosk installed and then unplugged is exactly what the page is for.
    """
    from sync.central.alerts.rules import Thresholds, silent_breach

    kiosks = list(Kiosk.select(Kiosk, Site).join(Site)
                  .where(scope.kiosk_condition() & ~Kiosk.revoked).order_by(Site.name, Kiosk.name))
    statuses = {s.kiosk_id: s for s in KioskStatus.select().where(KioskStatus.kiosk.in_([k.id for k in kiosks]))} \
        if kiosks else {}
    thresholds = Thresholds(silent_minutes=SILENT_MINUTES)
    hours = {}
    rows = []
    for kiosk in kiosks:
        if kiosk.site_id not in hours:
            hours[kiosk.site_id] = site_hours(kiosk.site)
        status = statuses.get(kiosk.id)
        last_seen = status.reported_at if status is not None else kiosk.enrolled_at
        silent = silent_breach(last_seen, now, hours[kiosk.site_id], thresholds)
        rows.append(FleetRow(kiosk, kiosk.site, status, silent))
    return rows

