"""Two edges of an upload pass with batches in flight: answers that come back in another order
than central stored them, and a process stopping while a pass is under way.

Central is real (the world's, on loopback); a WSGI layer in front of it holds a request until
the test says, so which batch central stores first is the test's choice, not the scheduler's.
"""
import logging
import threading

import pytest

from kiosk.storage.db import connection
from kiosk.storage.state import sync_state

BATCHES = "/api/v1/batches"


class Gate:
    """In front of central: the first batch waits until the second has been stored and answered."""

    def __init__(self, app):
        self.app = app
        self.second_done = threading.Event()
        self.batches = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] != BATCHES:
            return self.app(environ, start_response)
        with self._lock:
            self.batches += 1
            number = self.batches
        if number == 1:
            assert self.second_done.wait(timeout=30), "the second batch never came"
            return self.app(environ, start_response)
        try:
            return list(self.app(environ, start_response))
        finally:
            if number == 2:
                self.second_done.set()


def test_a_later_batch_stored_first_is_no_gap_after_the_pass(make_world, caplog):
    """Central stores batch 2 first and answers it with batch 1's rows as a gap; batch 1 fills it.
    The pass ends with central's newest view: no gap, no error."""
    world = make_world(sync_batch_size=5, sync_in_flight=2)
    world.record(8, followup_every=0)
    gate = Gate(world.access_log.app)
    world.access_log.app = gate
    with caplog.at_level(logging.INFO, logger="sync.uploader.loop"):
        result = world.uploader.run_pass()
    assert result["sent"] == 8 and gate.batches == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    with connection():
        assert sync_state.gap_error is None
        assert sync_state.central_sequence == {"contiguous": 8, "highest": 8, "gaps": []}


class StopOnSecondBatch:
    """In front of central: the process is told to stop while the second batch is at central;
    with *fail*, central goes away then (that batch gets no answer)."""

    def __init__(self, app, stop, fail=False):
        self.app, self.stop, self.fail = app, stop, fail
        self.seen = []

    def __call__(self, environ, start_response):
        self.seen.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == BATCHES and self.seen.count(BATCHES) == 2:
            self.stop.set()
        if self.fail and self.stop.is_set():
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"stopping"]
        return self.app(environ, start_response)


@pytest.mark.parametrize("fail", [False, True], ids=["answered", "central-gone"])
def test_a_stop_during_a_pass_sends_nothing_more_and_says_nothing(make_world, caplog, fail):
    """Ctrl+C or SIGTERM while a pass is under way: the batch on the wire settles, no new batch
    leaves, no heartbeat, and a batch central dropped while stopping is no warning."""
    world = make_world(sync_batch_size=5, sync_in_flight=1)
    world.record(20, followup_every=0)
    stop = threading.Event()
    layer = StopOnSecondBatch(world.access_log.app, stop, fail=fail)
    world.access_log.app = layer
    with caplog.at_level(logging.INFO, logger="sync.uploader.loop"):
        passes = world.uploader.loop(stop)
    assert passes == 1
    # The second batch is the last to leave (the client asks twice more after a 503: it is the same batch).
    assert layer.seen.count(BATCHES) == (4 if fail else 2) and "/api/v1/heartbeat" not in layer.seen, layer.seen
    assert world.pending() == (15 if fail else 10)  # what central stored is settled, the rest waits
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
