"""Customers' comments for a scope and period, newest first, searchable, a page at a time."""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from sync.central.reports.periods import Period, Scope, _aware, local_day_bounds, local_today
from sync.central.reports.queries import sites_in
from sync.central.store.models import (
    Followup,
    Kiosk,
    Rating,
    Redaction,
    Service,
    Site,
)
from sync.common.zones import site_zone


def _utc_bounds_by_zone(
    sites: Iterable[Site], period: Period, now: datetime
) -> list[tuple[list[int], datetime, datetime]]:
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


def comments(
    scope: Scope, period: Period, now: datetime, text: str = "", page: int = 1
) -> tuple[list[CommentRow], bool]:
    """``(rows, more)``: the unredacted comments of *scope* in *period*, newest first, one page.

    Comments are read from the raw follow-ups (a list of texts, not a
    figure), narrowed by site, time and the index on occurred_at. A comment
    shows only where its rating counts (the figures' rule: a repeat, a closed
    or an unverified rating has none), as its follow-up does in the drivers.
    """
    sites = sites_in(scope)
    if not sites:
        return [], False
    window: Any = peewee.Value(False)
    for site_ids, start, end in _utc_bounds_by_zone(sites, period, now):
        window |= Kiosk.site.in_(site_ids) & (Rating.occurred_at >= start) & (Rating.occurred_at < end)
    query: Any = (Followup.select(Followup.id, Followup.comment, Followup.reason, Followup.reason_group, Rating.rating,
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
