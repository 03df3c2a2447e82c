"""The network document: where one kiosk's site stands in the brand's network (``GET /api/v1/network``).

Every figure comes from the rollups over each site's own local days, with the same formulas and
rounding as head office's pages (:mod:`sync.wire.display`):

- the brand: every site's ratings; the service: the kiosk's service at every site;
- the site: every kiosk of the kiosk's site, as central holds them;
- the rank: the site among the sites that run the kiosk's service, each on that service's ratings
  there (a kiosk without a service: among all sites, on all their ratings), by satisfaction. A
  site takes part in a period with at least ``min_responses`` counted ratings in it (for the 30
  days, exactly the sites with that many in those 30 days); equal satisfactions share a rank
  (two sites at 90 % are both 1st and the next is 3rd); ``best`` is the highest satisfaction and
  ``median`` the middle one (with an even count, the lower middle).
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.central.org.actions import site_actions_on_the_wire
from sync.central.reports.periods import Period, Scope
from sync.central.reports.queries import brand_settings, day_counts, named
from sync.central.store.models import Kiosk, Site, central_db
from sync.central.store.rollups import RollupChanges
from sync.wire import display
from sync.wire.figures import Counts
from sync.wire.protocol import NETWORK_PERIODS, format_time

#: The document's periods, as report periods: each site's yesterday, last 7 and last 30 local days.
PERIODS = {name: Period(name) for name in NETWORK_PERIODS}
#: How long the per-site counts every kiosk's document shares are reused. Kiosks ask at most
#: hourly, so a few minutes of age never shows, and a fleet of 1,000 asking within those minutes
#: costs one computation instead of 1,000 (bench/reports.py). A rollup written by this process
#: ends the reuse at once.
SHARED_FOR = timedelta(minutes=5)


class SharedCounts:
    """Per-site counts of a period (all services, or one), kept for :data:`SHARED_FOR` and reused by
    every kiosk's document: the brand, the service and the ranking are the same for all of them.

    A kept entry names the database it came from and the rollup writes it saw
    (:class:`~sync.central.store.rollups.RollupChanges`), so another database (tests, the demo) or a
    newer write never reads it; a clock set back computes again.
    """

    _kept: dict[tuple[Any, ...], tuple[datetime, dict[int, Counts]]] = {}
    _lock = threading.Lock()

    @classmethod
    def by_site(cls, period_name: str, service_id: int | None, now: datetime) -> dict[int, Counts]:
        database = central_db.obj
        key = (id(database), getattr(database, "database", None), period_name, service_id, RollupChanges.count)
        with cls._lock:
            held = cls._kept.get(key)
        if held is not None and held[0] <= now < held[0] + SHARED_FOR:
            return held[1]
        counts = day_counts("site", Scope(service_id=service_id) if service_id is not None else Scope(),
                            PERIODS[period_name], now, reasons=False)
        with cls._lock:
            if len(cls._kept) > 256:  # old generations and databases: never asked again
                cls._kept.clear()
            cls._kept[key] = (now, counts)
        return counts


def figure(counts: Counts, min_responses: int) -> dict[str, Any]:
    """One figure of the document: counted ratings, satisfaction and Happy Index as shown."""
    shown = display.shown(counts, None, min_responses)
    return {"counted": shown.counted, "satisfaction": shown.satisfaction, "happy_index": shown.happy_index}


@dataclass(frozen=True)
class Standing:
    """A site's place among the sites taking part in one period."""

    rank: int | None  # None: the site does not take part
    of: int
    best: int | None
    median: int | None
    #: ``(site id, satisfaction)`` of every site taking part, best first (ties by id).
    ranked: list[tuple[int, int]]


def standing(per_site: Mapping[int, Counts], site_id: int, min_responses: int) -> Standing:
    """Where *site_id* stands among the sites of *per_site* with at least *min_responses* counted ratings."""
    taking_part: dict[int, int] = {}
    for other, counts in per_site.items():
        percent = display.shown(counts, None, min_responses).satisfaction
        if percent is not None and counts.counted >= min_responses:
            taking_part[other] = percent
    ranked = sorted(taking_part.items(), key=lambda item: (-item[1], item[0]))
    values = sorted(taking_part.values())
    mine = taking_part.get(site_id)
    rank = None if mine is None else 1 + sum(1 for value in values if value > mine)
    return Standing(
        rank=rank,
        of=len(values),
        best=values[-1] if values else None,
        median=values[(len(values) - 1) // 2] if values else None,
        ranked=ranked,
    )


def network_document(kiosk: Kiosk, now: datetime, share_names: bool) -> dict[str, Any]:
    """The network document of *kiosk* at *now*; the ranked sites' names only with *share_names*."""
    min_responses = brand_settings()[1]
    service_id = kiosk.service_id
    periods: dict[str, Any] = {}
    rankings: dict[str, list[tuple[int, int, int]]] = {}
    for name in PERIODS:
        by_site = SharedCounts.by_site(name, None, now)
        service_by_site = SharedCounts.by_site(name, service_id, now) if service_id is not None else None
        place = standing(service_by_site if service_by_site is not None else by_site, kiosk.site_id, min_responses)
        periods[name] = {
            "brand": figure(Counts.total(by_site.values()), min_responses),
            "service": (figure(Counts.total(service_by_site.values()), min_responses)
                        if service_by_site is not None else None),
            "site": figure(by_site.get(kiosk.site_id, Counts()), min_responses),
            "rank": place.rank,
            "of": place.of,
            "best": place.best,
            "median": place.median,
        }
        rankings[name] = _with_ranks(place.ranked)
    document: dict[str, Any] = {"generated_at": format_time(now), "periods": periods,
                                "actions": site_actions_on_the_wire(kiosk.site_id)}
    if share_names:
        names = {site_id: site.name for site_id, site in named(Site, {s for r in rankings.values()
                                                                       for s, _, _ in r}).items()}
        document["site_names"] = {
            period: [{"name": names[site_id], "rank": rank, "satisfaction": percent}
                     for site_id, percent, rank in ranked]
            for period, ranked in rankings.items()
        }
    return document


def _with_ranks(ranked: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """``(site id, satisfaction, rank)``, best first; equal satisfactions share a rank."""
    out: list[tuple[int, int, int]] = []
    for position, (site_id, percent) in enumerate(ranked, start=1):
        rank = out[-1][2] if out and out[-1][1] == percent else position
        out.append((site_id, percent, rank))
    return out
