"""Weekly opening hours, evaluated in the kiosk's own time zone.

Configured as a TOML table of weekday -> list of ``"HH:MM-HH:MM"`` spans::

    [opening_hours]
    mon = ["08:00-12:00", "13:00-20:00"]
    sat = ["10:00-16:00"]
    fri = ["22:00-02:00"]   # past midnight: runs into Saturday morning

A day left out is closed. No table at all means always open. Times are local
wall-clock times, so a DST change day needs nothing special: the UTC instant is
converted with zoneinfo and compared against the local spans.
"""
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.wire.clock_correction import UNCORRECTABLE
from sync.wire.errors import ConfigError
from sync.wire.protocol import CLOSED, UNVERIFIED, WEEKDAYS

_SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_DAY_MINUTES = 24 * 60

#: Weekday index (0 = Monday) -> ``(start, end)`` minute pairs within that day; None: always open.
Spans = dict[int, list[tuple[int, int]]]


def load_zone(name: object, key: str = "timezone") -> ZoneInfo:
    """Return the ZoneInfo for *name* or raise ConfigError naming *key*.

    zoneinfo reads a file named by the key: a folder ("Europe") or an overlong name
    raises OSError, a file that is not a zone (a table of tzdata) ValueError.
    """
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(f"{key}: unknown time zone {name!r} (use an IANA name such as 'Europe/Helsinki')") from None


def _minutes(hours: str, minutes: str, key: str, text: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if value > _DAY_MINUTES:
        raise ConfigError(f"{key}: {text!r} is past 24:00")
    return value


class OpeningHours:
    """When a kiosk's site is open.

    :param spans: mapping of weekday index (0 = Monday) to ``(start, end)``
        minute pairs within that day, or ``None`` for always open.
    :param zone: the site's ``ZoneInfo``.
    """

    def __init__(self, spans: Spans | None, zone: ZoneInfo) -> None:
        self.spans = spans
        self.zone = zone

    @property
    def always_open(self) -> bool:
        return self.spans is None

    @classmethod
    def parse(cls, table: Any, zone: ZoneInfo) -> "OpeningHours":
        """Build from the config table; raise ConfigError naming the bad key."""
        if table is None or table == {}:
            return cls(None, zone)
        if not isinstance(table, dict):
            raise ConfigError("opening_hours: expected a table of weekday = [\"HH:MM-HH:MM\", ...]")
        spans: Spans = {day: [] for day in range(7)}
        for day_name, day_spans in table.items():
            key = f"opening_hours.{day_name}"
            if day_name not in WEEKDAYS:
                raise ConfigError(f"{key}: unknown weekday (use one of {', '.join(WEEKDAYS)})")
            if not isinstance(day_spans, list) or not all(isinstance(s, str) for s in day_spans):
                raise ConfigError(f"{key}: expected a list of \"HH:MM-HH:MM\" strings")
            day = WEEKDAYS.index(day_name)
            for text in day_spans:
                match = _SPAN.match(text.strip())
                if not match:
                    raise ConfigError(f"{key}: {text!r} is not of the form \"HH:MM-HH:MM\"")
                start = _minutes(match[1], match[2], key, text)
                end = _minutes(match[3], match[4], key, text)
                if start == end or start == _DAY_MINUTES:
                    raise ConfigError(f"{key}: {text!r} is an empty span")
                if end > start:
                    spans[day].append((start, end))
                else:  # runs past midnight into the next day
                    spans[day].append((start, _DAY_MINUTES))
                    spans[(day + 1) % 7].append((0, end))
        return cls(spans, zone)

    def is_open(self, utc_moment: datetime) -> bool:
        """True when the aware UTC datetime falls inside a span, locally."""
        if self.spans is None:
            return True
        local = utc_moment.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.spans[local.weekday()])


def final_filter(
    kiosk_filter: str | None, occurred_at: datetime, basis: str, opening_hours: OpeningHours | None
) -> str | None:
    """The filter the figures use: the kiosk's, with ``unverified`` decided.

    An ``unverified`` row (recorded on an untrusted clock outside a known
    opening time) becomes counted or ``closed`` once its real time is known
    (*basis* not ``uncorrectable``) and the hours are usable.
    """
    if kiosk_filter != UNVERIFIED:
        return kiosk_filter
    if basis == UNCORRECTABLE or opening_hours is None:
        return UNVERIFIED
    return None if opening_hours.is_open(occurred_at) else CLOSED
