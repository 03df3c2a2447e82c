"""An action a site took to move its figures (``POST /api/v1/actions``, and the network document's list).

An action is a row that never changes: a title (1–80 characters), an optional note (at most 500),
the local day it started, and its target: the whole site, an hour range on chosen weekdays, or one
reason. Editing is a new row that ``supersedes`` the old; withdrawing, a new row with ``withdrawn``.
A kiosk's action names the kiosk (``kiosk_id``); head office's names its site at central.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sync.wire.protocol.checks import (
    Check,
    Default,
    Document,
    Fields,
    Flag,
    OneOf,
    Optional,
    RowError,
    Schema,
    Text,
    Time,
    Uuid,
    Whole,
    check_row,
)
from sync.wire.protocol.vocabulary import COMMENT_MAX, EARLIEST_YEAR, LATEST_YEAR

#: What an action aims at: the whole site, some hours, or one reason.
TARGET_KINDS = ("site", "hours", "reason")
#: ISO weekdays, 1 = Monday.
ISO_WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
TITLE_MAX = 80


class Day(Check):
    """A local day as ``YYYY-MM-DD`` in the years 2000-2100; a :class:`datetime.date` out."""

    schema: Schema = {"type": "string", "format": "date", "pattern": r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"}

    def __call__(self, value: Any) -> date:
        if not isinstance(value, str) or len(value) != 10:
            raise RowError("expected a day YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise RowError(f"not a day: {value!r}") from None
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            raise RowError(f"a day in the years {EARLIEST_YEAR} to {LATEST_YEAR}")
        return day


class Weekdays(Check):
    """A list of distinct ISO weekdays (1 = Monday), sorted out."""

    schema: Schema = {"type": "array", "minItems": 1, "maxItems": 7, "uniqueItems": True,
                      "items": {"type": "integer", "minimum": 1, "maximum": 7}}

    def __call__(self, value: Any) -> list[int]:
        if not isinstance(value, list) or not 1 <= len(value) <= 7:
            raise RowError("expected a list of 1 to 7 weekdays (1 = Monday)")
        days = [OneOf(ISO_WEEKDAYS)(day) for day in value]
        if len(set(days)) != len(days):
            raise RowError("a weekday is listed twice")
        return sorted(days)


TARGET_FIELDS: Fields = {
    "kind": OneOf(TARGET_KINDS),
    "weekdays": Default(Optional(Weekdays()), None),
    "from_hour": Default(Optional(Whole(0, 23)), None),
    "to_hour": Default(Optional(Whole(1, 24)), None),
    "reason": Default(Optional(Text(64)), None),
}


class Target(Check):
    """The target's fields, and the ones its kind needs: ``hours`` its weekdays and ``from_hour <
    to_hour`` (local, the end excluded), ``reason`` its reason; a field another kind would need is null."""

    schema: Schema = Document(TARGET_FIELDS).schema

    def __call__(self, value: Any) -> dict[str, Any]:
        target = check_row(value, TARGET_FIELDS)
        kind = target["kind"]
        hours = (target["weekdays"], target["from_hour"], target["to_hour"])
        if kind == "hours":
            if None in hours:
                raise RowError("an hours target needs weekdays, from_hour and to_hour")
            if target["from_hour"] >= target["to_hour"]:
                raise RowError("from_hour must come before to_hour")
        elif any(field is not None for field in hours):
            raise RowError(f"a {kind} target has no weekdays or hours")
        if (kind == "reason") != (target["reason"] is not None):
            raise RowError("a reason target names one reason, and only it does")
        return target


ACTION_FIELDS: Fields = {
    "id": Uuid(),
    "kiosk_id": Default(Optional(Uuid()), None),
    "title": Text(TITLE_MAX),
    "note": Default(Optional(Text(COMMENT_MAX, multiline=True)), None),
    "started_on": Day(),
    "target": Target(),
    "supersedes": Default(Optional(Uuid()), None),
    "withdrawn": Default(Flag(), False),
    "recorded_at": Time(),
}


def chains(links: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """``(latest, first)`` row ids of each action the ``(id, supersedes)`` *links* make up: every chain
    of edits followed from the row no other supersedes back to where it started. Two edits of one
    row (made apart, offline) are two chains, so neither is lost."""
    supersedes = dict(links)
    replaced = {earlier for earlier in supersedes.values() if earlier}
    found = []
    for row_id in supersedes:
        if row_id in replaced:
            continue
        first, seen = row_id, {row_id}
        earlier = supersedes[first]
        while earlier is not None and earlier in supersedes and earlier not in seen:
            first = earlier
            seen.add(first)
            earlier = supersedes[first]
        found.append((row_id, first))
    return found
