"""The rollup queries behind every report: counts per day, hour and reason, summed per site,
kiosk, service or provider."""
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import peewee

from sync.central.reports.periods import Period, Scope, _aware, local_today
from sync.central.store.models import (
    Kiosk,
    Provider,
    Reason,
    RollupDay,
    RollupDayReason,
    RollupHour,
    Service,
    Setting,
    Site,
)
from sync.wire import display
from sync.wire.defaults import DEFAULT_MIN_RESPONSES
from sync.wire.figures import FACE_COUNTS, HOUR_COUNTS, Counts
from sync.wire.protocol import FILTERS

M = TypeVar("M", bound=peewee.Model)


def brand_settings() -> tuple[int | float | None, int]:
    """``(target percent, min_responses)`` as head office set them."""
    rows: Any = Setting.select(Setting.key, Setting.value).where(Setting.key.in_(["target", "min_responses"]))
    values = dict(rows.tuples())
    return display.shown_target(values.get("target")), values.get("min_responses") or DEFAULT_MIN_RESPONSES


def sites_in(scope: Scope) -> list[Site]:
    """The sites of *scope*, by name."""
    query = Site.select().order_by(Site.name)
    if scope.site_ids is not None:
        query = query.where(Site.id.in_(list(scope.site_ids))) if scope.site_ids else query.where(False)
    return list(query)


def _day_groups(
    sites: Iterable[Site], now: datetime, period: Period, previous: bool = False
) -> dict[tuple[date, date], list[int]]:
    """``{(first, last): [site ids]}``: sites that share their local days are asked together."""
    groups: defaultdict[tuple[date, date], list[int]] = defaultdict(list)
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


def _sum_columns(model: type[peewee.Model], columns: Iterable[str]) -> list[Any]:
    return [peewee.fn.SUM(getattr(model, name)).alias(name) for name in columns]


def day_counts(
    group_by: str, scope: Scope, period: Period, now: datetime, previous: bool = False, reasons: bool = True
) -> dict[Any, Counts]:
    """``{group key: Counts}`` over *period*'s local days, one entry per group that has rows.

    :param group_by: ``site``, ``kiosk``, ``service``, ``provider`` or ``day``.
    :param reasons: also count follow-ups per reason (the drivers); the figures need only the faces,
        and the reason rows are the larger table.
    """
    result: defaultdict[Any, Counts] = defaultdict(Counts)
    sites = sites_in(scope)
    for (first, last), site_ids in _day_groups(sites, now, period, previous).items():
        kiosks = scope.narrowed(site_ids=tuple(site_ids)).kiosk_condition()
        key: Any = _GROUPS[group_by] if group_by != "day" else RollupDay.day
        rows: Any = (RollupDay.select(key.alias("key"), *_sum_columns(RollupDay, HOUR_COUNTS))
                .join(Kiosk).where(kiosks & RollupDay.day.between(first, last)).group_by(key).dicts())
        reason_key = key if group_by != "day" else RollupDayReason.day
        reason_rows: Any = [] if not reasons else (RollupDayReason.select(reason_key.alias("key"),
                                                                          RollupDayReason.reason,
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

    group: str

    def __new__(cls, key: str, group: str) -> "UnpublishedReason":
        reason = super().__new__(cls, key)
        reason.group = group
        return reason

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnpublishedReason) and str.__eq__(self, other) and self.group == other.group

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((str(self), self.group))

    def __repr__(self) -> str:
        return f"UnpublishedReason({str(self)!r}, {self.group!r})"


class ReasonGroups(dict[str, str]):
    """reason key -> quality-model group: central's catalog, and for an :class:`UnpublishedReason`
    the group its own follow-ups gave."""

    def get(self, key: str, default: Any = None) -> Any:
        if isinstance(key, UnpublishedReason):
            return key.group
        return super().get(key, default)


def _reason_counts(
    rows: Iterable[Mapping[str, Any]], key_of: Callable[[Mapping[str, Any]], Any]
) -> tuple[defaultdict[Any, dict[str, int]], defaultdict[Any, dict[str, int]]]:
    """``(given, unhappy)``: page key -> reason -> follow-ups, from rollup rows per reason and group.
    A reason in central's catalog is its key; any other, an :class:`UnpublishedReason`."""
    catalog = reason_groups()
    given: defaultdict[Any, dict[str, int]] = defaultdict(dict)
    unhappy: defaultdict[Any, dict[str, int]] = defaultdict(dict)
    for row in rows:
        reason, group = row["reason"], row["reason_group"]
        slot = reason if catalog.get(reason) == group else UnpublishedReason(reason, group)
        key = key_of(row)
        given[key][slot] = given[key].get(slot, 0) + int(row["given"])
        unhappy[key][slot] = unhappy[key].get(slot, 0) + int(row["unhappy"])
    return given, unhappy


def _counts(row: Mapping[str, Any], reasons: Mapping[str, int], unhappy_reasons: Mapping[str, int]) -> Counts:
    return Counts(
        faces=tuple(int(row[name] or 0) for name in FACE_COUNTS),
        filtered={name: int(row[name] or 0) for name in FILTERS if row[name]},
        followups=int(row["followups"] or 0),
        reasons={k: v for k, v in reasons.items() if v},
        unhappy_reasons={k: v for k, v in unhappy_reasons.items() if v},
    )


def hour_counts(scope: Scope, first_hour: datetime, end_hour: datetime) -> dict[datetime, Counts]:
    """``{UTC hour start: Counts}`` for hours in [first_hour, end_hour) of *scope*'s kiosks: the faces,
    filters and follow-ups, without the reasons.

    Whatever reads hours (a day's hour bars, the weekday x hour map, an hours target's before and
    after) shows satisfaction only, and the hour reason rows are the largest rollup table: reading
    them for nothing took an hours action's before and after from 18 to 64 ms p99 (bench/reports.py).
    """
    kiosks = scope.kiosk_condition()
    rows: Any = (RollupHour.select(RollupHour.hour.alias("key"), *_sum_columns(RollupHour, HOUR_COUNTS))
            .join(Kiosk).where(kiosks & (RollupHour.hour >= first_hour) & (RollupHour.hour < end_hour))
            .group_by(RollupHour.hour).dicts())
    return {_aware(row["key"]): _counts(row, {}, {}) for row in rows}


def named(model: type[M], ids: Iterable[int | None]) -> dict[int, M]:
    """``{id: row}`` of *model* for *ids*."""
    wanted = [i for i in ids if i is not None]
    # Every model of NAMED_BY has an id.
    rows: Any = model.select().where(model.id.in_(wanted)) if wanted else ()  # type: ignore[attr-defined]
    return {row.id: row for row in rows}


#: A page group -> the model whose rows name its keys (each has a ``name``).
NAMED_BY: dict[str, Any] = {"site": Site, "service": Service, "provider": Provider, "kiosk": Kiosk}


def reason_groups() -> ReasonGroups:
    """reason key -> quality-model group, every reason in central's catalog (offered or not), and for
    a key central never published, the group its follow-ups gave (:class:`ReasonGroups`)."""
    rows: Any = Reason.select(Reason.key, Reason.group).tuples()
    return ReasonGroups(rows)


def reason_labels() -> dict[str, dict[str, str]]:
    """reason key -> {language: label}."""
    rows: Any = Reason.select(Reason.key, Reason.labels).tuples()
    return dict(rows)
