"""The poison locator: find the row central keeps failing on, and send it alone.

When the remembered failing batch is due (sync/uploader/poison.py), it is
halved in outbox order (a rating always travels before its follow-up),
shipping every part that goes through, until the failing row is alone. From
then on that row travels alone, first in each pass, and everything else ships
around it. Each function returns the rows the rest of the pass leaves out.
"""
import logging

from kiosk.storage.outbox import PendingBatch
from sync.uploader.client import CentralError
from sync.uploader.poison import FailingBatch, Failure
from sync.uploader.shipper import Shipper

log = logging.getLogger(__name__)


def _central_answered(error: CentralError) -> bool:
    """Central answered with a status that may be these rows' fault (not a connection failure)."""
    return error.may_be_the_rows and error.status is not None


def send_alone(shipper: Shipper, failing: FailingBatch) -> frozenset[str]:
    """Send the row central keeps failing on by itself; the rows to leave out of the other batches."""
    run = shipper.run
    batch = shipper.batch(1, failing.position - 1)
    if batch is None:
        return frozenset()
    error = shipper.send(batch)
    if error is None:
        return frozenset()
    if _central_answered(error):
        run.lone = Failure(batch, error)
        run.failed(error)
        return frozenset(batch.item_ids)  # everything else ships around it (its follow-up waits)
    run.failed(error, stop=True)  # no answer at all: central is away, not this row's fault
    return frozenset()


def locate(shipper: Shipper, failing: FailingBatch) -> frozenset[str]:
    """Halve the failing batch in outbox order until the row central fails on is alone,
    shipping every part that goes through on the way; the rows to leave out of the other
    batches (none if every part went through).

    The batch has at least two rows: a one-row batch is its row, and is sent alone instead.
    """
    run = shipper.run
    after, count = failing.position - 1, failing.size
    part: PendingBatch | None = None
    error: CentralError | None = None
    while count > 1:
        part = shipper.batch((count + 1) // 2, after)
        if part is None:
            return frozenset()
        error = shipper.send(part)
        if error is None:
            after = part.last_position
            rest = shipper.batch(count - len(part.item_ids), after)
            if rest is None or (error := shipper.send(rest)) is None:
                return frozenset()  # every part went through: the failure is gone
            part = rest
        if not _central_answered(error):
            run.failed(error, stop=True)  # no answer at all: central is away, not a row
            return frozenset()
        count = len(part.item_ids)
    if part is None or error is None:
        return frozenset()
    log.warning("central keeps failing on %s alone: %s", part.item_ids[0], error)
    run.lone = Failure(part, error)
    run.failed(error)
    return frozenset(part.item_ids)
