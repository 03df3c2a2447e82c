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
lists and checks below are the single definition of a valid row.
"""
import uuid
from datetime import datetime, timezone

from kiosk.content import GROUPS, RATINGS
from kiosk.recorder import COMMENT_MAX as MAX_COMMENT
from kiosk.recorder import SOURCES

MAX_ROWS = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
KIOSK_FILTERS = (None, "repeat", "closed", "unverified")
# A kiosk's wall clock may be days off, but never centuries: anything outside
# these years is garbage, and would overflow time arithmetic downstream.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
# CLOCK_BOOTTIME in seconds: never negative, and 1e10 s is over 300 years of uptime.
MAX_MONOTONIC = 1e10
GROUP_KEYS = tuple(GROUPS)


class RowError(ValueError):
    """One row (or the envelope) is malformed; the message says which field."""


def format_time(moment):
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def parse_time(value):
    """Parse a wire time; accept any ISO 8601 form with an offset, return aware UTC."""
    if not isinstance(value, str) or len(value) > 40:
        raise RowError("expected an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"not an ISO 8601 time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise RowError("time has no UTC offset")
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        raise RowError(f"time out of range: {value[:40]!r}") from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise RowError(f"time out of range: {value[:40]!r}")
    return moment


def uuid_text(value):
    if not isinstance(value, str):
        raise RowError("expected a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise RowError(f"not a UUID: {value[:40]!r}") from None


def whole(minimum, maximum=2**63 - 1):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise RowError(f"expected a whole number from {minimum} to {maximum}")
        return value

    return check


def number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > 1e12:
        raise RowError("expected a number")
    return float(value)


def reading(value):
    """A CLOCK_BOOTTIME reading in seconds."""
    value = number(value)
    if not 0 <= value <= MAX_MONOTONIC:
        raise RowError(f"expected seconds since boot from 0 to {MAX_MONOTONIC:g}")
    return value


def flag(value):
    if not isinstance(value, bool):
        raise RowError("expected true or false")
    return value


def text(maximum):
    def check(value):
        if not isinstance(value, str) or not value or len(value) > maximum:
            raise RowError(f"expected a string of 1 to {maximum} characters")
        return value

    return check


def one_of(options):
    def check(value):
        # Same type as well as equal: JSON's true and 4.0 are not the ratings 1 and 4.
        if not any(value == option and type(value) is type(option) for option in options):
            raise RowError(f"expected one of {', '.join(str(o) for o in options)}")
        return value

    return check


def comment_text(value):
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_COMMENT:
        raise RowError(f"expected a string of at most {MAX_COMMENT} characters")
    return value or None


RATING_FIELDS = {
    "id": uuid_text,
    "seq": whole(1),
    "question_id": text(64),
    "question_version": whole(1, 1_000_000),
    "rating": one_of(RATINGS),
    "source": one_of(SOURCES),
    "recorded_at": parse_time,
    "clock_trusted": flag,
    "boot_id": text(64),
    "monotonic": reading,
    "filtered": one_of(KIOSK_FILTERS),
}

FOLLOWUP_FIELDS = {
    "id": uuid_text,
    "rating_id": uuid_text,
    "reason": text(64),
    "reason_group": one_of(GROUP_KEYS),
    "comment": comment_text,
    "recorded_at": parse_time,
    "clock_trusted": flag,
    "boot_id": text(64),
    "monotonic": reading,
}

BOOT_FIELDS = {"boot_id": text(64), "trusted_wall": parse_time, "trusted_monotonic": reading}
QUESTION_FIELDS = {"id": text(64), "version": whole(1, 1_000_000), "texts": None}
REASON_FIELDS = {"key": text(64), "group": one_of(GROUP_KEYS)}


def check_row(row, fields):
    """Return *row* with each field checked and converted; raise RowError."""
    if not isinstance(row, dict):
        raise RowError("expected an object")
    unknown = set(row) - set(fields)
    if unknown:
        raise RowError(f"unknown field {sorted(unknown)[0]!r}")
    clean = {}
    for name, check in fields.items():
        if name not in row:
            raise RowError(f"{name}: missing")
        try:
            clean[name] = check(row[name]) if check else row[name]
        except RowError as error:
            raise RowError(f"{name}: {error}") from None
    return clean


def check_texts(texts):
    if not isinstance(texts, dict) or not texts or len(texts) > 10:
        raise RowError("texts: expected an object of language -> text")
    for language, text in texts.items():
        if not isinstance(language, str) or not 2 <= len(language) <= 8:
            raise RowError("texts: a language code is malformed")
        if not isinstance(text, str) or not 0 < len(text) <= 200:
            raise RowError(f"texts.{language}: expected 1 to 200 characters")
    return texts


ENVELOPE_FIELDS = {
    "batch_id": uuid_text,
    "kiosk_id": uuid_text,
    "software_version": text(40),
    "sent_at": parse_time,
    "boot_id": text(64),
    "monotonic": reading,
    "clock_trusted": flag,
}
ENVELOPE_LISTS = ("boots", "questions", "reasons", "ratings", "followups")


def check_envelope(batch):
    """Check the batch's own fields and list shapes (not the rows); raise RowError."""
    if not isinstance(batch, dict):
        raise RowError("the batch must be a JSON object")
    unknown = set(batch) - set(ENVELOPE_FIELDS) - set(ENVELOPE_LISTS)
    if unknown:
        raise RowError(f"unknown field {sorted(unknown)[0]!r}")
    clean = check_row({k: batch.get(k) for k in ENVELOPE_FIELDS if k in batch}, ENVELOPE_FIELDS)
    for name in ENVELOPE_LISTS:
        value = batch.get(name, [])
        if not isinstance(value, list):
            raise RowError(f"{name}: expected a list")
        clean[name] = value
    if len(clean["ratings"]) + len(clean["followups"]) > MAX_ROWS:
        raise RowError(f"a batch holds at most {MAX_ROWS} ratings and follow-ups")
    if len(clean["boots"]) > MAX_ROWS or len(clean["questions"]) > 100 or len(clean["reasons"]) > 100:
        raise RowError("too many boots, questions or reasons")
    return clean
