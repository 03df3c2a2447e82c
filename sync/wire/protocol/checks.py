"""The field checks every document is made of, and the text rule for anything that crosses the border.

Each check converts a value or raises :class:`RowError`, and carries its JSON Schema, from
which central's OpenAPI document is generated."""
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from sync.wire.protocol.vocabulary import (
    COMMENT_MAX,
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_MONOTONIC,
    MAX_NUMBER,
    TIME_FORMAT,
)

# Text that may cross the border: Unicode scalar values (no lone surrogates),
# no NUL or other control characters (a comment may hold newline and tab), and
# no bidirectional overrides or isolates, which can make a comment or a name
# display as something else than it is. The plain marks U+200E/U+200F are fine.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_IN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CONTROLS}\ud800-\udfff]")
_FORBIDDEN_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_CONTROLS}\ud800-\udfff]")
# The same rule for JSON Schema (ECMA 262 syntax; JSON cannot carry lone surrogates as text).
_LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$"
_TEXT_PATTERN = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$"
# RFC 3339 (JSON Schema's date-time) narrowed to what central takes: an upper-case T and Z,
# at most six decimals (datetime's microseconds), no leap second, years 2000-2100 as written.
# The check matches the shape with any year, so a year out of range gets its own message.
_AFTER_YEAR = (r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
               r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
_TIME_PATTERN = r"^(20[0-9]{2}|2100)" + _AFTER_YEAR
_TIME_SHAPE = re.compile(r"^[0-9]{4}" + _AFTER_YEAR)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


#: A JSON Schema, as OpenAPI carries it.
Schema = dict[str, Any]
#: A document's fields: name -> the check of its value.
Fields = Mapping[str, "Check"]
#: A document as JSON gives it (or as its checks return it).
Row = dict[str, Any]


class RowError(ValueError):
    """One row (or the envelope) is malformed; the message says which field, and :attr:`path` names
    it (the outermost field first, empty when the row as a whole is wrong) for a form to say it in
    its own words."""

    def __init__(self, message: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


def text_problem(value: str, multiline: bool = False) -> str | None:
    """Why *value* may not cross the border, or None when it may."""
    found = (_FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    code = f"U+{ord(char):04X}"
    if char == "\x00":
        return "contains a NUL character"
    if "\ud800" <= char <= "\udfff":
        return f"contains a lone surrogate ({code}), which is not valid Unicode"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"contains a bidirectional override ({code})"
    return f"contains a control character ({code})"


def check_text(value: object, multiline: bool = False) -> str:
    """Return *value* when it is a string that may cross the border; raise RowError."""
    if not isinstance(value, str):
        raise RowError("expected a string")
    problem = text_problem(value, multiline)
    if problem:
        raise RowError(problem)
    return value


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


class Check:
    """One field's check: call it with a value to get the clean value or a
    RowError; ``schema`` is the same rule as JSON Schema, for OpenAPI."""

    schema: Schema = {}

    def __call__(self, value: Any) -> Any:
        raise NotImplementedError


class Time(Check):
    """An RFC 3339 time with an offset (``T``, ``Z``, at most microseconds), in the years
    2000-2100 as written; aware UTC out. The schema and the check share one pattern, so
    what the OpenAPI document calls a time is exactly what central takes."""

    schema: Schema = {"type": "string", "format": "date-time", "pattern": _TIME_PATTERN}

    def __call__(self, value: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 40 or not _TIME_SHAPE.fullmatch(value):
            raise RowError(f"expected an RFC 3339 time such as 2026-01-05T12:00:00Z: {str(value)[:40]!r}")
        try:
            moment = datetime.fromisoformat(value)  # reads "Z" as UTC (Python 3.11+)
        except ValueError:
            raise RowError(f"not an ISO 8601 time: {value[:40]!r}") from None
        if moment.tzinfo is None:
            raise RowError("time has no UTC offset")
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise RowError(f"time out of range (years {EARLIEST_YEAR} to {LATEST_YEAR}): {value[:40]!r}")
        return moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)


class Uuid(Check):
    """A UUID in its canonical 8-4-4-4-12 form; lower case out."""

    schema: Schema = {"type": "string", "format": "uuid"}

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str) or not _UUID.fullmatch(value):
            raise RowError(f"not a UUID: {str(value)[:40]!r}")
        # The pattern admits only the canonical form, so this is str(uuid.UUID(value)), at a tenth of the cost.
        return value.lower()


def _integral(value: Any) -> Any:
    """*value* as an int when JSON means a whole number by it: 3 and 3.0 are the same
    number in JSON (and in JSON Schema's "integer"); true and false are not numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Whole(Check):
    def __init__(self, minimum: int, maximum: int = 2**63 - 1) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.schema = {"type": "integer", "minimum": minimum, "maximum": maximum}

    def __call__(self, value: Any) -> int:
        value = _integral(value)
        if isinstance(value, bool) or not isinstance(value, int) or not self.minimum <= value <= self.maximum:
            raise RowError(f"expected a whole number from {self.minimum} to {self.maximum}")
        return value


class Number(Check):
    def __init__(self, minimum: float = -MAX_NUMBER, maximum: float = MAX_NUMBER, what: str = "a number") -> None:
        self.minimum, self.maximum, self.what = minimum, maximum, what
        self.schema = {"type": "number", "minimum": minimum, "maximum": maximum}

    def __call__(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise RowError(f"expected {self.what}")
        if not self.minimum <= value <= self.maximum:
            raise RowError(f"expected {self.what} from {self.minimum:g} to {self.maximum:g}")
        return float(value)


class Flag(Check):
    schema: Schema = {"type": "boolean"}

    def __call__(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise RowError("expected true or false")
        return value


class Text(Check):
    """A string of 1 to *maximum* characters that may cross the border."""

    def __init__(self, maximum: int, multiline: bool = False) -> None:
        self.maximum, self.multiline = maximum, multiline
        self._forbidden = _FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE
        self.schema = {"type": "string", "minLength": 1, "maxLength": maximum,
                       "pattern": _TEXT_PATTERN if multiline else _LINE_PATTERN}

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str) or not value or len(value) > self.maximum:
            raise RowError(f"expected a string of 1 to {self.maximum} characters")
        if self._forbidden.search(value) is not None:  # check_text's rule, its message only when refused
            raise RowError(text_problem(value, self.multiline) or "contains a character that may not cross the border")
        return value


class Comment(Check):
    """A customer's comment: at most COMMENT_MAX characters, newline and tab allowed; empty is None."""

    schema: Schema = {"type": ["string", "null"], "maxLength": COMMENT_MAX, "pattern": _TEXT_PATTERN}

    def __call__(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > COMMENT_MAX:
            raise RowError(f"expected a string of at most {COMMENT_MAX} characters")
        return check_text(value, multiline=True) or None


class OneOf(Check):
    """Equal to one of *options* in type as well: JSON's true is not the rating 1 (but 4.0 is
    the number 4, in JSON as in JSON Schema, and comes out as the int 4)."""

    def __init__(self, options: Iterable[Any]) -> None:
        self.options = tuple(options)
        # (type, value) pairs: one set lookup tells "equal and of the same type" apart.
        self._accepted = frozenset((type(option), option) for option in self.options)
        self.schema: Schema = {"enum": list(self.options)}
        kinds = {type(option) for option in self.options if option is not None}
        self.whole = kinds == {int}
        if kinds == {int}:
            self.schema["type"] = ["integer", "null"] if None in self.options else "integer"
        elif kinds == {str}:
            self.schema["type"] = ["string", "null"] if None in self.options else "string"

    def __call__(self, value: Any) -> Any:
        if self.whole:
            value = _integral(value)
        try:
            if (type(value), value) in self._accepted:
                return value
        except TypeError:  # unhashable (a list, an object): not one of the options
            pass
        raise RowError(f"expected one of {', '.join(str(o) for o in self.options)}")


class Optional(Check):
    """*check*, or null."""

    def __init__(self, check: Check) -> None:
        self.check = check
        inner = dict(check.schema)
        kind = inner.get("type")
        inner["type"] = [kind, "null"] if isinstance(kind, str) else kind
        self.schema = inner

    def __call__(self, value: Any) -> Any:
        return None if value is None else self.check(value)


class Default(Check):
    """*check*, and the field may be left out: then it is *value*."""

    def __init__(self, check: Check, value: Any) -> None:
        self.check, self.default = check, value
        self.schema = check.schema

    def __call__(self, value: Any) -> Any:
        return self.check(value)


class Texts(Check):
    """Language code -> text (a question in each language)."""

    def __init__(self, maximum: int = 200, languages: int = 10, least: int = 1) -> None:
        self.maximum, self.languages, self.least = maximum, languages, least
        self.schema = {
            "type": "object", "minProperties": least, "maxProperties": languages,
            "propertyNames": {"minLength": 2, "maxLength": 8, "pattern": "^[A-Za-z-]+$"},
            "additionalProperties": Text(maximum).schema,
        }

    def __call__(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict) or not self.least <= len(value) <= self.languages:
            raise RowError(f"expected an object of {self.least} to {self.languages} language -> text")
        for language, text in value.items():
            if not isinstance(language, str) or not re.fullmatch(r"[A-Za-z-]{2,8}", language):
                raise RowError("a language code is malformed")
            try:
                Text(self.maximum)(text)
            except RowError as error:
                raise RowError(f"{language}: {error}") from None
        return value


def object_schema(fields: Fields, title: str | None = None, closed: bool = True) -> Schema:
    """The JSON Schema of a document made of *fields* (every field required;
    no others when *closed*)."""
    required = [name for name, check in fields.items() if not isinstance(check, Default)]
    schema: Schema = {"type": "object", "required": required, "additionalProperties": not closed,
              "properties": {name: dict(check.schema) for name, check in fields.items()}}
    if title:
        schema["title"] = title
    return schema


class ListOf(Check):
    """A list of at most *most* entries, each an object of *fields* (unknown fields dropped)."""

    def __init__(self, fields: Fields, most: int, least: int = 0) -> None:
        self.fields, self.most, self.least = fields, most, least
        self.schema = {"type": "array", "minItems": least, "maxItems": most,
                       "items": object_schema(fields, closed=False)}

    def __call__(self, value: Any) -> list[Row]:
        if not isinstance(value, list) or not self.least <= len(value) <= self.most:
            raise RowError(f"expected a list of {self.least} to {self.most} entries")
        clean = []
        for n, entry in enumerate(value):
            try:
                clean.append(check_row(entry, self.fields, ignore_unknown=True))
            except RowError as error:
                raise RowError(f"[{n}]: {error}") from None
        return clean


class Document(Check):
    """An object of *fields* (unknown fields dropped), or null when *nullable*."""

    def __init__(self, fields: Fields, nullable: bool = False) -> None:
        self.fields, self.nullable = fields, nullable
        schema = object_schema(fields, closed=False)
        self.schema = {"oneOf": [{"type": "null"}, schema]} if nullable else schema

    def __call__(self, value: Any) -> Row | None:
        if value is None and self.nullable:
            return None
        return check_row(value, self.fields, ignore_unknown=True)


def check_row(row: Any, fields: Fields, ignore_unknown: bool = False) -> Row:
    """Return *row* with each field checked and converted; raise RowError.

    With *ignore_unknown*, fields the protocol does not name are dropped
    instead of refused: documents central sends a kiosk may grow, and an older
    kiosk must keep taking them.
    """
    if not isinstance(row, dict):
        raise RowError("expected an object")
    if not ignore_unknown and not row.keys() <= fields.keys():
        unknown = sorted(set(row) - set(fields))[0]
        raise RowError(f"unknown field {unknown!r}", (unknown,))
    clean: Row = {}
    for name, check in fields.items():
        if name not in row:
            if isinstance(check, Default):
                clean[name] = check.default
                continue
            raise RowError(f"{name}: missing", (name,))
        try:
            clean[name] = check(row[name])
        except RowError as error:
            raise RowError(f"{name}: {error}", (name, *error.path)) from None
    return clean


parse_time = Time()
uuid_text = Uuid()
flag = Flag()
reading = Number(0, MAX_MONOTONIC, "seconds since boot")
number = Number()
