"""``POST /api/v1/heartbeat``: the kiosk's state after every uploader pass."""

from sync.wire.protocol.checks import Number, Optional, Text, Whole, flag, parse_time, reading, uuid_text

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
