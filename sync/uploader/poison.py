"""A batch central keeps failing on, remembered across passes and restarts.

No row may block the queue: if central fails on some row however often it is
sent (a bug, a value its database refuses), the uploader finds that row and
sets it aside, and everything behind it ships. But an outage must never set
anything aside, and random transient faults almost never. So failures count
only while central is otherwise answering, and a row is set aside only after
it failed on its own, repeatedly:

1. The batch starting at outbox position P fails; if in the same pass
   central's heartbeat went through or another batch was answered, that is
   one failure of "the batch at P" (kept in ``sync_state.failing_batch``, so restarts and
   one-shot ``hymy sync`` runs count on).
2. After ``STRIKES`` failures the next pass halves it in outbox order (a
   rating always travels before its follow-up), shipping every part that
   goes through, until the failing row is alone. From then on that row
   travels alone, first in each pass, and everything else ships around it.
3. The lone row is set aside (quarantined, with what central answered) only
   after it failed ``STRIKES`` times in passes where central stored other
   batches, or (nothing else waiting) answered the heartbeat: while other
   batches fail too, central failing on every batch is the likelier story.

Any pass in which the batch or row goes through forgets it.
"""
from dataclasses import asdict, dataclass
from datetime import datetime

from kiosk.storage.models import Outbox
from kiosk.storage.outbox import PendingBatch, set_aside
from kiosk.storage.state import sync_state
from sync.uploader.client import CentralError

STRIKES = 3
STATE_KEY = "failing_batch"


@dataclass(frozen=True)
class FailingBatch:
    """What the uploader remembers about the batch that keeps failing.

    :param position: the batch's first outbox position, which names it.
    :param size: how many rows it had when it last failed.
    :param failures: failures counted while central was otherwise answering.
    :param error: what central last answered.
    :param alone: halved down to this one row, which now travels alone.
    """

    position: int
    size: int
    failures: int
    error: str
    alone: bool = False

    @classmethod
    def load(cls) -> "FailingBatch | None":
        """The remembered batch, or None (also when its first row no longer waits)."""
        state = sync_state.failing_batch
        if not isinstance(state, dict):
            return None
        try:
            failing = cls(**state)
        except TypeError:
            forget()
            return None
        if not Outbox.pending().where(Outbox.position == failing.position).exists():
            forget()
            return None
        return failing

    @property
    def due(self) -> bool:
        """Failed often enough to be halved (a batch) or set aside (a lone row)."""
        return self.failures >= STRIKES

    def save(self) -> None:
        sync_state.failing_batch = asdict(self)


def forget() -> None:
    sync_state.failing_batch = None


@dataclass
class Failure:
    """One failed send in a pass: the batch and what came back."""

    batch: PendingBatch
    error: CentralError

    @property
    def position(self) -> int:
        return self.batch.first_position

    @property
    def size(self) -> int:
        return len(self.batch.item_ids)


@dataclass(frozen=True)
class PassOutcome:
    """What one pass learned about central and the batches it failed on.

    :param lone: the :class:`Failure` of the row sent alone this pass, or None.
    :param failure: the first other :class:`Failure` of the pass, or None.
    :param answered: how many batches central answered this pass.
    :param heartbeat_ok: whether the pass's heartbeat went through.
    :param clean: nothing failed in the pass.
    """

    lone: Failure | None
    failure: Failure | None
    answered: int
    heartbeat_ok: bool
    clean: bool


def count_failures_and_set_aside_poison(
    failing: FailingBatch | None, outcome: PassOutcome, now: datetime
) -> str | None:
    """Count this pass's failures against the remembered batch; set a lone row aside once it is due.

    :param failing: the :class:`FailingBatch` remembered before the pass, or None.
    :param outcome: the pass's :class:`PassOutcome`.
    :returns: the reason the lone row was set aside with, or None.
    """
    lone, batch, answered = outcome.lone, outcome.failure, outcome.answered
    if lone is not None:
        # Evidence against this row: central stored other rows in the same pass,
        # or answered the heartbeat while no other batch failed.
        evidence = answered or (outcome.heartbeat_ok and batch is None)
        failures = _remembered(failing, lone, alone=True) + (1 if evidence else 0)
        if failures < STRIKES:
            FailingBatch(lone.position, 1, failures, str(lone.error), True).save()
            return None
        reason = f"central failed on this row {failures} times: {lone.error}"
        set_aside(lone.batch.item_ids[0], reason, now)
        forget()
        return reason
    if batch is not None:
        if batch.error.may_be_the_rows and (outcome.heartbeat_ok or answered):
            failures = _remembered(failing, batch, alone=False) + 1
            FailingBatch(batch.position, batch.size, failures, str(batch.error)).save()
        return None  # an outage, or a fault between here and central: the count stands
    if outcome.clean and failing is not None:
        forget()
    return None


def _remembered(failing: FailingBatch | None, failure: Failure, alone: bool) -> int:
    """Failures already counted for the same batch (or the same lone row), else 0."""
    same = failing is not None and failing.position == failure.position and failing.alone == alone
    return failing.failures if failing is not None and same else 0
