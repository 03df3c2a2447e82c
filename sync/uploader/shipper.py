"""The shipper: the outbox's backlog to central, oldest first, several batches on the wire.

Up to ``sync_in_flight`` batches travel at once (central's workers ingest
them in parallel) while the next is read from disk. Each is settled only by
its own answer, so a failure leaves the rest pending for the next pass, where
central's idempotency absorbs any resend. urllib3's connection pool is
thread-safe, and the client's Session keeps no cookies.
"""
from collections import deque
from collections.abc import Callable, Set
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kiosk.storage.content import Content
from kiosk.storage.outbox import PendingBatch, SequenceShift, build_batch, clocked_for_sending, settle
from sync.common.clock import Clock
from sync.uploader.client import CentralClient, CentralError
from sync.uploader.poison import Failure
from sync.uploader.refusal import note_refusal


@dataclass
class PassProgress:
    """What one pass did so far: counts, central's last sequence view, the failures met."""

    sent: int = 0
    quarantined: int = 0
    answered: int = 0  # batches central answered (stored or rejected their rows)
    sequence: dict[str, Any] | None = None  # central's view, from the last answer
    failure: Failure | None = None  # the first batch that failed, if any
    lone: Failure | None = None  # the failure of the row that travels alone, if it failed
    errors: list[CentralError] = field(default_factory=list)  # any: the pass failed
    stopped: bool = False  # central is not answering as central: send nothing more
    shift: SequenceShift | None = None  # the sequence after a restore, read once at the pass's start

    def failed(self, error: CentralError, stop: bool = False) -> None:
        self.errors.append(error)
        self.stopped = self.stopped or stop


def _marks(sequence: dict[str, Any]) -> tuple[int, int]:
    """``(contiguous, highest)`` of central's sequence view, to tell a newer view from an older one."""
    return sequence.get("contiguous", 0), sequence.get("highest", 0)


@dataclass
class Shipper:
    """Sends this pass's batches and settles central's answers into the outbox and *run*."""

    client: CentralClient
    kiosk_id: str
    clock: Clock
    run: PassProgress
    content: Content | None = None  # the content in force: the question texts the batches cite
    batch_size: int = 500
    in_flight: int = 2
    progress: Callable[[int], None] | None = None
    stopping: Callable[[], bool] = lambda: False

    def batch(
        self, limit: int, after: int = 0, waiting: Set[str] = frozenset(), skip: Set[str] = frozenset()
    ) -> PendingBatch | None:
        """The next batch of at most *limit* rows after outbox position *after*, or None."""
        return build_batch(self.kiosk_id, self.clock, limit, self.content, after, waiting, skip, self.run.shift)

    def settle(self, batch: PendingBatch, answer: dict[str, Any]) -> CentralError | None:
        """Apply central's answer; the error when it names none of the batch, else None."""
        run = self.run
        stored, bad = settle(batch, answer, self.clock.now())
        if stored + bad == 0:
            return CentralError("central acknowledged none of the batch", 200)
        run.sent, run.quarantined, run.answered = run.sent + stored, run.quarantined + bad, run.answered + 1
        # Central's newest view: batches in flight are ingested in parallel, so a later batch may be
        # stored first and answer with a gap the earlier one fills. Central's marks only rise.
        sequence = answer["sequence"]
        if run.sequence is None or _marks(sequence) >= _marks(run.sequence):
            run.sequence = sequence
        if self.progress:
            self.progress(stored + bad)
        return None

    def send(self, batch: PendingBatch) -> CentralError | None:
        """Send one batch now and settle it; the CentralError, or None when central answered."""
        try:
            answer = self.client.send_batch(clocked_for_sending(batch.document, self.clock))
        except CentralError as error:
            note_refusal(error)
            return error
        return self.settle(batch, answer)

    def ship(self, skip: Set[str] = frozenset()) -> None:
        """Send the backlog oldest first (leaving out *skip*) until it is empty or a batch fails."""
        in_flight: deque[tuple[PendingBatch, Future[dict[str, Any]]]] = deque()
        with ThreadPoolExecutor(max_workers=self.in_flight, thread_name_prefix="hymy-send") as sender:
            after, stopped = 0, False
            while True:
                while not stopped and len(in_flight) < self.in_flight and not self.stopping():
                    waiting: set[str] = set().union(*(b.rating_ids for b, _ in in_flight))
                    batch = self.batch(self.batch_size, after, waiting, skip)
                    if batch is None:
                        break  # nothing left, or the next follow-up waits for its rating's answer
                    document = clocked_for_sending(batch.document, self.clock)
                    in_flight.append((batch, sender.submit(self.client.send_batch, document)))
                    after = batch.last_position
                if not in_flight:
                    break
                batch, future = in_flight.popleft()
                try:
                    error = self.settle(batch, future.result())
                except CentralError as failed:
                    note_refusal(failed)
                    error = failed
                if error is not None and not stopped:
                    # Send nothing more; the batches already on the wire are still settled.
                    stopped = True
                    self.run.failure = Failure(batch, error)
                    self.run.failed(error, stop=not error.may_be_the_rows)
