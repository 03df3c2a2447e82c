"""The kiosk's side of a batch: read pending rows oldest first, settle the answer.

Only rows the answer names as stored leave the outbox; rows central called
bad (rejected, or a conflicting re-delivery) are quarantined, kept and shown,
never retried forever; anything else stays pending for the next pass. The
uploader also sets aside a row central keeps failing on (:func:`set_aside`).

It also owns the sequence after a restore (:class:`SequenceShift`), since that is what
the outbox's ratings carry to central:

Each rating has a gap-free per-kiosk ``seq`` and central keeps ``(kiosk, seq)``
unique. A restored backup ends at local seq R, while central may already hold
R+1..H from the life the kiosk lost; the kiosk numbers on from R+1 (the
recorder's ``last + 1``), so those numbers would collide.

Why a shift on the wire, and not something simpler:

- renumbering stored rows is out: ratings are append-only (a trigger refuses UPDATE);
- starting the local numbers above H is out: the kiosk records from minute one
  after a restore, central may be unreachable then, so H is not known when the
  first new rating is numbered, and a row keeps its number for good;
- a new kiosk id would lose the enrollment (central binds its token to the id)
  and split the kiosk's history at central in two.

So the local sequence stays gap-free, and ``hymy restore`` notes a *segment*
``{"after": R, "by": None}``. Before it sends any row, the uploader asks central
(its heartbeat answers with the highest seq it holds, H) and fixes
``by = max(0, H - wire(R))``; rows above R travel as ``seq + by`` from then on,
for good, so a re-sent row keeps its number. Rows are numbered for central only
once every segment below them is known (:class:`SequenceNotContinued` otherwise).
A second restore appends a segment; segments never shrink or change once known.

Central's numbers ``wire(R)+1 .. wire(R)+by`` are ratings of the lost life that
no local row has: the kiosk's gap check leaves them to central (:meth:`SequenceShift.local`).
The segments live in ``kiosk_state`` and so travel inside every backup.
"""
import json
import uuid
from collections.abc import Iterable, Set
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.storage.db import database
from kiosk.storage.models import Boot, KioskState, Outbox, QuestionText
from sync.common.version import software_version
from sync.wire.defaults import LANGUAGES
from sync.wire.errors import HymyError
from sync.wire.protocol import FOLLOWUP_FIELDS, RATING_FIELDS, format_time

if TYPE_CHECKING:
    from kiosk.storage.content import Content
    from sync.common.clock import Clock

#: kiosk_state key: the list of segments, oldest first.
SEQUENCE_SHIFT_KEY = "seq_shift"


class SequenceNotContinued(HymyError, LookupError):
    """A row above a restore point cannot be numbered for central before central said where to continue."""


@dataclass(frozen=True)
class Segment:
    """Rows above local seq *after* travel *by* higher (None until central answered)."""

    after: int
    by: int | None
    restored_at: str  # when the restore was made (UTC, the wire's time text), for people


@dataclass(frozen=True)
class SequenceShift:
    """The kiosk's segments, oldest first (``after`` never decreases: it was the highest seq then)."""

    segments: tuple[Segment, ...] = ()

    @classmethod
    def parse(cls, state: Iterable[dict[str, Any]] | None) -> "SequenceShift":
        """From the JSON kept in ``kiosk_state`` (a list of segment objects)."""
        return cls(tuple(Segment(int(s["after"]), None if s["by"] is None else int(s["by"]), str(s["restored_at"]))
                         for s in state or ()))

    @classmethod
    def load(cls) -> "SequenceShift":
        """The shift kept in the bound database."""
        return cls.parse(KioskState.read(SEQUENCE_SHIFT_KEY, []))

    def state(self) -> list[dict[str, Any]]:
        return [asdict(segment) for segment in self.segments]

    def save(self) -> None:
        KioskState.write(**{SEQUENCE_SHIFT_KEY: self.state()})

    @property
    def known(self) -> bool:
        """Central said where every segment continues: every row can be numbered for it."""
        return all(segment.by is not None for segment in self.segments)

    def wire(self, seq: int) -> int:
        """The number central knows local *seq* by."""
        shift = 0
        for segment in self.segments:
            if seq <= segment.after:
                break
            if segment.by is None:
                raise SequenceNotContinued(f"seq {seq} was recorded after a restore and central has not said yet "
                                           "where this kiosk's sequence continues")
            shift += segment.by
        return seq + shift

    def local(self, wire: int) -> int | None:
        """The local seq central's number *wire* stands for; None when no local row has it
        (a rating of a life lost with a restore, or beyond a segment central has not placed yet)."""
        shift = 0
        for segment in self.segments:
            if wire <= segment.after + shift:
                return wire - shift
            if segment.by is None:
                return None
            if wire <= segment.after + shift + segment.by:
                return None  # central's numbers of the ratings the restored backup did not hold
            shift += segment.by
        return wire - shift

    def continued_after(self, highest: int, restored_at: str) -> "SequenceShift":
        """This shift with a new segment after local seq *highest* (a restore ending there)."""
        last = self.segments[-1] if self.segments else None
        if last is not None and last.by is None and last.after == highest:
            return self  # restored twice before central was asked: one question answers both
        return SequenceShift((*self.segments, Segment(highest, None, restored_at)))

    def learned(self, central_highest: int) -> "SequenceShift":
        """This shift with every open segment placed above *central_highest*, the highest seq central holds."""
        placed: list[Segment] = []
        for segment in self.segments:
            if segment.by is None:
                below = SequenceShift(tuple(placed)).wire(segment.after)
                segment = Segment(segment.after, max(0, central_highest - below), segment.restored_at)
            placed.append(segment)
        return SequenceShift(tuple(placed))

    def describe(self) -> list[str]:
        """One line per restore (when, and what it means for the numbers), for ``hymy sync --status``."""
        lines = []
        for segment in self.segments:
            if segment.by is None:
                lines.append(f"{segment.restored_at}: ratings above seq {segment.after} wait until central says "
                             "where this kiosk's sequence continues (at the next sync)")
            else:
                first = segment.after + 1
                lines.append(f"{segment.restored_at}: ratings above seq {segment.after} go to central {segment.by} "
                             f"higher (seq {first} is central's {self.wire(first)})")
        return lines

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


def _wire_rows(sql: str, columns: tuple[str, ...], first: int, last: int) -> list[dict[str, Any]]:
    rows = [dict(zip(columns, values, strict=True)) for values in database.execute_sql(sql, (first, last))]
    for row in rows:
        row["clock_trusted"] = bool(row["clock_trusted"])
    return rows


def _question_definitions(
    cited: Iterable[tuple[str, int]], content: "Content | None"
) -> list[dict[str, Any]]:
    found: dict[tuple[str, int], dict[str, str]] = {}
    for key in cited:
        row = QuestionText.get_or_none((QuestionText.id == key[0]) & (QuestionText.version == key[1]))
        if row is not None:
            found[key] = json.loads(row.texts)
        elif content is not None and (content.question.id, content.question.version) == key:
            found[key] = content.question.all_texts(LANGUAGES)
    return [{"id": key[0], "version": key[1], "texts": texts} for key, texts in found.items()]


@dataclass
class PendingBatch:
    """One batch read from the outbox, ready to send."""

    first_position: int  # names the batch while it keeps failing
    item_ids: list[str]  # the outbox items in the batch, in outbox order
    last_position: int  # where the next batch starts
    rating_ids: set[str]  # its ratings: their follow-ups wait until it is answered
    document: dict[str, Any]  # the batch as sent (its clock readings set just before sending)


def clocked_for_sending(document: dict[str, Any], clock: "Clock") -> dict[str, Any]:
    """Set the kiosk's clock readings at send time on a batch document."""
    document.update(sent_at=format_time(clock.now()), boot_id=clock.boot_id(), monotonic=clock.monotonic(),
                    clock_trusted=clock.trusted())
    return document


def _items(after_position: int, limit: int, in_flight_ratings: Set[str], skip: Set[str]) -> list[tuple[int, str]]:
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


def build_batch(
    kiosk_id: str,
    clock: "Clock",
    limit: int,
    content: "Content | None" = None,
    after_position: int = 0,
    in_flight_ratings: Set[str] = frozenset(),
    skip: Set[str] = frozenset(),
    shift: SequenceShift | None = None,
) -> PendingBatch | None:
    """The oldest pending items (at most *limit*) after *after_position* as one
    batch, or None when there are none it may send now. *skip* names rows to
    leave out (a row central keeps failing on travels alone), with the
    follow-ups of any rating among them. *shift* is the :class:`SequenceShift`
    in force, read once per pass by the uploader (read here when not given)."""
    items = _items(after_position, limit, in_flight_ratings, skip)
    if not items:
        return None
    first, last = items[0][0], items[-1][0]
    ratings = _wire_rows(RATINGS_SQL, RATING_COLUMNS, first, last)
    shift = shift if shift is not None else SequenceShift.load()
    if shift.segments:  # restored from a backup: numbered above what central holds (kiosk/storage/outbox.py)
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


def _named(entries: Any, ids: Set[str]) -> dict[str, dict[str, Any]]:
    """``{id: entry}`` for well-formed answer entries naming one of *ids*."""
    if not isinstance(entries, list):
        return {}
    return {e["id"]: e for e in entries if isinstance(e, dict) and e.get("id") in ids}


def settle(batch: PendingBatch, answer: dict[str, Any], now: datetime) -> tuple[int, int]:
    """Apply central's answer to the outbox; return ``(stored, quarantined)`` counts."""
    ids = set(batch.item_ids)
    stored = ids & {i for i in answer.get("stored", []) if isinstance(i, str)}
    bad = {i: str(e.get("error", "rejected"))[:300] for i, e in _named(answer.get("rejected"), ids).items()}
    for item_id, conflict in _named(answer.get("conflicts"), ids).items():
        named = conflict.get("fields")
        fields = named if isinstance(named, list) else []
        bad[item_id] = "conflict at central: " + ", ".join(map(str, fields))[:280]
    bad = {i: reason for i, reason in bad.items() if i not in stored}
    with database.atomic():
        if stored:
            Outbox.delete().where(Outbox.item_id.in_(list(stored))).execute()
        for item_id, reason in bad.items():
            set_aside(item_id, reason, now)
    return len(stored), len(bad)


def set_aside(item_id: str, reason: str, now: datetime) -> None:
    """Quarantine one outbox item: kept and shown, no longer sent (until ``hymy sync --requeue``)."""
    Outbox.update(quarantined_at=now, quarantine_reason=reason[:300]).where(Outbox.item_id == item_id).execute()
