"""``GET /api/v1/config``: the content central owns for one kiosk (question, reasons, hours,
target, the site's PIN hash). A kiosk drops fields it does not know, so central may add some
without breaking older kiosks."""
import re
from typing import Any

from sync.wire.protocol.checks import (
    Check,
    Default,
    Document,
    ListOf,
    Number,
    OneOf,
    Optional,
    RowError,
    Schema,
    Text,
    Texts,
    Whole,
)
from sync.wire.protocol.pins import PasswordHash
from sync.wire.protocol.vocabulary import GROUP_KEYS, MAX_QUESTION_VERSION, WEEKDAYS

_SPAN = r"^([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$"


class WeeklyHours(Check):
    """Opening hours: weekday -> list of "HH:MM-HH:MM" spans ({} is always open).

    The spans' meaning (past midnight, empty spans) is checked where they are
    used, by :class:`sync.wire.hours.OpeningHours`; this is their shape.
    """

    schema: Schema = {"type": "object", "propertyNames": {"enum": list(WEEKDAYS)},
              "additionalProperties": {"type": "array", "maxItems": 24,
                                       "items": {"type": "string", "pattern": _SPAN}}}

    def __call__(self, value: Any) -> dict[str, list[str]]:
        if not isinstance(value, dict):
            raise RowError("expected weekday -> [\"HH:MM-HH:MM\", ...]")
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise RowError(f"unknown weekday {str(day)[:10]!r}")
            if not isinstance(spans, list) or len(spans) > 24 or not all(
                    isinstance(span, str) and re.fullmatch(_SPAN, span) for span in spans):
                raise RowError(f"{day}: expected a list of \"HH:MM-HH:MM\"")
        return value


class Percent(Number):
    def __init__(self) -> None:
        super().__init__(0, 100, "a percentage")


CONFIG_QUESTION_FIELDS = {"id": Text(64), "version": Whole(1, MAX_QUESTION_VERSION), "texts": Texts()}
CONFIG_REASON_FIELDS = {
    "key": Text(64), "group": OneOf(GROUP_KEYS), "labels": Default(Texts(languages=20, least=0), {}),
}
#: ``GET /api/v1/config``: the content central owns for one kiosk. A kiosk
#: drops fields it does not know, so central may add some without breaking older kiosks.
CONFIG_FIELDS = {
    "kiosk": Default(Optional(Text(120)), None),
    "site": Default(Optional(Text(120)), None),
    "service": Default(Optional(Text(120)), None),
    "provider": Default(Optional(Text(120)), None),
    "timezone": Text(64),
    "opening_hours": Default(WeeklyHours(), {}),
    "question": Document(CONFIG_QUESTION_FIELDS, nullable=True),
    "reasons": ListOf(CONFIG_REASON_FIELDS, 100),
    "target": Default(Optional(Percent()), None),
    # Fewer counted ratings than this show "too few" instead of a percentage.
    "min_responses": Default(Optional(Whole(1, 1000)), None),
    # The site manager's PIN as head office set it (a hash); it wins over a PIN set on the kiosk.
    "manager_pin_hash": Default(Optional(PasswordHash()), None),
}
