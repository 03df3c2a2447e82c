"""The wire protocol between a kiosk's uploader and central's ingest.

A batch (``POST /api/v1/batches``, JSON, optionally gzip) is one object::

    {"batch_id": uuid, "kiosk_id": uuid, "software_version": str,
     "sent_at": time, "boot_id": str, "monotonic": float, "clock_trusted": bool,
     "boots": [{"boot_id", "trusted_wall", "trusted_monotonic"}],
     "questions": [{"id", "version", "texts": {lang: text}}],
     "reasons": [{"key", "group"}],
     "ratings": [RATING, ...], "followups": [FOLLOWUP, ...]}

Times are UTC ISO 8601 strings ending in ``Z``. At most :data:`MAX_ROWS`
ratings and follow-ups together. Both sides import this module, so the field
lists and checks below are the single definition of a valid row, and central's
OpenAPI document is generated from them (each check carries its JSON schema).

This module imports nothing but the standard library: it is the lowest part,
which the kiosk, the uploader and central may all use.
"""
import re
from datetime import datetime, timezone

#: The four faces, very unhappy (1) to very happy (4). No neutral.
RATINGS = (1, 2, 3, 4)
UNHAPPY_RATINGS = (1, 2)
HAPPY_RATINGS = (3, 4)
SOURCES = ("touch", "button")
#: Filter names: ``repeat`` and ``closed`` never count; ``unverified`` waits for a trusted clock.
REPEAT, CLOSED, UNVERIFIED = "repeat", "closed", "unverified"
FILTERS = (REPEAT, CLOSED, UNVERIFIED)
KIOSK_FILTERS = (None, *FILTERS)
COMMENT_MAX = 500
TECHNICAL, FUNCTIONAL = "technical", "functional"
#: Quality-model group -> dimension (Grönroos: technical = what, functional = how). Keys never change.
GROUPS = {
    "outcome": TECHNICAL,
    "attitude": FUNCTIONAL,
    "accessibility": FUNCTIONAL,
    "reliability": FUNCTIONAL,
    "communication": FUNCTIONAL,
    "environment": FUNCTIONAL,
    "trust": FUNCTIONAL,
    "recovery": FUNCTIONAL,
}
GROUP_KEYS = tuple(GROUPS)

MAX_ROWS = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_QUESTION_VERSION = 1_000_000
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# A kiosk's wall clock may be days off, but never centuries: anything outside
# these years is garbage, and would overflow time arithmetic downstream.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
# CLOCK_BOOTTIME in seconds: never negative, and 1e10 s is over 300 years of uptime.
MAX_MONOTONIC = 1e10
MAX_NUMBER = 1e12
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

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


class RowError(ValueError):
    """One row (or the envelope) is malformed; the message says which field."""


def text_problem(value, multiline=False):
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


def check_text(value, multiline=False):
    """Return *value* when it is a string that may cross the border; raise RowError."""
    if not isinstance(value, str):
        raise RowError("expected a string")
    problem = text_problem(value, multiline)
    if problem:
        raise RowError(problem)
    return value


def format_time(moment):
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


class Check:
    """One field's check: call it with a value to get the clean value or a
    RowError; ``schema`` is the same rule as JSON Schema, for OpenAPI."""

    schema = {}

    def __call__(self, value):
        raise NotImplementedError


class Time(Check):
    """An RFC 3339 time with an offset (``T``, ``Z``, at most microseconds), in the years
    2000-2100 as written; aware UTC out. The schema and the check share one pattern, so
    what the OpenAPI document calls a time is exactly what central takes."""

    schema = {"type": "string", "format": "date-time", "pattern": _TIME_PATTERN}

    def __call__(self, value):
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

    schema = {"type": "string", "format": "uuid"}

    def __call__(self, value):
        if not isinstance(value, str) or not _UUID.fullmatch(value):
            raise RowError(f"not a UUID: {str(value)[:40]!r}")
        # The pattern admits only the canonical form, so this is str(uuid.UUID(value)), at a tenth of the cost.
        return value.lower()


def _integral(value):
    """*value* as an int when JSON means a whole number by it: 3 and 3.0 are the same
    number in JSON (and in JSON Schema's "integer"); true and false are not numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Whole(Check):
    def __init__(self, minimum, maximum=2**63 - 1):
        self.minimum, self.maximum = minimum, maximum
        self.schema = {"type": "integer", "minimum": minimum, "maximum": maximum}

    def __call__(self, value):
        value = _integral(value)
        if isinstance(value, bool) or not isinstance(value, int) or not self.minimum <= value <= self.maximum:
            raise RowError(f"expected a whole number from {self.minimum} to {self.maximum}")
        return value


class Number(Check):
    def __init__(self, minimum=-MAX_NUMBER, maximum=MAX_NUMBER, what="a number"):
        self.minimum, self.maximum, self.what = minimum, maximum, what
        self.schema = {"type": "number", "minimum": minimum, "maximum": maximum}

    def __call__(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise RowError(f"expected {self.what}")
        if not self.minimum <= value <= self.maximum:
            raise RowError(f"expected {self.what} from {self.minimum:g} to {self.maximum:g}")
        return float(value)


class Flag(Check):
    schema = {"type": "boolean"}

    def __call__(self, value):
        if not isinstance(value, bool):
            raise RowError("expected true or false")
        return value


class Text(Check):
    """A string of 1 to *maximum* characters that may cross the border."""

    def __init__(self, maximum, multiline=False):
        self.maximum, self.multiline = maximum, multiline
        self._forbidden = _FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE
        self.schema = {"type": "string", "minLength": 1, "maxLength": maximum,
                       "pattern": _TEXT_PATTERN if multiline else _LINE_PATTERN}

    def __call__(self, value):
        if not isinstance(value, str) or not value or len(value) > self.maximum:
            raise RowError(f"expected a string of 1 to {self.maximum} characters")
        if self._forbidden.search(value) is not None:  # check_text's rule, its message only when refused
            raise RowError(text_problem(value, self.multiline))
        return value


#: A manager's PIN set on the kiosk (hymy set-pin): 4 to 8 digits. Its hash stays on the device.
PIN_LENGTHS = range(4, 9)
#: A site's PIN set by head office: 6 to 8 digits. Its hash goes to every kiosk of the site with
#: their config, so whoever holds a kiosk token can try PINs against it offline, as fast as their
#: hardware allows; 6 digits make that search take days of computing rather than minutes (README,
#: "Manager screen"). A site PIN set before, of 4 or 5 digits, keeps working until it is changed.
SITE_PIN_LENGTHS = range(6, 9)


def pin_problem(pin, lengths=PIN_LENGTHS):
    """Why *pin* cannot be a manager's PIN (of *lengths* digits; a site's: :data:`SITE_PIN_LENGTHS`), or None."""
    if not isinstance(pin, str) or not (pin.isascii() and pin.isdigit()) or len(pin) not in lengths:
        return f"the PIN must be {lengths.start} to {lengths.stop - 1} digits"
    return None


#: A password hash as werkzeug writes it (``method$salt$hex``): a site manager's PIN travels
#: from central to the site's kiosks only as this, never as the PIN.
_PASSWORD_HASH = r"^(scrypt|pbkdf2)(:[a-z0-9]+)*\$[A-Za-z0-9./+=_-]{1,64}\$[0-9a-f]{32,256}$"


class PasswordHash(Check):
    """A salted password hash (werkzeug's ``scrypt:...$salt$hex`` or ``pbkdf2:...``), never a secret itself."""

    schema = {"type": "string", "maxLength": 255, "pattern": _PASSWORD_HASH}
    _shape = re.compile(_PASSWORD_HASH)

    def __call__(self, value):
        if not isinstance(value, str) or len(value) > 255 or not self._shape.match(value):
            raise RowError("expected a password hash such as scrypt:32768:8:1$salt$hex")
        return value


class Comment(Check):
    """A customer's comment: at most COMMENT_MAX characters, newline and tab allowed; empty is None."""

    schema = {"type": ["string", "null"], "maxLength": COMMENT_MAX, "pattern": _TEXT_PATTERN}

    def __call__(self, value):
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > COMMENT_MAX:
            raise RowError(f"expected a string of at most {COMMENT_MAX} characters")
        return check_text(value, multiline=True) or None


class OneOf(Check):
    """Equal to one of *options* in type as well: JSON's true is not the rating 1 (but 4.0 is
    the number 4, in JSON as in JSON Schema, and comes out as the int 4)."""

    def __init__(self, options):
        self.options = tuple(options)
        # (type, value) pairs: one set lookup tells "equal and of the same type" apart.
        self._accepted = frozenset((type(option), option) for option in self.options)
        self.schema = {"enum": list(self.options)}
        kinds = {type(option) for option in self.options if option is not None}
        self.whole = kinds == {int}
        if kinds == {int}:
            self.schema["type"] = ["integer", "null"] if None in self.options else "integer"
        elif kinds == {str}:
            self.schema["type"] = ["string", "null"] if None in self.options else "string"

    def __call__(self, value):
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

    def __init__(self, check):
        self.check = check
        inner = dict(check.schema)
        kind = inner.get("type")
        inner["type"] = [kind, "null"] if isinstance(kind, str) else kind
        self.schema = inner

    def __call__(self, value):
        return None if value is None else self.check(value)


class Default(Check):
    """*check*, and the field may be left out: then it is *value*."""

    def __init__(self, check, value):
        self.check, self.default = check, value
        self.schema = check.schema

    def __call__(self, value):
        return self.check(value)


class Texts(Check):
    """Language code -> text (a question in each language)."""

    def __init__(self, maximum=200, languages=10, least=1):
        self.maximum, self.languages, self.least = maximum, languages, least
        self.schema = {
            "type": "object", "minProperties": least, "maxProperties": languages,
            "propertyNames": {"minLength": 2, "maxLength": 8, "pattern": "^[A-Za-z-]+$"},
            "additionalProperties": Text(maximum).schema,
        }

    def __call__(self, value):
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


parse_time = Time()
uuid_text = Uuid()
flag = Flag()
reading = Number(0, MAX_MONOTONIC, "seconds since boot")
number = Number()

RATING_FIELDS = {
    "id": uuid_text,
    "seq": Whole(1),
    "question_id": Text(64),
    "question_version": Whole(1, MAX_QUESTION_VERSION),
    "rating": OneOf(RATINGS),
    "source": OneOf(SOURCES),
    "recorded_at": parse_time,
    "clock_trusted": flag,
    "boot_id": Text(64),
    "monotonic": reading,
    "filtered": OneOf(KIOSK_FILTERS),
}

FOLLOWUP_FIELDS = {
    "id": uuid_text,
    "rating_id": uuid_text,
    "reason": Text(64),
    "reason_group": OneOf(GROUP_KEYS),
    "comment": Comment(),
    "recorded_at": parse_time,
    "clock_trusted": flag,
    "boot_id": Text(64),
    "monotonic": reading,
}

BOOT_FIELDS = {"boot_id": Text(64), "trusted_wall": parse_time, "trusted_monotonic": reading}
QUESTION_FIELDS = {"id": Text(64), "version": Whole(1, MAX_QUESTION_VERSION), "texts": Texts()}
REASON_FIELDS = {"key": Text(64), "group": OneOf(GROUP_KEYS)}

ENVELOPE_FIELDS = {
    "batch_id": uuid_text,
    "kiosk_id": uuid_text,
    "software_version": Text(40),
    "sent_at": parse_time,
    "boot_id": Text(64),
    "monotonic": reading,
    "clock_trusted": flag,
}
#: The envelope's lists: name -> (row fields, most entries).
ENVELOPE_LISTS = {
    "boots": (BOOT_FIELDS, MAX_ROWS),
    "questions": (QUESTION_FIELDS, 100),
    "reasons": (REASON_FIELDS, 100),
    "ratings": (RATING_FIELDS, MAX_ROWS),
    "followups": (FOLLOWUP_FIELDS, MAX_ROWS),
}

#: ``POST /api/v1/enroll``: the kiosk's own UUID, bound to the token's kiosk.
ENROL_FIELDS = {"kiosk_id": uuid_text, "software_version": Text(40)}

#: ``POST /api/v1/heartbeat``: the kiosk's state after every uploader pass.
HEARTBEAT_FIELDS = {
    "kiosk_id": uuid_text,
    "software_version": Text(40),
    "pending": Whole(0, 2**31 - 1),
    "oldest_pending_seconds": Optional(Number()),  # negative after a clock step back
    "quarantined": Whole(0, 2**31 - 1),
    "boot_id": Text(64),
    "wall": parse_time,
    "monotonic": reading,
    "clock_trusted": flag,
    "free_disk_bytes": Optional(Whole(0)),
    "gap_error": Optional(Text(500)),
}


def object_schema(fields, title=None, closed=True):
    """The JSON Schema of a document made of *fields* (every field required;
    no others when *closed*)."""
    required = [name for name, check in fields.items() if not isinstance(check, Default)]
    schema = {"type": "object", "required": required, "additionalProperties": not closed,
              "properties": {name: dict(check.schema) for name, check in fields.items()}}
    if title:
        schema["title"] = title
    return schema


class ListOf(Check):
    """A list of at most *most* entries, each an object of *fields* (unknown fields dropped)."""

    def __init__(self, fields, most, least=0):
        self.fields, self.most, self.least = fields, most, least
        self.schema = {"type": "array", "minItems": least, "maxItems": most,
                       "items": object_schema(fields, closed=False)}

    def __call__(self, value):
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

    def __init__(self, fields, nullable=False):
        self.fields, self.nullable = fields, nullable
        schema = object_schema(fields, closed=False)
        self.schema = {"oneOf": [{"type": "null"}, schema]} if nullable else schema

    def __call__(self, value):
        if value is None and self.nullable:
            return None
        return check_row(value, self.fields, ignore_unknown=True)


_SPAN = r"^([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$"


class WeeklyHours(Check):
    """Opening hours: weekday -> list of "HH:MM-HH:MM" spans ({} is always open).

    The spans' meaning (past midnight, empty spans) is checked where they are
    used, by :class:`sync.wire.hours.OpeningHours`; this is their shape.
    """

    schema = {"type": "object", "propertyNames": {"enum": list(WEEKDAYS)},
              "additionalProperties": {"type": "array", "maxItems": 24,
                                       "items": {"type": "string", "pattern": _SPAN}}}

    def __call__(self, value):
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
    def __init__(self):
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


def check_row(row, fields, ignore_unknown=False):
    """Return *row* with each field checked and converted; raise RowError.

    With *ignore_unknown*, fields the protocol does not name are dropped
    instead of refused: documents central sends a kiosk may grow, and an older
    kiosk must keep taking them.
    """
    if not isinstance(row, dict):
        raise RowError("expected an object")
    if not ignore_unknown and not row.keys() <= fields.keys():
        raise RowError(f"unknown field {sorted(set(row) - set(fields))[0]!r}")
    clean = {}
    for name, check in fields.items():
        if name not in row:
            if isinstance(check, Default):
                clean[name] = check.default
                continue
            raise RowError(f"{name}: missing")
        try:
            clean[name] = check(row[name])
        except RowError as error:
            raise RowError(f"{name}: {error}") from None
    return clean


def check_envelope(batch):
    """Check the batch's own fields and list shapes (not the rows); raise RowError."""
    if not isinstance(batch, dict):
        raise RowError("the batch must be a JSON object")
    unknown = set(batch) - set(ENVELOPE_FIELDS) - set(ENVELOPE_LISTS)
    if unknown:
        raise RowError(f"unknown field {sorted(unknown)[0]!r}")
    clean = check_row({k: batch[k] for k in ENVELOPE_FIELDS if k in batch}, ENVELOPE_FIELDS)
    for name, (_, most) in ENVELOPE_LISTS.items():
        value = batch.get(name, [])
        if not isinstance(value, list):
            raise RowError(f"{name}: expected a list")
        if len(value) > most:
            raise RowError(f"{name}: at most {most} entries")
        clean[name] = value
    if len(clean["ratings"]) + len(clean["followups"]) > MAX_ROWS:
        raise RowError(f"a batch holds at most {MAX_ROWS} ratings and follow-ups")
    return clean
