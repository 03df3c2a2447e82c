"""The uploader: ships the kiosk's outbox to central, never blocking recording.

One pass pulls the kiosk's config from central (ETag), after a restore asks
central where the sequence continues (kiosk/storage/outbox.py), sends batches oldest
first until the backlog is empty, reports a heartbeat, checks central's view
of the sequence and prunes old synced rows. The loop repeats passes every
``sync_interval`` seconds with jitter, and backs off exponentially (with
jitter and a cap) while central cannot be reached. Every wait reads the
kiosk's injectable clock, so a simulated day of outage takes milliseconds.

Two uploaders on one kiosk (the kiosk's thread and ``hymy sync``) exclude each
other with a lock file: the second skips its pass instead of double-sending.
"""
import logging
import random
import shutil
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace

import peewee

from kiosk.errors import StorageError
from kiosk.storage.db import connection, database
from kiosk.storage.enrollment import EnrollmentError, load_enrollment
from kiosk.storage.models import Outbox, Rating
from kiosk.storage.outbox import SequenceShift, build_batch, clocked_for_sending, settle
from kiosk.storage.retention import prune_synced
from kiosk.storage.state import sync_state
from sync.common.files import exclusive_lock
from sync.common.version import software_version
from sync.uploader.client import CentralClient, CentralError
from sync.uploader.poison import FailingBatch, Failure, PassOutcome, count_failures_and_set_aside_poison
from sync.wire.errors import ConfigError, HymyError
from sync.wire.protocol import format_time

log = logging.getLogger(__name__)
LOCK_FILE = "sync.lock"


class NotEnrolled(HymyError):
    """The kiosk has no central to ship to yet."""


class AlreadyRunning(HymyError):
    """Another uploader holds this kiosk's sync lock."""


class Backoff:
    """Exponential backoff with full jitter: ``uniform(base, min(cap, base*2**n))``."""

    def __init__(self, base=5.0, cap=900.0, rng=None):
        self.base, self.cap, self.failures = base, cap, 0
        self.rng = rng or random.Random()

    def next_delay(self):
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 32))
        self.failures += 1
        return self.rng.uniform(min(self.base, ceiling), ceiling)

    def reset(self):
        self.failures = 0


@contextmanager
def sync_lock(data_dir):
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


def missing_at_central(sequence, highest):
    """Sequence numbers central lacks (up to 1,000), from its answer; *highest* is
    the kiosk's highest in central's numbering (kiosk/storage/outbox.py)."""
    missing = []
    for first, last in sequence.get("gaps", []):
        missing.extend(range(first, min(last, first + 1000) + 1))
    missing.extend(range(sequence.get("highest", 0) + 1, highest + 1))
    return missing[:1000]


def _marks(sequence):
    """``(contiguous, highest)`` of central's sequence view, to tell a newer view from an older one."""
    return sequence.get("contiguous", 0), sequence.get("highest", 0)


@dataclass
class PassProgress:
    """What one pass did so far: counts, central's last sequence view, the failures met."""

    sent: int = 0
    quarantined: int = 0
    answered: int = 0  # batches central answered (stored or rejected their rows)
    sequence: dict | None = None  # central's view, from the last answer
    failure: Failure | None = None  # the first batch that failed, if any
    lone: Failure | None = None  # the failure of the row that travels alone, if it failed
    errors: list = field(default_factory=list)  # any: the pass failed
    stopped: bool = False  # central is not answering as central: send nothing more
    shift: SequenceShift | None = None  # the sequence after a restore, read once at the pass's start

    def failed(self, error, stop=False):
        self.errors.append(error)
        self.stopped = self.stopped or stop


class Uploader:
    """Ships one kiosk's outbox.

    :param config: the kiosk's :class:`~kiosk.config.KioskConfig`.
    :param kiosk_id: the kiosk's UUID.
    :param clock: the kiosk clock (``FakeClock`` in tests).
    :param content_store: where central's content is applied, if any.
    """

    def __init__(self, config, kiosk_id, clock, content_store=None, rng=None):
        self.config = config
        self.kiosk_id = kiosk_id
        self.clock = clock
        self.content_store = content_store
        self.rng = rng or random.Random()
        self.backoff = Backoff(config.sync_backoff_base, config.sync_backoff_cap, self.rng)
        self._stop = None  # the loop's stop event: a pass sends no more once it is set

    def _stopping(self):
        return self._stop is not None and self._stop.is_set()

    def _client(self):
        enrollment = load_enrollment(self.config.data_dir)
        if enrollment is None:
            raise NotEnrolled("not enrolled: run hymy enroll URL (it asks for the token from hymy central add-kiosk)")
        return CentralClient(enrollment, self.config.sync_connect_timeout, self.config.sync_read_timeout,
                             self.config.ca_bundle)

    def run_pass(self, progress=None):
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

    def _pass(self, client, progress):
        try:
            self._pull_config(client)
        except CentralError as error:
            # Content can wait; the ratings are what must not.
            self._note_refusal(error)
            log.warning("could not fetch the config from central: %s", error)
        shift = self._continue_sequence(client)
        run = PassProgress(shift=shift)
        content = self.content_store.current() if self.content_store else None
        failing = FailingBatch.load()
        if failing and failing.due and not failing.alone and failing.size == 1:
            failing = replace(failing, failures=0, alone=True)  # a one-row batch: it is the row
        skip = frozenset()
        if failing and failing.alone:
            skip = self._send_alone(client, run, failing, content, progress)
        elif failing and failing.due:
            skip = self._locate(client, run, failing, content, progress)
        if not run.stopped:
            self._ship(client, run, content, progress, skip)
        if self._stopping():
            # The process is stopping: what is settled stays settled, the rest goes at the next start.
            return {"sent": run.sent, "quarantined": run.quarantined, "pruned": 0}
        heartbeat_error = self._report(client, run)
        outcome = PassOutcome(run.lone, run.failure, run.answered, heartbeat_error is None, not run.errors)
        reason = count_failures_and_set_aside_poison(failing, outcome, self.clock.now())
        if reason:
            log.error("set aside %s: %s", run.lone.batch.item_ids[0], reason)
            run.quarantined += 1
            run.errors.remove(run.lone.error)
        if (heartbeat_error is None or run.answered) and sync_state.token_refused:
            sync_state.update(token_refused=None)  # the token works again
        if run.errors or heartbeat_error:
            # A pass whose batches (or heartbeat) failed is a failed pass: the loop backs off.
            raise (run.errors or [heartbeat_error])[0]
        pruned = prune_synced(self.clock.now(), self.config.retention_days)
        sync_state.update(last_success_at=format_time(self.clock.now()), last_error=None)
        return {"sent": run.sent, "quarantined": run.quarantined, "pruned": pruned}

    # -- sending ---------------------------------------------------------------
    def _settle(self, run, batch, answer, progress):
        """Apply central's answer; the error when it names none of the batch, else None."""
        stored, bad = settle(batch, answer, self.clock.now())
        if stored + bad == 0:
            return CentralError("central acknowledged none of the batch", 200)
        run.sent, run.quarantined, run.answered = run.sent + stored, run.quarantined + bad, run.answered + 1
        # Central's newest view: batches in flight are ingested in parallel, so a later batch may be
        # stored first and answer with a gap the earlier one fills. Central's marks only rise.
        sequence = answer["sequence"]
        if run.sequence is None or _marks(sequence) >= _marks(run.sequence):
            run.sequence = sequence
        if progress:
            progress(stored + bad)
        return None

    def _send(self, client, run, batch, progress):
        """Send one batch now and settle it; the CentralError, or None when central answered."""
        try:
            answer = client.send_batch(clocked_for_sending(batch.document, self.clock))
        except CentralError as error:
            self._note_refusal(error)
            return error
        return self._settle(run, batch, answer, progress)

    def _ship(self, client, run, content, progress, skip):
        """Send the backlog oldest first (leaving out *skip*) until it is empty or a batch fails."""
        limit, depth = self.config.sync_batch_size, self.config.sync_in_flight
        in_flight = deque()
        # Up to `depth` batches on the wire (central's workers ingest them in
        # parallel) while the next is read from disk. Each is settled only by
        # its own answer, so a failure leaves the rest pending for the next
        # pass, where central's idempotency absorbs any resend. urllib3's
        # connection pool is thread-safe, and this Session keeps no cookies.
        with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="hymy-send") as sender:
            after, stopped = 0, False
            while True:
                while not stopped and len(in_flight) < depth and not self._stopping():
                    waiting = set().union(*(b.rating_ids for b, _ in in_flight))
                    batch = build_batch(self.kiosk_id, self.clock, limit, content, after, waiting, skip, run.shift)
                    if batch is None:
                        break  # nothing left, or the next follow-up waits for its rating's answer
                    document = clocked_for_sending(batch.document, self.clock)
                    in_flight.append((batch, sender.submit(client.send_batch, document)))
                    after = batch.last_position
                if not in_flight:
                    break
                batch, future = in_flight.popleft()
                try:
                    error = self._settle(run, batch, future.result(), progress)
                except CentralError as failed:
                    self._note_refusal(failed)
                    error = failed
                if error is not None and not stopped:
                    # Send nothing more; the batches already on the wire are still settled.
                    stopped = True
                    run.failure = Failure(batch, error)
                    run.failed(error, stop=not error.may_be_the_rows)

    def _send_alone(self, client, run, failing, content, progress):
        """Send the row central keeps failing on by itself; the rows to leave out of the other batches."""
        batch = build_batch(self.kiosk_id, self.clock, 1, content, failing.position - 1, shift=run.shift)
        if batch is None:
            return frozenset()
        error = self._send(client, run, batch, progress)
        if error is None:
            return frozenset()
        if error.may_be_the_rows and error.status is not None:
            run.lone = Failure(batch, error)
            run.failed(error)
            return frozenset(batch.item_ids)  # everything else ships around it (its follow-up waits)
        run.failed(error, stop=True)  # no answer at all: central is away, not this row's fault
        return frozenset()

    def _locate(self, client, run, failing, content, progress):
        """Halve the failing batch in outbox order until the row central fails
        on is alone, shipping every part that goes through on the way; the rows
        to leave out of the other batches (none if every part went through)."""
        after, count = failing.position - 1, failing.size
        while count > 1:
            part = build_batch(self.kiosk_id, self.clock, (count + 1) // 2, content, after, shift=run.shift)
            if part is None:
                return frozenset()
            error = self._send(client, run, part, progress)
            if error is None:
                after = part.last_position
                part = build_batch(self.kiosk_id, self.clock, count - len(part.item_ids), content, after,
                                   shift=run.shift)
                error = self._send(client, run, part, progress) if part else None
                if error is None:
                    return frozenset()  # every part went through: the failure is gone
            if not (error.may_be_the_rows and error.status is not None):
                run.failed(error, stop=True)  # no answer at all: central is away, not a row
                return frozenset()
            count = len(part.item_ids)
        log.warning("central keeps failing on %s alone: %s", part.item_ids[0], error)
        run.lone = Failure(part, error)
        run.failed(error)
        return frozenset(part.item_ids)

    # -- the sequence after a restore ----------------------------------------------
    def continue_sequence(self):
        """Ask central now where the sequence continues after a restore (``hymy restore``
        does, when central is reachable); the :class:`~kiosk.storage.outbox.SequenceShift` in force."""
        client = self._client()
        try:
            with sync_lock(self.config.data_dir), connection():
                return self._continue_sequence(client)
        finally:
            client.close()

    def _continue_sequence(self, client):
        """Before any row recorded after a restore is sent, learn from central's
        heartbeat answer the highest seq it holds, and place those rows above it.
        Raises CentralError while central cannot say: then nothing is sent."""
        shift = SequenceShift.load()
        if shift.known:
            return shift
        try:
            reply = client.heartbeat(self._heartbeat(sync_state.gap_error))
        except CentralError as error:
            self._note_refusal(error)
            raise
        sequence = reply["sequence"]
        highest = sequence.get("highest") if isinstance(sequence, dict) else None
        if not isinstance(highest, int) or isinstance(highest, bool) or highest < 0:
            raise CentralError("HTTP 200: not central's answer (no highest seq)", 200)
        shift = shift.learned(highest)
        with database.atomic():
            shift.save()
            sync_state.update(central_sequence=sequence)
        log.info("ratings continue above seq %d, the highest central holds for this kiosk", highest)
        return shift

    # -- reporting -------------------------------------------------------------
    def _note_refusal(self, error):
        """Remember that central refused this kiosk's token (``/healthz`` says so)."""
        if error.token_refused:
            sync_state.update(token_refused=str(error))

    def _report(self, client, run):
        """Heartbeat, every pass whatever the batches did; its error, or None."""
        gap_error = self._check_sequence(run.sequence, run.shift) if run.sequence else sync_state.gap_error
        try:
            reply = client.heartbeat(self._heartbeat(gap_error))
            checked = self._check_sequence(reply["sequence"], run.shift)
            if checked != gap_error:
                # The heartbeat's answer changed the verdict (a gap found or gone): tell central now, not a pass later.
                client.heartbeat(self._heartbeat(checked))
        except CentralError as error:
            self._note_refusal(error)
            log.warning("heartbeat failed: %s", error)
            return error
        return None

    def _pull_config(self, client):
        if self.content_store is None:
            return
        document, etag = client.fetch_config(sync_state.config_etag)
        if document is None:
            return
        try:
            self.content_store.apply(document)
        except ConfigError as error:
            log.error("refused the config from central, keeping the current one: %s", error)
            sync_state.update(config_error=str(error))
            return
        sync_state.update(config_etag=etag, config_error=None)
        log.info("applied config from central (question %s v%s)", document["question"]["id"],
                 document["question"]["version"])

    def _check_sequence(self, sequence, shift):
        """Record central's view; after a full sync, a gap not explained by quarantine is an error."""
        sync_state.update(central_sequence=sequence)
        if Outbox.pending_count():
            return sync_state.gap_error
        local_highest = Rating.select(peewee.fn.MAX(Rating.seq)).scalar() or 0
        # In central's numbering; numbers no local row has are ratings a restore lost, not this kiosk's to send.
        missing = {wire: shift.local(wire) for wire in missing_at_central(sequence, shift.wire(local_highest))}
        quarantined = Rating.quarantined_seqs([seq for seq in missing.values() if seq is not None])
        unexplained = [wire for wire, seq in missing.items() if seq is not None and seq not in quarantined]
        gap_error = None
        if unexplained:
            gap_error = f"central lacks {len(unexplained)} rating(s) after a full sync, first seq {unexplained[0]}"
            log.error(gap_error)
        sync_state.update(gap_error=gap_error)
        return gap_error

    def _heartbeat(self, gap_error):
        oldest = Outbox.oldest_pending_time()
        return {
            "kiosk_id": self.kiosk_id,
            "software_version": software_version(),
            "pending": Outbox.pending_count(),
            "oldest_pending_seconds": (self.clock.now() - oldest).total_seconds() if oldest else None,
            "quarantined": Outbox.quarantined().count(),
            "boot_id": self.clock.boot_id(),
            "wall": format_time(self.clock.now()),
            "monotonic": self.clock.monotonic(),
            "clock_trusted": self.clock.trusted(),
            "free_disk_bytes": shutil.disk_usage(self.config.data_dir).free,
            "gap_error": gap_error,
        }

    def loop(self, stop=None, max_passes=None):
        """Pass after pass until *stop* is set (or *max_passes* ran)."""
        passes = 0
        skipped = None
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
