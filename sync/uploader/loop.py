"""The uploader: ships the kiosk's outbox to central, never blocking recording.

One pass runs its steps in this order, each a module of its own:

1. pull central's content when it changed (``content_pull``);
2. after a restore, learn where the sequence continues before anything is sent (``sequence_guard``);
3. send the row central keeps failing on alone, or halve the batch it fails on (``poison_search``);
4. ship the backlog oldest first, several batches in flight (``shipper``);
5. send the heartbeat and check central's view of the sequence (``heartbeat``, ``sequence_guard``);
6. count the pass's failures against a poison row, setting it aside when due (``poison``);
7. prune old synced rows;
8. send the manager's actions, their own small outbox outside the rating sequence (``action_push``);
9. at most hourly, fetch the network document, where the site stands in the brand (``network_pull``).

The loop repeats passes every ``sync_interval`` seconds with jitter, and backs off exponentially (with
jitter and a cap) while central cannot be reached. Every wait reads the
kiosk's injectable clock, so a simulated day of outage takes milliseconds.

Two uploaders on one kiosk (the kiosk's thread and ``hymy sync``) exclude each
other with a lock file: the second skips its pass instead of double-sending.
"""
import logging
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import peewee

from kiosk.errors import StorageError
from kiosk.storage.db import connection
from kiosk.storage.enrollment import EnrollmentError, load_enrollment
from kiosk.storage.network import NetworkStore
from kiosk.storage.outbox import SequenceShift
from kiosk.storage.retention import prune_synced
from kiosk.storage.state import sync_state
from sync.common.files import exclusive_lock
from sync.uploader.action_push import push_actions
from sync.uploader.client import CentralClient, CentralError
from sync.uploader.content_pull import pull_content
from sync.uploader.heartbeat import heartbeat_document, send_heartbeat
from sync.uploader.network_pull import pull_network
from sync.uploader.poison import FailingBatch, PassOutcome, count_failures_and_set_aside_poison
from sync.uploader.poison_search import locate, send_alone
from sync.uploader.sequence_guard import check_sequence, continue_sequence
from sync.uploader.shipper import PassProgress, Shipper
from sync.wire.errors import HymyError
from sync.wire.protocol import format_time

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.storage.content_store import ContentStore
    from sync.common.clock import Clock

#: Progress of a pass: called with how many rows central just settled.
Progress = Callable[[int], None]

log = logging.getLogger(__name__)
LOCK_FILE = "sync.lock"


class NotEnrolled(HymyError):
    """The kiosk has no central to ship to yet."""


class AlreadyRunning(HymyError):
    """Another uploader holds this kiosk's sync lock."""


class Backoff:
    """Exponential backoff with full jitter: ``uniform(base, min(cap, base*2**n))``."""

    def __init__(self, base: float = 5.0, cap: float = 900.0, rng: random.Random | None = None) -> None:
        self.base, self.cap, self.failures = base, cap, 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 32))
        self.failures += 1
        return self.rng.uniform(min(self.base, ceiling), ceiling)

    def reset(self) -> None:
        self.failures = 0


@contextmanager
def sync_lock(data_dir: Path) -> Iterator[None]:
    """Hold the kiosk's upload lock for the block, or raise AlreadyRunning.

    The file is the kiosk user's alone (0600) whoever creates it, like every
    file in the data dir: not left to the umask of whoever ran ``hymy sync``.
    """
    with ExitStack() as held:
        try:
            held.enter_context(exclusive_lock(data_dir / LOCK_FILE, wait=False))
        except BlockingIOError:
            raise AlreadyRunning("another uploader is running on this kiosk") from None
        yield


class Uploader:
    """Ships one kiosk's outbox, pass after pass.

    :param config: the kiosk's :class:`~kiosk.config.KioskConfig`.
    :param kiosk_id: the kiosk's UUID.
    :param clock: the kiosk clock (``FakeClock`` in tests).
    :param content_store: where central's content is applied, if any.
    """

    def __init__(
        self,
        config: "KioskConfig",
        kiosk_id: str,
        clock: "Clock",
        content_store: "ContentStore | None" = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.kiosk_id = kiosk_id
        self.clock = clock
        self.content_store = content_store
        self.network_store = NetworkStore(config.data_dir)
        self.rng = rng or random.Random()
        self.backoff = Backoff(config.sync_backoff_base, config.sync_backoff_cap, self.rng)
        self._stop: threading.Event | None = None  # the loop's stop event: a pass sends no more once it is set

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _client(self) -> CentralClient:
        enrollment = load_enrollment(self.config.data_dir)
        if enrollment is None:
            raise NotEnrolled("not enrolled: run hymy enroll URL (it asks for the token from hymy central add-kiosk)")
        return CentralClient(enrollment, self.config.sync_connect_timeout, self.config.sync_read_timeout,
                             self.config.ca_bundle)

    def _heartbeat(self, gap_error: str | None) -> dict[str, Any]:
        return heartbeat_document(self.kiosk_id, self.clock, self.config.data_dir, gap_error)

    def run_pass(self, progress: Progress | None = None) -> dict[str, int]:
        """One full pass; returns counts. Raises CentralError when central fails."""
        client = self._client()
        try:
            with sync_lock(self.config.data_dir), connection():
                try:
                    return self._pass(client, progress)
                except (CentralError, StorageError, peewee.DatabaseError) as error:
                    sync_state.update(last_error=str(error), last_error_at=format_time(self.clock.now()))
                    raise
        finally:
            client.close()

    def _pass(self, client: CentralClient, progress: Progress | None) -> dict[str, int]:
        pull_content(client, self.content_store)  # content can wait; the ratings are what must not
        shift = continue_sequence(client, self._heartbeat)
        run = PassProgress(shift=shift)
        shipper = Shipper(client, self.kiosk_id, self.clock, run,
                          self.content_store.current() if self.content_store else None,
                          self.config.sync_batch_size, self.config.sync_in_flight, progress, self._stopping)
        failing = FailingBatch.load()
        if failing and failing.due and not failing.alone and failing.size == 1:
            failing = replace(failing, failures=0, alone=True)  # a one-row batch: it is the row
        skip: frozenset[str] = frozenset()
        if failing and failing.alone:
            skip = send_alone(shipper, failing)
        elif failing and failing.due:
            skip = locate(shipper, failing)
        if not run.stopped:
            shipper.ship(skip)
        if self._stopping():
            # The process is stopping: what is settled stays settled, the rest goes at the next start.
            return {"sent": run.sent, "quarantined": run.quarantined, "pruned": 0}
        heartbeat_error = self._report(client, run, shift)
        outcome = PassOutcome(run.lone, run.failure, run.answered, heartbeat_error is None, not run.errors)
        reason = count_failures_and_set_aside_poison(failing, outcome, self.clock.now())
        if reason and run.lone is not None:
            log.error("set aside %s: %s", run.lone.batch.item_ids[0], reason)
            run.quarantined += 1
            run.errors.remove(run.lone.error)
        if (heartbeat_error is None or run.answered) and sync_state.token_refused:
            sync_state.token_refused = None  # the token works again
        # A pass whose batches (or heartbeat) failed is a failed pass: the loop backs off.
        if run.errors:
            raise run.errors[0]
        if heartbeat_error is not None:
            raise heartbeat_error
        pruned = prune_synced(self.clock.now(), self.config.retention_days)
        sync_state.update(last_success_at=format_time(self.clock.now()), last_error=None)
        push_actions(client, self.clock.now())  # never fails the pass
        pull_network(client, self.network_store, self.clock.now())  # never fails the pass
        return {"sent": run.sent, "quarantined": run.quarantined, "pruned": pruned}

    def continue_sequence(self) -> SequenceShift:
        """Ask central now where the sequence continues after a restore (``hymy restore``
        does, when central is reachable); the :class:`~kiosk.storage.outbox.SequenceShift` in force."""
        client = self._client()
        try:
            with sync_lock(self.config.data_dir), connection():
                return continue_sequence(client, self._heartbeat)
        finally:
            client.close()

    def _report(self, client: CentralClient, run: PassProgress, shift: SequenceShift) -> CentralError | None:
        """Heartbeat, every pass whatever the batches did; its error, or None."""
        check = partial(check_sequence, shift=shift)
        gap_error = check(run.sequence) if run.sequence else sync_state.gap_error
        try:
            reply = send_heartbeat(client, self._heartbeat(gap_error))
            checked = check(reply["sequence"])
            if checked != gap_error:
                # The heartbeat's answer changed the verdict (a gap found or gone): tell central now, not a pass later.
                send_heartbeat(client, self._heartbeat(checked))
        except CentralError as error:
            log.warning("heartbeat failed: %s", error)
            return error
        return None

    def loop(self, stop: threading.Event | None = None, max_passes: int | None = None) -> int:
        """Pass after pass until *stop* is set (or *max_passes* ran)."""
        passes = 0
        skipped: str | None = None
        self._stop = stop
        while not (stop and stop.is_set()) and (max_passes is None or passes < max_passes):
            passes += 1
            try:
                self.run_pass()
            except (CentralError, StorageError, peewee.DatabaseError) as error:
                if self._stopping():
                    break  # a pass cut short by the process stopping (its central gone first) is no failure
                delay = self.backoff.next_delay()
                log.warning("sync failed (%s); next try in %.0f s", error, delay)
            except (NotEnrolled, AlreadyRunning, EnrollmentError) as error:
                delay = self.config.sync_interval
                # Said once per reason, not every interval while it lasts.
                log.log(logging.DEBUG if str(error) == skipped else logging.INFO, "sync skipped: %s", error)
                skipped = str(error)
            except Exception:
                # Last resort for a background thread: an unexpected error must
                # not end syncing for good. It is logged with its traceback.
                delay = self.backoff.next_delay()
                log.exception("sync pass failed unexpectedly; next try in %.0f s", delay)
            else:
                self.backoff.reset()
                skipped = None
                delay = self.config.sync_interval * self.rng.uniform(0.8, 1.2)
            self.clock.sleep(delay, stop)
        return passes
