"""The kiosk's side of a batch: read pending rows oldest first, settle the answer.

Only rows the answer names as stored leave the outbox; rows central called
bad (rejected, or a conflicting re-delivery) are quarantined, kept and shown,
never retried forever; anything else stays pending for the next pass.
"""
import json
import uuid
from dataclasses import dataclass

from kiosk import __version__
from kiosk.db import database
from kiosk.models import Boot, Followup, Outbox, QuestionText, Rating

from .protocol import format_time


def _rating_wire(row):
    return {
        "id": row.id, "seq": row.seq, "question_id": row.question_id, "question_version": row.question_version,
        "rating": row.rating, "source": row.source, "recorded_at": format_time(row.recorded_at),
        "clock_trusted": row.clock_trusted, "boot_id": row.boot_id, "monotonic": row.monotonic,
        "filtered": row.filtered,
    }


def _followup_wire(row):
    return {
        "id": row.id, "rating_id": row.rating_id, "reason": row.reason, "reason_group": row.reason_group,
        "comment": row.comment, "recorded_at": format_time(row.recorded_at), "clock_trusted": row.clock_trusted,
        "boot_id": row.boot_id, "monotonic": row.monotonic,
    }


def _question_definitions(cited, content):
    found = {}
    for key in cited:
        row = QuestionText.get_or_none((QuestionText.id == key[0]) & (QuestionText.version == key[1]))
        if row is not None:
            found[key] = json.loads(row.texts)
        elif content is not None and (content.question.id, content.question.version) == key:
            found[key] = content.question.all_texts(("fi", "sv", "en"))
    return [{"id": key[0], "version": key[1], "texts": texts} for key, texts in found.items()]


@dataclass
class PendingBatch:
    items: list  # the Outbox rows in the batch
    document: dict  # the batch as sent


def build_batch(kiosk_id, clock, limit, content=None):
    """The oldest *limit* pending items as one batch document, or None."""
    items = list(Outbox.pending().order_by(Outbox.position).limit(limit))
    if not items:
        return None
    rating_ids = [i.item_id for i in items if i.kind == "rating"]
    followup_ids = [i.item_id for i in items if i.kind == "followup"]
    ratings = list(Rating.select().where(Rating.id.in_(rating_ids)).order_by(Rating.seq)) if rating_ids else []
    followups = list(Followup.select().where(Followup.id.in_(followup_ids))) if followup_ids else []
    boot_ids = {r.boot_id for r in ratings} | {f.boot_id for f in followups}
    boots = Boot.select().where(Boot.boot_id.in_(list(boot_ids)) & Boot.trusted_wall.is_null(False))
    cited = sorted({(r.question_id, r.question_version) for r in ratings})
    document = {
        "batch_id": str(uuid.uuid4()),
        "kiosk_id": kiosk_id,
        "software_version": __version__,
        "sent_at": format_time(clock.now()),
        "boot_id": clock.boot_id(),
        "monotonic": clock.monotonic(),
        "clock_trusted": clock.trusted(),
        "boots": [{"boot_id": b.boot_id, "trusted_wall": format_time(b.trusted_wall),
                   "trusted_monotonic": b.trusted_monotonic} for b in boots],
        "questions": _question_definitions(cited, content),
        "reasons": [{"key": k, "group": g} for k, g in sorted({(f.reason, f.reason_group) for f in followups})],
        "ratings": [_rating_wire(r) for r in ratings],
        "followups": [_followup_wire(f) for f in followups],
    }
    return PendingBatch(items, document)


def _named(entries, ids):
    """``{id: entry}`` for well-formed answer entries naming one of *ids*."""
    if not isinstance(entries, list):
        return {}
    return {e["id"]: e for e in entries if isinstance(e, dict) and e.get("id") in ids}


def settle(batch, answer, now):
    """Apply central's answer to the outbox; return ``(stored, quarantined)`` counts."""
    ids = {item.item_id for item in batch.items}
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
            Outbox.update(quarantined_at=now, quarantine_reason=reason).where(Outbox.item_id == item_id).execute()
    return len(stored), len(bad)
