"""``POST /api/v1/batches``: keep every rating and follow-up exactly once.

Idempotent by UUID: a row central already holds with the same content is a
duplicate (a no-op); the same UUID with different content is a conflict,
recorded and never overwritten. A batch whose envelope is malformed is refused
whole (422); otherwise it is accepted row by row: the valid rows are stored and
the bad ones are named in ``rejected``, so one bad row cannot hold back a
backlog and the uploader can quarantine exactly that row. The answer names
every row central now holds (``stored``): the uploader marks only those.
"""
from flask import Blueprint, jsonify
from werkzeug.exceptions import Forbidden, UnprocessableEntity

from kiosk.hours import OpeningHours, load_zone

from ..protocol import (
    BOOT_FIELDS,
    FOLLOWUP_FIELDS,
    QUESTION_FIELDS,
    RATING_FIELDS,
    REASON_FIELDS,
    RowError,
    check_envelope,
    check_row,
    check_texts,
)
from .auth import current_kiosk
from .body import json_body
from .clock_correction import corrected_time, final_filter
from .db import write_transaction
from .models import Conflict, Followup, Question, Rating, Reason, Redaction
from .reconcile import reconcile
from .timesource import utc_now

bp = Blueprint("ingest", __name__)

RATING_COMPARED = ("seq", "question_key", "question_version", "rating", "source", "recorded_at",
                   "clock_trusted", "boot_id", "monotonic", "kiosk_filter")
FOLLOWUP_COMPARED = ("rating_id", "reason", "reason_group", "comment", "recorded_at",
                     "clock_trusted", "boot_id", "monotonic")
INSERT_CHUNK = 200  # rows per INSERT: well inside every SQLite build's variable limit


class BatchReport:
    """What central tells the uploader about one batch."""

    def __init__(self, batch_id):
        self.batch_id = batch_id
        self.accepted = 0
        self.duplicates = 0
        self.stored = []
        self.conflicts = []
        self.rejected = []

    def reject(self, kind, row, error):
        row_id = row.get("id") if isinstance(row, dict) else None
        self.rejected.append({"kind": kind, "id": row_id if isinstance(row_id, str) else None, "error": str(error)})

    def as_json(self, sequence):
        return {
            "batch_id": self.batch_id,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
            "stored": self.stored,
            "sequence": sequence,
        }


def _clean_rows(kind, rows, fields, report):
    clean = []
    for row in rows:
        try:
            clean.append(check_row(row, fields))
        except RowError as error:
            report.reject(kind, row, error)
    return clean


def _question_versions(batch, report):
    """(key, version) pairs central knows after adding the batch's definitions."""
    for definition in _clean_rows("question", batch["questions"], QUESTION_FIELDS, report):
        try:
            texts = check_texts(definition["texts"])
        except RowError as error:
            report.reject("question", definition, error)
            continue
        known = Question.get_or_none(key=definition["id"], version=definition["version"])
        if known is None:
            Question.insert(key=definition["id"], version=definition["version"], texts=texts,
                            created_at=utc_now()).on_conflict_ignore().execute()
        elif known.texts != texts:
            # A used version never changes: central's text stands, the kiosk is told.
            report.conflicts.append({"kind": "question", "id": f"{definition['id']}@{definition['version']}",
                                     "fields": ["texts"]})
    cited = {(r.get("question_id"), r.get("question_version")) for r in batch["ratings"] if isinstance(r, dict)}
    keys = {key for key, _ in cited if isinstance(key, str)}
    rows = Question.select(Question.key, Question.version).where(Question.key.in_(keys)).tuples() if keys else []
    return set(rows)


def _reason_groups(batch, report):
    """reason key -> group, after adding the batch's new reason definitions."""
    for definition in _clean_rows("reason", batch["reasons"], REASON_FIELDS, report):
        Reason.insert(key=definition["key"], group=definition["group"], offered=False).on_conflict_ignore().execute()
    return dict(Reason.select(Reason.key, Reason.group).tuples())


def _differences(stored, row, fields):
    return [name for name in fields if getattr(stored, name) != row[name]]


def _insert(model, rows):
    for start in range(0, len(rows), INSERT_CHUNK):
        model.insert_many(rows[start:start + INSERT_CHUNK]).on_conflict_ignore().execute()


def _present(model, ids):
    """Which of *ids* the table now holds (an insert may have been ignored)."""
    if not ids:
        return set()
    return {row_id for (row_id,) in model.select(model.id).where(model.id.in_(ids)).tuples()}


def _note_conflict(kiosk, batch, report, kind, item_id, fields):
    report.conflicts.append({"kind": kind, "id": item_id, "fields": fields})
    Conflict.create(kiosk=kiosk, item_id=item_id, kind=kind, batch_id=batch["batch_id"],
                    received_at=utc_now(), fields=fields)


def _ingest_ratings(kiosk, batch, received_at, report, questions):
    boots = {b["boot_id"]: b for b in _clean_rows("boot", batch["boots"], BOOT_FIELDS, report)}
    hours = OpeningHours.parse(kiosk.site.opening_hours, load_zone(kiosk.site.timezone))
    rows = {}
    for row in _clean_rows("rating", batch["ratings"], RATING_FIELDS, report):
        if (row["question_id"], row["question_version"]) not in questions:
            report.reject("rating", row, "question_version: unknown to central and not defined in the batch")
            continue
        row["question_key"] = row.pop("question_id")
        row["kiosk_filter"] = row.pop("filtered")
        rows.setdefault(row["id"], row)
    existing = {r.id: r for r in Rating.select().where(Rating.id.in_(list(rows)))} if rows else {}
    new = []
    for row_id, row in rows.items():
        held = existing.get(row_id)
        if held is None:
            occurred_at, basis = corrected_time(row, batch, received_at, boots)
            new.append(dict(row, kiosk=kiosk.id, occurred_at=occurred_at, time_basis=basis,
                            filtered=final_filter(row["kiosk_filter"], occurred_at, basis, hours),
                            received_at=received_at))
            continue
        differs = _differences(held, row, RATING_COMPARED)
        if held.kiosk_id != kiosk.id:
            differs.insert(0, "kiosk")
        if differs:
            _note_conflict(kiosk, batch, report, "rating", row_id, differs)
        else:
            report.duplicates += 1
            report.stored.append(row_id)
    _insert(Rating, new)
    landed = _present(Rating, [r["id"] for r in new])
    for row in new:
        if row["id"] in landed:
            report.accepted += 1
            report.stored.append(row["id"])
        else:  # another rating of this kiosk already holds that sequence number
            _note_conflict(kiosk, batch, report, "rating", row["id"], ["seq"])


def _ingest_followups(kiosk, batch, received_at, report, groups):
    rows = {}
    for row in _clean_rows("followup", batch["followups"], FOLLOWUP_FIELDS, report):
        if groups.get(row["reason"]) != row["reason_group"]:
            report.reject("followup", row, "reason: unknown to central or in another group")
            continue
        rows.setdefault(row["id"], row)
    if not rows:
        return
    ratings = {r.id: r.kiosk_id for r in Rating.select(Rating.id, Rating.kiosk).where(
        Rating.id.in_([r["rating_id"] for r in rows.values()]))}
    existing = {f.id: f for f in Followup.select().where(Followup.id.in_(list(rows)))}
    redactions = Redaction.select(Redaction.followup).where(Redaction.followup.in_(list(existing)))
    redacted = {r.followup_id for r in redactions}
    new = []
    for row_id, row in rows.items():
        if ratings.get(row["rating_id"]) != kiosk.id:
            report.reject("followup", row, "rating_id: no such rating of this kiosk at central")
            continue
        held = existing.get(row_id)
        if held is None:
            new.append(dict(row, rating=row.pop("rating_id"), received_at=received_at))
            continue
        compared = [f for f in FOLLOWUP_COMPARED if not (f == "comment" and row_id in redacted)]
        differs = _differences(held, row, compared)
        if differs:
            _note_conflict(kiosk, batch, report, "followup", row_id, differs)
        else:
            report.duplicates += 1
            report.stored.append(row_id)
    _insert(Followup, new)
    landed = _present(Followup, [r["id"] for r in new])
    for row in new:
        if row["id"] in landed:
            report.accepted += 1
            report.stored.append(row["id"])
        else:  # the rating already has another follow-up
            _note_conflict(kiosk, batch, report, "followup", row["id"], ["rating_id"])


def ingest_batch(kiosk, batch, received_at):
    """Store one checked batch for *kiosk* in one transaction; return the answer."""
    report = BatchReport(batch["batch_id"])
    with write_transaction():
        questions = _question_versions(batch, report)
        groups = _reason_groups(batch, report)
        _ingest_ratings(kiosk, batch, received_at, report, questions)
        _ingest_followups(kiosk, batch, received_at, report, groups)
        sequence = reconcile(kiosk)
    return report.as_json(sequence)


@bp.post("/api/v1/batches")
def post_batch():
    """Receive a kiosk's batch of ratings and follow-ups."""
    kiosk = current_kiosk()
    received_at = utc_now()
    try:
        batch = check_envelope(json_body())
    except RowError as error:
        raise UnprocessableEntity(str(error)) from None
    if kiosk.device_id is None:
        raise Forbidden("this kiosk token is not enrolled yet: run hymy enroll on the kiosk")
    if batch["kiosk_id"] != kiosk.device_id:
        raise Forbidden("the batch names another kiosk than the token's")
    return jsonify(ingest_batch(kiosk, batch, received_at))
