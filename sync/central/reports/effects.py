"""An action's figure before and after it started, from the site's rollups (every kiosk of the site).

The 28 local days before ``started_on`` against the 28 from it (fewer while the action is young:
up to the site's today), restricted to the action's target: the whole site; its hour range on its
weekdays (the site's local hours; a rollup hour counts in the local hour it starts in); or, for a
reason, the share of the unhappy follow-ups naming it. The comparison is
:mod:`sync.wire.effects`' (two-proportion z-test at 95 %).
"""

from datetime import date, datetime
from typing import Any

from sync.central.reports.periods import Period, Scope, local_day_bounds, local_today
from sync.central.reports.queries import brand_settings, day_counts, hour_counts
from sync.central.store.models import Site
from sync.common.zones import site_zone
from sync.wire.effects import Effect, Side, compare, in_hours, span_days, target_side, windows
from sync.wire.figures import Counts


def _site_counts(site: Site, span: tuple[date, date], now: datetime, reasons: bool) -> Counts:
    period = Period("custom", span[0], span[1])
    counts = day_counts("site", Scope(site_ids=(site.id,)), period, now, reasons=reasons)
    return counts.get(site.id, Counts())


def _hours_counts(site: Site, span: tuple[date, date], target: dict[str, Any]) -> Counts:
    zone = site_zone(site)
    start, _ = local_day_bounds(span[0], zone)
    _, end = local_day_bounds(span[1], zone)
    total = Counts()
    for hour, counts in hour_counts(Scope(site_ids=(site.id,)), start.replace(minute=0), end).items():
        local = hour.astimezone(zone)
        if in_hours(target, local.isoweekday(), local.hour) and span[0] <= local.date() <= span[1]:
            total = total + counts
    return total


def _side(site: Site, span: tuple[date, date] | None, target: dict[str, Any], now: datetime) -> Side:
    if span is None:
        return Side(0, 0, 0)
    if target["kind"] == "hours":
        counts = _hours_counts(site, span, target)
    else:
        counts = _site_counts(site, span, now, reasons=target["kind"] == "reason")
    return target_side(counts, target, span_days(span))


def action_effect(site: Site, started_on: date, target: dict[str, Any], now: datetime,
                  min_responses: int | None = None) -> Effect:
    """The effect at *site* of an action with *target* that started on *started_on*, as of *now*."""
    before_span, after_span = windows(started_on, local_today(site, now))
    minimum = min_responses if min_responses is not None else brand_settings()[1]
    return compare(_side(site, before_span, target, now), _side(site, after_span, target, now), minimum,
                   lower_is_better=target["kind"] == "reason")
