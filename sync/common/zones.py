"""A site's time zone and opening hours, as central's stored settings allow.

A site's zone name is checked when head office sets it, but a stored name can
still stop working: an older database, a hand edit, a tzdata update that drops
a zone, a host without that zone's file. Ingest must not refuse a batch for it
and no page may fail on it, so every part of central that needs a site's zone
(ingest, rollups, reports, export, alerts, the digest) asks :func:`site_zone`,
which falls back to UTC, and says so once in the log.

The opening hours follow the zone: they are local wall-clock times, so hours
whose zone is unusable are unusable too. Then :func:`site_hours` gives None:
ingest leaves ``unverified`` ratings unverified (never decided against hours
read in the wrong zone), and a silent kiosk's silence counts around the clock
(the alerts and the fleet page flag too much rather than too little).
"""
import logging
from datetime import timezone, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sync.wire.errors import ConfigError
from sync.wire.hours import OpeningHours, load_zone

log = logging.getLogger(__name__)


class Site(Protocol):
    """What the zones need of a site: central's ``Site`` row, or anything with these."""

    name: str
    timezone: str
    opening_hours: Any

#: ``(site name, what was wrong)`` already logged: a page view must not log the same line again.
_logged: set[tuple[str, str]] = set()


def _log_once(site_name: str, problem: str) -> None:
    if (site_name, problem) not in _logged:
        _logged.add((site_name, problem))
        log.error("site %r: %s", site_name, problem)


def _zone(site: Site) -> ZoneInfo | None:
    """The site's zone, or None (logged once) when its stored name is unusable."""
    try:
        return load_zone(site.timezone)
    except ConfigError as error:
        _log_once(site.name, f"{error}; its times are shown and counted in UTC and its opening hours are not used "
                             f"(unverified ratings stay unverified, silence counts around the clock)")
        return None


def site_zone(site: Site) -> tzinfo:
    """The zone of *site* (anything with ``name`` and ``timezone``); UTC when its stored name is unusable."""
    zone = _zone(site)
    return timezone.utc if zone is None else zone


def site_hours(site: Site) -> OpeningHours | None:
    """The opening hours of *site* in its zone; None when they or its zone are unusable."""
    zone = _zone(site)
    if zone is None:
        return None
    try:
        return OpeningHours.parse(site.opening_hours, zone)
    except ConfigError as error:
        _log_once(site.name, f"opening hours unusable, so unverified ratings stay unverified and silence counts "
                             f"around the clock: {error}")
        return None
