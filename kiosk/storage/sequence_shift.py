"""The sequence after a restore: rows recorded since go to central above what it holds.

Each rating has a gap-free per-kiosk ``seq`` and central keeps ``(kiosk, seq)``
unique. A restored backup ends at local seq R, while central may already hold
R+1..H from the life the kiosk lost; the kiosk numbers on from R+1 (the
recorder's ``last + 1``), so those numbers would collide.

Why a shift on the wire, and not something simpler:

- renumbering stored rows is out: ratings are append-only (a trigger refuses UPDATE);
- starting the local numbers above H is out: the kiosk records from minute one
  after a restore, central may be unreachable then, so H is not known when the
  first new rating is numbered, and a row keeps its number for good;
- a new kiosk id would lose the enrolment (central binds its token to the id)
  and split the kiosk's history at central in two.

So the local sequence stays gap-free, and ``hymy restore`` notes a *segment*
``{"after": R, "by": None}``. Before it sends any row, the uploader asks central
(its heartbeat answers with the highest seq it holds, H) and fixes
``by = max(0, H - wire(R))``; rows above R travel as ``seq + by`` from then on,
for good, so a re-sent row keeps its number. Rows are numbered for central only
once every segment below them is known (:class:`SequenceNotContinued` otherwise).
A second restore appends a segment; segments never shrink or change once known.

Central's numbers ``wire(R)+1 .. wire(R)+by`` are ratings of the lost life that
no local row has: the kiosk's gap check leaves them to central (:meth:`SeqShift.local`).
The segments live in ``kiosk_state`` and so travel inside every backup.
"""
from dataclasses import asdict, dataclass

from kiosk.storage.models import KioskState
from sync.wire.errors import HymyError

#: kiosk_state key: the list of segments, oldest first.
STATE_KEY = "seq_shift"


class SequenceNotContinued(HymyError, LookupError):
    """A row above a restore point cannot be numbered for central before central said where to continue."""


@dataclass(frozen=True)
class Segment:
    """Rows above local seq *after* travel *by* higher (None until central answered)."""

    after: int
    by: int | None
    restored_at: str  # when the restore was made (UTC, the wire's time text), for people


@dataclass(frozen=True)
class SeqShift:
    """The kiosk's segments, oldest first (``after`` never decreases: it was the highest seq then)."""

    segments: tuple = ()

    @classmethod
    def parse(cls, state):
        """From the JSON kept in ``kiosk_state`` (a list of segment objects)."""
        return cls(tuple(Segment(int(s["after"]), None if s["by"] is None else int(s["by"]), str(s["restored_at"]))
                         for s in state or ()))

    @classmethod
    def load(cls):
        """The shift kept in the bound database."""
        return cls.parse(KioskState.read(STATE_KEY, []))

    def state(self):
        return [asdict(segment) for segment in self.segments]

    def save(self):
        KioskState.write(**{STATE_KEY: self.state()})

    @property
    def known(self):
        """Central said where every segment continues: every row can be numbered for it."""
        return all(segment.by is not None for segment in self.segments)

    def wire(self, seq):
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

    def local(self, wire):
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

    def continued_after(self, highest, restored_at):
        """This shift with a new segment after local seq *highest* (a restore ending there)."""
        last = self.segments[-1] if self.segments else None
        if last is not None and last.by is None and last.after == highest:
            return self  # restored twice before central was asked: one question answers both
        return SeqShift((*self.segments, Segment(highest, None, restored_at)))

    def learned(self, central_highest):
        """This shift with every open segment placed above *central_highest*, the highest seq central holds."""
        placed = []
        for segment in self.segments:
            if segment.by is None:
                below = SeqShift(tuple(placed)).wire(segment.after)
                segment = Segment(segment.after, max(0, central_highest - below), segment.restored_at)
            placed.append(segment)
        return SeqShift(tuple(placed))

    def describe(self):
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
