"""``POST /api/v1/batches``: keep every rating and follow-up exactly once.

A follow-up's reason is kept as the kiosk gave it: a key central never
published is accepted under the group the row names, counted there, and
never enters central's reason catalog (a kiosk cannot add to what every
site's reports and kiosks use); a key central publishes must come with
central's group for it.

Idempotent by UUID: a row central already holds with the same content is a
duplicate (a no-op); the same UUID with different content is a conflict,
recorded and never overwritten. The same holds for a UUID twice in one
batch: the first stands. A batch whose envelope is malformed is refused
whole (422); otherwise it is accepted row by row: the valid rows are stored and
the bad ones are named in ``rejected``, so one bad row cannot hold back a
backlog and the uploader can quarantine exactly that row. The answer names
every row central now holds (``stored``): the uploader marks only those.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import Forbidden, UnprocessableEntity

from sync.central.ingest.reconcile import reconcile
from sync.central.org.auth import current_kiosk
from sync.central.store import rollups
from sync.central.store.db import insert_new, write_transaction
from sync.central.store.models import Conflict, DeclaredQuestion, Followup, Kiosk, Question, Rating, Reason, Redaction
from sync.central.store.timesource import utc_now
from sync.common.web import json_body
from sync.common.zones import site_hours, site_zone
from sync.wire.clock_correction import corrected_time
from sync.wire.hours import final_filter
from sync.wire.protocol import (
    BOOT_FIELDS,
    FOLLOWUP_FIELDS,
    MAX_BODY_BYTES,
    QUESTION_FIELDS,
    RATING_FIELDS,
    REASON_FIELDS,
    RowError,
    check_envelope,
    check_row,
)

bp = Blueprint("ingest", __name__)

RATING_COMPARED = ("seq", "question_key", "question_version", "rating", "source", "recorded_at",
                   "clock_trusted", "boot_id", "monotonic", "kiosk_filter")
FOLLOWUP_COMPARED = ("rating_id", "reason", "reason_group", "comment", "recorded_at",
                     "clock_trusted", "boot_id", "monotonic")


class BatchReport:
    """What central tells the uploader about one batch."""

    def __init__(self, batch_id: str) -> None:
        self.batch_id = batch_id
        self.accepted = 0
        self.duplicates = 0
        self.stored: list[str] = []
        self.conflicts: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []

    def reject(self, kind: str, row: object, error: object) -> None:
        row_id = row.get("id") if isinstance(row, dict) else None
        self.rejected.append({"kind": kind, "id": row_id if isinstance(row_id, str) else None, "error": str(error)})

    def as_json(self, sequence: dict[str, Any]) -> dict[str, Any]:
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


def _question_versions(kiosk, definitions, ratings, received_at, report):
    """(key, version) pairs *kiosk*'s rows may cite, after adding the batch's declarations.

    Central's published versions and the kiosk's own declarations, never
    another kiosk's. A declared version is kept for this kiosk alone, so no
    kiosk can take or push up a number central publishes. A version never
    changes once used: a declaration with other texts than the kiosk's
    earlier one, or than the published version of that number, is a
    conflict, and the standing text stays.
    """
    keys = {row["question_id"] for row in ratings} | {definition["id"] for definition in definitions}
    if not keys:
        return set()
    central = {(q.key, q.version): q.texts for q in
               Question.select(Question.key, Question.version, Question.texts)
               .where(Question.key.in_(keys) & Question.published)}
    declared = dict(_declared(kiosk, keys))
    new: dict[tuple[str, int], dict[str, str]] = {}
    for definition in definitions:
        pair, texts = (definition["id"], definition["version"]), definition["texts"]
        if pair in declared:
            standing = declared[pair]
        elif pair in central:
            standing = central[pair]
        elif pair in new:
            standing = new[pair]
        else:
            new[pair] = texts
            continue
        if standing != texts:
            _question_conflict(report, pair)
    if new:
        DeclaredQuestion.insert_many(
            [{"kiosk": kiosk.id, "key": key, "version": version, "texts": texts, "received_at": received_at}
             for (key, version), texts in new.items()]).on_conflict_ignore().execute()
        # Another batch of this kiosk may have declared one of them first: its text stands.
        for pair, texts in _declared(kiosk, {key for key, _ in new}):
            if pair in new and texts != new[pair]:
                _question_conflict(report, pair)
            declared[pair] = texts
    return set(central) | set(declared)


def _declared(kiosk, keys):
    """``((key, version), texts)`` of the versions *kiosk* declared for *keys*."""
    query = (DeclaredQuestion.select(DeclaredQuestion.key, DeclaredQuestion.version, DeclaredQuestion.texts)
             .where((DeclaredQuestion.kiosk == kiosk.id) & DeclaredQuestion.key.in_(keys)))
    return [((row.key, row.version), row.texts) for row in query]


def _question_conflict(report, pair) -> None:
    report.conflicts.append({"kind": "question", "id": f"{pair[0]}@{pair[1]}", "fields": ["texts"]})


def _reason_groups(batch, report):
    """reason key -> group, of central's own catalog.

    A kiosk's batch never adds to it: the reasons a batch defines are checked
    (a malformed one is named in ``rejected``) and otherwise only describe the
    kiosk's own follow-ups, which carry their key and group themselves.
    """
    _clean_rows("reason", batch["reasons"], REASON_FIELDS, report)
    pairs: Any = Reason.select(Reason.key, Reason.group).tuples()  # peewee's stub types rows as models
    return dict(pairs)


def _differences(held, row, fields):
    return [name for name in fields if getattr(held, name) != row[name]]


@dataclass
class Arrival:
    """One batch being stored: whose it is, when it came, what is being answered and counted."""

    kiosk: Kiosk
    batch: dict[str, Any]
    received_at: datetime
    report: BatchReport
    tally: rollups.Tally = field(default_factory=rollups.Tally)

    def __post_init__(self) -> None:
        # Looked up once per batch; unusable stored hours (or zone) leave ``unverified`` rows
        # unverified rather than failing the batch.
        self.zone = site_zone(self.kiosk.site)
        self.hours = site_hours(self.kiosk.site)


def _note_conflict(arrival, kind, item_id, fields) -> None:
    arrival.report.conflicts.append({"kind": kind, "id": item_id, "fields": fields})
    Conflict.create(kiosk=arrival.kiosk, item_id=item_id, kind=kind, batch_id=arrival.batch["batch_id"],
                    received_at=utc_now(), fields=fields)


def _once_each(arrival, kind, rows, fields):
    """*rows* with each id once, the first standing; a repeat inside the batch
    is a duplicate when identical and a conflict when any of *fields* differs."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        earlier = first.setdefault(row["id"], row)
        if earlier is row:
            continue
        differs = [name for name in fields if earlier[name] != row[name]]
        if differs:
            _note_conflict(arrival, kind, row["id"], differs)
        else:
            arrival.report.duplicates += 1
    return list(first.values())


def _store(arrival, kind, model, candidates, compare, clash_field):
    """Insert the new rows; sort the others into duplicates and conflicts.

    Inserting first keeps the common case (all rows new) at one statement; only
    rows the insert skipped are read back and compared with what central holds.
    *compare* returns the names of differing fields; a skipped row central does
    not hold by id clashed on its other unique key (*clash_field*). Returns
    the rows inserted, which alone enter the rollups.
    """
    inserted = insert_new(model, candidates)
    skipped = [row["id"] for row in candidates if row["id"] not in inserted]
    held = {h.id: h for h in model.select().where(model.id.in_(skipped))} if skipped else {}
    report = arrival.report
    for row in candidates:
        row_id = row["id"]
        if row_id in inserted:
            report.accepted += 1
            report.stored.append(row_id)
        elif row_id not in held:
            _note_conflict(arrival, kind, row_id, [clash_field])
        elif differs := compare(held[row_id], row):
            _note_conflict(arrival, kind, row_id, differs)
        else:
            report.duplicates += 1
            report.stored.append(row_id)
    return [row for row in candidates if row["id"] in inserted]


def _reference(
    row: Mapping[str, Any], batch: Mapping[str, Any], boots: Mapping[str, Any], received_at: datetime
) -> tuple[datetime | None, float | None]:
    """The ``(wall, monotonic)`` pair an untrusted row of *batch* is placed from: for the boot the
    batch is sent from, central's receive time and the batch's reading at send; for an earlier boot,
    its first trusted pair; ``(None, None)`` when that boot never had one."""
    if row["boot_id"] == batch["boot_id"]:
        return received_at, batch["monotonic"]
    boot = boots.get(row["boot_id"])
    if boot is None:
        return None, None
    return boot["trusted_wall"], boot["trusted_monotonic"]


def _ingest_ratings(arrival, ratings, boots, questions):
    kiosk, batch, received_at, report = arrival.kiosk, arrival.batch, arrival.received_at, arrival.report
    boots = {b["boot_id"]: b for b in boots}
    rows = []
    for row in ratings:
        if (row["question_id"], row["question_version"]) not in questions:
            report.reject("rating", row, "question_version: unknown to central and not declared by this kiosk")
            continue
        row["question_key"] = row.pop("question_id")
        row["kiosk_filter"] = row.pop("filtered")
        # A row is recorded before it is sent: nothing is placed after central received it.
        occurred_at, basis = corrected_time(row, *_reference(row, batch, boots, received_at), latest=received_at)
        row.update(kiosk=kiosk.id, occurred_at=occurred_at, time_basis=basis, received_at=received_at,
                   filtered=final_filter(row["kiosk_filter"], occurred_at, basis, arrival.hours))
        rows.append(row)
    candidates = _once_each(arrival, "rating", rows, RATING_COMPARED)

    def compare(held, row):
        return (["kiosk"] if held.kiosk_id != kiosk.id else []) + _differences(held, row, RATING_COMPARED)

    stored = _store(arrival, "rating", Rating, candidates, compare, "seq")
    for row in stored:
        arrival.tally.add_rating(kiosk.id, row["occurred_at"], arrival.zone, row["rating"], row["filtered"])
    return {row["id"]: (row["occurred_at"], row["rating"], row["filtered"]) for row in stored}


def _rating_facts(rating_ids, inserted_now):
    """rating id -> (occurred_at, rating, filtered): from this batch's inserts, else as stored."""
    facts = {rating_id: inserted_now[rating_id] for rating_id in rating_ids if rating_id in inserted_now}
    missing = [rating_id for rating_id in rating_ids if rating_id not in facts]
    if missing:
        query: Any = Rating.select(Rating.id, Rating.occurred_at, Rating.rating, Rating.filtered).where(
            Rating.id.in_(missing))
        facts.update((rating_id, (occurred_at, rating, filtered))
                     for rating_id, occurred_at, rating, filtered in query.tuples())
    return facts


def _ingest_followups(arrival, followups, groups, inserted_ratings) -> None:
    kiosk, report = arrival.kiosk, arrival.report
    rows = []
    for row in followups:
        # A key central never published is kept as given, under the row's own (checked) group.
        if row["reason"] in groups and groups[row["reason"]] != row["reason_group"]:
            report.reject("followup", row, f"reason_group: central's reason {row['reason']!r} is in group "
                                           f"{groups[row['reason']]!r}")
        else:
            rows.append(row)
    if not rows:
        return
    # The batch's own ratings central now holds are this kiosk's (a duplicate matched its kiosk
    # too); only follow-ups of earlier ratings need their owner looked up.
    mine = set(report.stored)
    earlier = {r["rating_id"] for r in rows} - mine
    owned_by: Any = Rating.select(Rating.id, Rating.kiosk).where(Rating.id.in_(earlier)).tuples() if earlier else ()
    owners = dict(owned_by)
    owned = []
    for row in rows:
        if row["rating_id"] not in mine and owners.get(row["rating_id"]) != kiosk.id:
            report.reject("followup", row, "rating_id: no such rating of this kiosk at central")
        else:
            owned.append(dict(row, rating=row["rating_id"], received_at=arrival.received_at))
    candidates = _once_each(arrival, "followup", owned, FOLLOWUP_COMPARED)

    def compare(held, row):
        redacted = Redaction.select().where(Redaction.followup == held.id).exists()
        return _differences(held, row, [f for f in FOLLOWUP_COMPARED if not (f == "comment" and redacted)])

    stored = _store(arrival, "followup", Followup, candidates, compare, "rating_id")
    facts = _rating_facts([row["rating_id"] for row in stored], inserted_ratings)
    for row in stored:
        occurred_at, rating, filtered = facts[row["rating_id"]]
        arrival.tally.add_followup(kiosk.id, occurred_at, arrival.zone, rating, filtered, row["reason"],
                                   row["reason_group"])


def ingest_batch(kiosk: Kiosk, batch: dict[str, Any], received_at: datetime) -> dict[str, Any]:
    """Store one checked batch for *kiosk* in one transaction; return the answer."""
    report = BatchReport(batch["batch_id"])
    # Checking rows is the CPU-heavy part: do it before taking the write lock,
    # so central's workers check batches in parallel and queue only to store.
    checked = {
        "boots": _clean_rows("boot", batch["boots"], BOOT_FIELDS, report),
        "questions": _clean_rows("question", batch["questions"], QUESTION_FIELDS, report),
        "ratings": _clean_rows("rating", batch["ratings"], RATING_FIELDS, report),
        "followups": _clean_rows("followup", batch["followups"], FOLLOWUP_FIELDS, report),
    }
    arrival = Arrival(kiosk, batch, received_at, report)
    with write_transaction():
        questions = _question_versions(kiosk, checked["questions"], checked["ratings"], received_at, report)
        groups = _reason_groups(batch, report)
        inserted = _ingest_ratings(arrival, checked["ratings"], checked["boots"], questions)
        _ingest_followups(arrival, checked["followups"], groups, inserted)
        arrival.tally.write()
        sequence = reconcile(kiosk)
        Kiosk.update(last_batch_at=received_at).where(Kiosk.id == kiosk.id).execute()
    return report.as_json(sequence)


@bp.post("/api/v1/batches")
def post_batch() -> Response:
    """Receive a kiosk's batch of ratings and follow-ups."""
    kiosk = current_kiosk()
    received_at = utc_now()
    try:
        batch = check_envelope(json_body(MAX_BODY_BYTES, gzip=True))
    except RowError as error:
        raise UnprocessableEntity(str(error)) from None
    if kiosk.uuid is None:
        raise Forbidden("this kiosk token is not enrolled yet: run hymy enroll on the kiosk")
    if batch["kiosk_id"] != kiosk.uuid:
        raise Forbidden("the batch names another kiosk than the token's")
    return jsonify(ingest_batch(kiosk, batch, received_at))
