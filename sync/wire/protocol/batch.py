"""``POST /api/v1/batches``: a batch of ratings and follow-ups, its envelope and its rows."""

from typing import Any

from sync.wire.protocol.checks import (
    Comment,
    OneOf,
    Row,
    RowError,
    Text,
    Texts,
    Whole,
    check_row,
    flag,
    parse_time,
    reading,
    uuid_text,
)
from sync.wire.protocol.vocabulary import GROUP_KEYS, KIOSK_FILTERS, MAX_QUESTION_VERSION, MAX_ROWS, RATINGS, SOURCES

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

def check_envelope(batch: Any) -> Row:
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
