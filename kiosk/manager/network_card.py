"""The manager's "The network" card: where this site stands among the brand's sites.

Drawn from the last network document central sent (kiosk/storage/network.py), offline too, with
how long ago central confirmed it; with none (not enrolled, or an older central) there is no card.
The site's figure is central's, every kiosk of the site; the brand's and the service's are the
brand's averages; the rank is among the sites running this kiosk's service.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_timedelta, get_locale, gettext

from kiosk.storage.network import NetworkStore, NetworkView
from kiosk.web.parts import current_parts

#: The periods the card shows, as columns: the week and the month.
COLUMNS = ("7d", "30d")


@dataclass(frozen=True)
class NetworkRow:
    """One line of the card: its label and a cell per column."""

    label: str
    cells: tuple[str, ...]
    mine: bool = False


@dataclass(frozen=True)
class NetworkCard:
    age: str
    headers: tuple[str, ...]
    rows: list[NetworkRow]
    best_site: str | None
    #: The brand's satisfaction over the last 7 days, as shown, for the week chart's marker ("" when too few).
    brand_week: str


def ordinal(rank: int, language: str) -> str:
    """*rank* as an ordinal in *language*: ``4th``, ``4.``, ``4:e``."""
    if language == "fi":
        return f"{rank}."
    if language == "sv":
        return f"{rank}:{'a' if rank % 10 in (1, 2) and rank % 100 not in (11, 12) else 'e'}"
    suffix = "th" if rank % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


def _percent(value: int | None) -> str:
    return "–" if value is None else f"{value}\u00a0%"


def _rank(period: dict[str, Any], language: str) -> str:
    if period["rank"] is None:
        return gettext("not ranked") if period["of"] else "–"
    return gettext("%(ordinal)s of %(of)s", ordinal=ordinal(period["rank"], language), of=period["of"])


def network_card(now: datetime, target: float | None) -> NetworkCard | None:
    """The card from the kept document, or None when there is none."""
    kept = NetworkStore(current_parts().config.data_dir).current()
    if kept is None:
        return None
    return card_of(kept, now, target, str(get_locale()))


def card_of(kept: NetworkView, now: datetime, target: float | None, language: str) -> NetworkCard:
    """The card of *kept* at *now*, against the brand's *target* (as shown), in *language*."""
    periods = [kept.period(name) for name in COLUMNS]

    def satisfaction(part: str) -> tuple[str, ...]:
        return tuple(_percent(p[part]["satisfaction"]) if p[part] is not None else "–" for p in periods)

    rows = [
        NetworkRow(gettext("This site"), satisfaction("site"), mine=True),
        NetworkRow(gettext("Rank among the sites"), tuple(_rank(p, language) for p in periods), mine=True),
        NetworkRow(gettext("Best site"), tuple(_percent(p["best"]) for p in periods)),
        NetworkRow(gettext("Median site"), tuple(_percent(p["median"]) for p in periods)),
    ]
    if all(p["service"] is not None for p in periods):
        rows.append(NetworkRow(gettext("This service, all sites"), satisfaction("service")))
    rows.append(NetworkRow(gettext("The brand"), satisfaction("brand")))
    if target is not None:
        rows.append(NetworkRow(gettext("Target"), tuple(f"{target}\u00a0%" for _ in periods)))
    names = (kept.document.get("site_names") or {}).get("30d") or []
    return NetworkCard(
        age=gettext("updated %(age)s ago", age=format_timedelta(max(now - kept.checked_at, timedelta(0)))),
        headers=(gettext("7 days"), gettext("30 days")),
        rows=rows,
        best_site=names[0]["name"] if names else None,
        brand_week=_percent(kept.period("7d")["brand"]["satisfaction"]) if kept.period("7d")["brand"][
            "satisfaction"] is not None else "",
    )
