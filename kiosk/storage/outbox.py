"""The kiosk's side of a batch: read pending rows oldest first, settle the answer.

Only rows the answer names as stored leave the outbox; rows central called
bad (rejected, or a conflicting re-delivery) are quarantined, kept and shown,
never retried forever; anything else stays pending for the next pass. The
uploader also sets aside a row central keeps failing on (:func:`set_aside`).
"""
import json
import uuid
from dataclasses import dataclass

from kiosk.storage.db import database
from kiosk.storage.models import Boot, Outbox, QuestionText
from kiosk.storage.sequence_shift import SeqShift
from sync.common.version import software_version
from sync.wire.defaults import LANGUAGES
from sync.wire.protocol import FOLLOWUP_FIELDS, RATING_FIELDS, format_time

ITEMS_SQL = """
SELECT o.position, o.item_id, f.rating_id
FROM outbox o LEFT JOIN followup f ON o.kind = 'followup' AND f.id = o.item_id
WHERE o.quarantined_at IS NULL AND o.position > ?
ORDER BY o.position LIMIT ?"""
# The rows are read in the wire's own shape: the kiosk's columns carry the
# protocol's field names and times in its format, so no row is parsed into
# model objects and formatted back (that was most of an uploader's time on a
# month-long backlog). The column lists come from the protocol's field lists.
RATING_COLUMNS = tuple(RATING_FIELDS)
FOLLOWUP_COLUMNS = tuple(FOLLOWUP_FIELDS)
RATINGS_SQL = f"""
SELECT {", ".join("r." + column for column in RATING_COLUMNS)}
FROM outbox o JOIN rating r ON r.id = o.item_id
WHERE o.kind = 'rating' AND o.quarantined_at IS NULL AND o.position BETWEEN ? AND ?
ORDER BY r.seq"""
FOLLOWUPS_SQL = f"""
SELECT {", ".join("f." + column for column in FOLLOWUP_COLUMNS)}
FROM outbox o JOIN followup f ON f.id = o.item_id
WHERE o.kind = 'followup' AND o.quarantined_at IS NULL AND o.position BETWEEN ? AND ?
ORDER BY o.position"""


def _wire_rows(sql, columns, first, last):
    rows = [dict(zip(columns, values, strict=True)) for values in database.execute_sql(sql, (first, last))]
    for row in rows:
        row["clock_trusted"] = bool(row["clock_trusted"])
    return rows


def _question_definitions(cited, content):
    found = {}
    for key in cited:
        row = QuestionText.get_or_none((QuestionText.id == key[0]) & (QuestionText.version == key[1]))
        if row is not None:
            found[key] = json.loads(row.texts)
        elif content is not None and (content.question.id, content.question.version) == key:
            found[key] = content.question.all_texts(LANGUAGES)
    return [{"id": key[0], "version": key[1], "texts": texts} for key, texts in found.items()]


@dataclass
class PendingBatch:
    first_position: int  # names the batch while it keeps failing
    item_ids: list  # the outbox items in the batch, in outbox order
    last_position: int  # where the next batch starts
    rating_ids: set  # its ratings: their follow-ups wait until it is answered
    document: dict  # the batch as sent (its clock readings set just before sending)


def clocked_for_sending(document, clock):
    """Set the kiosk's clock readings at send time on a batch document."""
    document.update(sent_at=format_time(clock.now()), boot_id=clock.boot_id(), monotonic=clock.monotonic(),
                    clock_trusted=clock.trusted())
    return document


def _items(after_position, limit, in_flight_ratings, skip):
    """``(position, item_id)`` of the next pending items, in order, stopping
    before a follow-up whose rating is still on the wire in another batch:
    central must hold a rating before it can take its follow-up. Items in
    *skip*, and follow-ups of ratings in it, are left out."""
    items = []
    for position, item_id, rating_id in database.execute_sql(ITEMS_SQL, (after_position, limit)):
        if rating_id in in_flight_ratings:
            break
        if skip and (item_id in skip or rating_id in skip):
            continue
        items.append((position, item_id))
    return items


def build_batch(kiosk_id, clock, limit, content=None, after_position=0, in_flight_ratings=frozenset(),
                skip=frozenset()):
    """The oldest pending items (at most *limit*) after *after_position* as one
    batch, or None when there are none it may send now. *skip* names rows to
    leave out (a row central keeps failing on travels alone), with the
    follow-ups of any rating among them."""
    items = _items(after_position, limit, in_flight_ratings, skip)
    if not items:
        return None
    first, last = items[0][0], items[-1][0]
    ratings = _wire_rows(RATINGS_SQL, RATING_COLUMNS, first, last)
    shift = SeqShift.load()
    if shift.segments:  # restored from a backup: numbered above what central holds (kiosk/storage/sequence_shift.py)
        for row in ratings:
            row["seq"] = shift.wire(row["seq"])
    followups = _wire_rows(FOLLOWUPS_SQL, FOLLOWUP_COLUMNS, first, last)
    if skip:
        ratings = [r for r in ratings if r["id"] not in skip]
        followups = [f for f in followups if f["id"] not in skip and f["rating_id"] not in skip]
    boot_ids = {r["boot_id"] for r in ratings} | {f["boot_id"] for f in followups}
    boots = Boot.select().where(Boot.boot_id.in_(list(boot_ids)) & Boot.trusted_wall.is_null(False))
    cited = sorted({(r["question_id"], r["question_version"]) for r in ratings})
    document = clocked_for_sending({
        "batch_id": str(uuid.uuid4()),
        "kiosk_id": kiosk_id,
        "software_version": software_version(),
        "boots": [{"boot_id": b.boot_id, "trusted_wall": format_time(b.trusted_wall),
                   "trusted_monotonic": b.trusted_monotonic} for b in boots],
        "questions": _question_definitions(cited, content),
        "reasons": [{"key": k, "group": g} for k, g in sorted({(f["reason"], f["reason_group"]) for f in followups})],
        "ratings": ratings,
        "followups": followups,
    }, clock)
    return PendingBatch(first, [item_id for _, item_id in items], last, {r["id"] for r in ratings}, document)


def _named(entries, ids):
    """``{id: entry}`` for well-formed answer entries naming one of *ids*."""
    if not isinstance(entries, list):
        return {}
    return {e["id"]: e for e in entries if isinstance(e, dict) and e.get("id") in ids}


def settle(batch, answer, now):
    """Apply central's answer to the outbox; return ``(stored, quarantined)`` counts."""
    ids = set(batch.item_ids)
    stored = ids & {i for i in answer.get("stored", []) if isinstance(i, str)}
    bad = {i: str(e.get("error", "rejected"))[:300] for i, e in _named(answer.get("rejected"), ids).items()}
    for item_id, conflict in _named(answer.get("conflicts"), ids).items():
        fields = conflict.get("fields") if isinstance(conflict.get("fields"), list) else []
        bad[item_id] = "conflict at central: " + ", ".join(map(str, fields))[:280]
    bad = {i: reason for i, reason in bad.items() if i not in stored}
    with database.atomic():
        if stored:
            Outbox.delete().where(Outbox.item_id.in_(list(stored))).execute()
        for item_id, reason in bad.items():
            set_aside(item_id, reason, now)
    return len(stored), len(bad)


def set_aside(item_id, reason, now):
    """Quarantine one outbox item: kept and shown, no longer sent (until ``hymy sync --requeue``)."""
    Outbox.update(quarantined_at=now, quarantine_reason=reason[:300]).where(Outbox.item_id == item_id).execute()
