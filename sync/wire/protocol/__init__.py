"""The wire protocol between a kiosk's uploader and central's ingest.

A batch (``POST /api/v1/batches``, JSON, optionally gzip) is one object::

    {"batch_id": uuid, "kiosk_id": uuid, "software_version": str,
     "sent_at": time, "boot_id": str, "monotonic": float, "clock_trusted": bool,
     "boots": [{"boot_id", "trusted_wall", "trusted_monotonic"}],
     "questions": [{"id", "version", "texts": {lang: text}}],
     "reasons": [{"key", "group"}],
     "ratings": [RATING, ...], "followups": [FOLLOWUP, ...]}

Times are UTC ISO 8601 strings ending in ``Z``. At most :data:`MAX_ROWS`
ratings and follow-ups together. Both sides import this package, so the field
lists and checks below are the single definition of a valid row, and central's
OpenAPI document is generated from them (each check carries its JSON schema).

This module imports nothing but the standard library: it is the lowest part,
which the kiosk, the uploader and central may all use.

The package is split by document; each module owns one, and this module lists
the public names of all of them, so ``from sync.wire.protocol import X`` works
for any of them:

- :mod:`~sync.wire.protocol.vocabulary`: faces, sources, filters, groups, limits, the time format;
- :mod:`~sync.wire.protocol.checks`: the field checks and the text rule;
- :mod:`~sync.wire.protocol.pins`: PIN lengths and the password hash a site PIN travels as;
- :mod:`~sync.wire.protocol.batch`: ``POST /api/v1/batches``;
- :mod:`~sync.wire.protocol.enrollment`: ``POST /api/v1/enroll``;
- :mod:`~sync.wire.protocol.heartbeat`: ``POST /api/v1/heartbeat``;
- :mod:`~sync.wire.protocol.content`: ``GET /api/v1/config``;
- :mod:`~sync.wire.protocol.network`: ``GET /api/v1/network``;
- :mod:`~sync.wire.protocol.actions`: ``POST /api/v1/actions``.
"""
from sync.wire.protocol.actions import (
    ACTION_FIELDS,
    ISO_WEEKDAYS,
    TARGET_FIELDS,
    TARGET_KINDS,
    TITLE_MAX,
    Day,
    chains,
)
from sync.wire.protocol.batch import (
    BOOT_FIELDS,
    ENVELOPE_FIELDS,
    ENVELOPE_LISTS,
    FOLLOWUP_FIELDS,
    QUESTION_FIELDS,
    RATING_FIELDS,
    REASON_FIELDS,
    check_envelope,
)
from sync.wire.protocol.checks import (
    Check,
    Comment,
    Default,
    Document,
    Flag,
    ListOf,
    Number,
    OneOf,
    Optional,
    RowError,
    Text,
    Texts,
    Time,
    Uuid,
    Whole,
    check_row,
    check_text,
    flag,
    format_time,
    number,
    object_schema,
    parse_time,
    reading,
    text_problem,
    uuid_text,
)
from sync.wire.protocol.content import (
    CONFIG_FIELDS,
    CONFIG_QUESTION_FIELDS,
    CONFIG_REASON_FIELDS,
    Percent,
    WeeklyHours,
)
from sync.wire.protocol.enrollment import (
    ENROLL_FIELDS,
)
from sync.wire.protocol.heartbeat import (
    HEARTBEAT_FIELDS,
)
from sync.wire.protocol.network import (
    FIGURE_FIELDS,
    NETWORK_FIELDS,
    NETWORK_PERIOD_FIELDS,
    NETWORK_PERIODS,
    RANKED_SITE_FIELDS,
)
from sync.wire.protocol.pins import (
    PIN_LENGTHS,
    SITE_PIN_LENGTHS,
    PasswordHash,
    pin_problem,
)
from sync.wire.protocol.vocabulary import (
    CLOSED,
    COMMENT_MAX,
    EARLIEST_YEAR,
    FILTERS,
    FUNCTIONAL,
    GROUP_KEYS,
    GROUPS,
    HAPPY_RATINGS,
    KIOSK_FILTERS,
    LATEST_YEAR,
    MAX_BODY_BYTES,
    MAX_MONOTONIC,
    MAX_NUMBER,
    MAX_QUESTION_VERSION,
    MAX_ROWS,
    RATINGS,
    REPEAT,
    SOURCES,
    TECHNICAL,
    TIME_FORMAT,
    UNHAPPY_RATINGS,
    UNVERIFIED,
    WEEKDAYS,
)

__all__ = [
    "ACTION_FIELDS",
    "Day",
    "chains",
    "ISO_WEEKDAYS",
    "TARGET_FIELDS",
    "TARGET_KINDS",
    "TITLE_MAX",
    "BOOT_FIELDS",
    "ENVELOPE_FIELDS",
    "ENVELOPE_LISTS",
    "FOLLOWUP_FIELDS",
    "QUESTION_FIELDS",
    "RATING_FIELDS",
    "REASON_FIELDS",
    "check_envelope",
    "Check",
    "Comment",
    "Default",
    "Document",
    "Flag",
    "ListOf",
    "Number",
    "OneOf",
    "Optional",
    "RowError",
    "Text",
    "Texts",
    "Time",
    "Uuid",
    "Whole",
    "check_row",
    "check_text",
    "flag",
    "format_time",
    "number",
    "object_schema",
    "parse_time",
    "reading",
    "text_problem",
    "uuid_text",
    "CONFIG_FIELDS",
    "CONFIG_QUESTION_FIELDS",
    "CONFIG_REASON_FIELDS",
    "Percent",
    "WeeklyHours",
    "ENROLL_FIELDS",
    "FIGURE_FIELDS",
    "NETWORK_FIELDS",
    "NETWORK_PERIOD_FIELDS",
    "NETWORK_PERIODS",
    "RANKED_SITE_FIELDS",
    "HEARTBEAT_FIELDS",
    "PIN_LENGTHS",
    "SITE_PIN_LENGTHS",
    "PasswordHash",
    "pin_problem",
    "CLOSED",
    "COMMENT_MAX",
    "EARLIEST_YEAR",
    "FILTERS",
    "FUNCTIONAL",
    "GROUP_KEYS",
    "GROUPS",
    "HAPPY_RATINGS",
    "KIOSK_FILTERS",
    "LATEST_YEAR",
    "MAX_BODY_BYTES",
    "MAX_MONOTONIC",
    "MAX_NUMBER",
    "MAX_QUESTION_VERSION",
    "MAX_ROWS",
    "RATINGS",
    "REPEAT",
    "SOURCES",
    "TECHNICAL",
    "TIME_FORMAT",
    "UNHAPPY_RATINGS",
    "UNVERIFIED",
    "WEEKDAYS",
]
