"""Batch documents for the central tests.

Well-formed batches come from a real kiosk (its recorder, then
``kiosk.storage.outbox.build_batch``); the hand-made rows here are for what a kiosk
would never send (malformed rows, chosen clocks, thousands of rows).
"""

import uuid
from datetime import datetime, timedelta, timezone

from kiosk.storage.db import connection
from kiosk.storage.outbox import build_batch
from sync.wire.protocol import format_time

BOOT = "boot-a"
QUESTION = ("service", 1)  # central seeds this version


def enrolled_device_id(name):
    """A stable device UUID per kiosk name, so tests read the same twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hymy-test-kiosk/{name}"))


def rating_row(seq, *, recorded_at=None, monotonic=None, **fields):
    recorded_at = recorded_at or datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc) + timedelta(seconds=seq)
    row = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "question_id": QUESTION[0],
        "question_version": QUESTION[1],
        "rating": 4,
        "source": "button",
        "recorded_at": format_time(recorded_at),
        "clock_trusted": True,
        "boot_id": BOOT,
        "monotonic": float(monotonic if monotonic is not None else 1000 + seq),
        "filtered": None,
    }
    row.update(fields)
    return row


def followup_row(rating, *, reason="staff", reason_group="attitude", comment=None, **fields):
    row = {
        "id": str(uuid.uuid4()),
        "rating_id": rating["id"],
        "reason": reason,
        "reason_group": reason_group,
        "comment": comment,
        "recorded_at": rating["recorded_at"],
        "clock_trusted": rating["clock_trusted"],
        "boot_id": rating["boot_id"],
        "monotonic": rating["monotonic"] + 5,
    }
    row.update(fields)
    return row


def batch(
    device_id,
    ratings=(),
    followups=(),
    *,
    sent_at=None,
    monotonic=None,
    boot_id=BOOT,
    clock_trusted=True,
    boots=(),
    questions=(),
    reasons=(),
):
    """One batch envelope around *ratings* and *followups*."""
    sent_at = sent_at or datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    if monotonic is None:
        monotonic = (
            max(
                [r["monotonic"] for r in ratings if isinstance(r, dict) and isinstance(r.get("monotonic"), float)]
                + [1000.0]
            )
            + 60
        )
    return {
        "batch_id": str(uuid.uuid4()),
        "kiosk_id": device_id,
        "software_version": "1.0.0-test",
        "sent_at": format_time(sent_at),
        "boot_id": boot_id,
        "monotonic": float(monotonic),
        "clock_trusted": clock_trusted,
        "boots": list(boots),
        "questions": list(questions),
        "reasons": list(reasons),
        "ratings": list(ratings),
        "followups": list(followups),
    }


def kiosk_batch(kiosk, limit=1000):
    """The kiosk's pending rows as the uploader would send them now (*kiosk*: app.extensions["hymy"])."""
    with connection():
        pending = build_batch(kiosk.kiosk_id, kiosk.clock, limit, kiosk.content_store.current())
    assert pending is not None, "the kiosk has nothing pending"
    return pending.document
