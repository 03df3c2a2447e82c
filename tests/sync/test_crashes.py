"""The uploader killed with SIGKILL mid-batch and restarted, and two uploaders
on one kiosk at once: every rating still arrives exactly once."""
import logging
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from tests.helpers.live import wait_for
from tests.helpers.proxy import FORWARD, HOLD
from tests.helpers.world import kiosk_subprocess_env

pytestmark = pytest.mark.slow


def start_uploader(world, log_path, *args):
    # One batch on the wire at a time, so the test can say exactly which batch is in limbo.
    env = kiosk_subprocess_env(world, HYMY_SYNC_INTERVAL=1, HYMY_LOG_LEVEL="warning", HYMY_SYNC_IN_FLIGHT=1)
    with open(log_path, "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "kiosk", "sync", *args], env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def test_sigkill_of_the_uploader_mid_batch_then_restart(make_world, tmp_path):
    batches_seen = 0

    def decide(exchange):
        nonlocal batches_seen
        if exchange.is_batch:
            batches_seen += 1
            if batches_seen == 10:
                return HOLD  # central commits batch 10; its answer waits until the uploader is dead
        return FORWARD

    world = make_world(proxy={"decide": decide}, sync_batch_size=200)
    world.backlog(20_000, followup_every=0)
    assert world.pending() == 20_001

    first_log = tmp_path / "uploader-1.log"
    first = start_uploader(world, first_log, "--loop")
    try:
        wait_for(world.proxy.held.is_set, 60, "batch 10 never reached central", first, first_log.read_text)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
        world.proxy.release()
    # Central committed ten batches; the kiosk settled nine: batch 10 is in limbo.
    assert world.central_count() == 10 * 200
    assert world.pending() == 20_001 - 9 * 200
    assert (world.config.data_dir / "sync.lock").exists()

    second_log = tmp_path / "uploader-2.log"
    second = start_uploader(world, second_log, "--loop")
    try:
        wait_for(lambda: world.pending() == 0, 120, "the restarted uploader did not drain the backlog",
                 second, second_log.read_text)
        second.send_signal(signal.SIGTERM)  # the loop's clean stop
        assert second.wait(timeout=20) == 0, second_log.read_text()
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(timeout=10)
    log = second_log.read_text()
    assert "another uploader" not in log and "Traceback" not in log, log
    world.assert_exactly_once()
    # The restarted uploader resent batch 10 first; central knew every row of it.
    resent = world.proxy.answered_batches()[10]
    assert resent.row_ids() == world.proxy.batches()[9].row_ids()
    assert (resent.answer["accepted"], resent.answer["duplicates"]) == (0, 200)


def test_two_uploaders_at_once(make_world, caplog):
    world = make_world(proxy={"batch_pause": 0.005}, sync_batch_size=25)
    world.backlog(1500, followup_every=4)
    uploaders = [world.uploader, world.make_uploader(seed=2)]
    recording_done = threading.Event()
    start = threading.Barrier(len(uploaders) + 1)
    crashes = []

    def run(uploader):
        start.wait()
        try:
            deadline = time.monotonic() + 60
            while not (recording_done.is_set() and world.pending() == 0) and time.monotonic() < deadline:
                uploader.loop(max_passes=1)
        except BaseException as error:  # noqa: B036 - a crash of either is the failure under test
            crashes.append(error)

    caplog.set_level(logging.INFO, logger="sync.uploader.loop")
    threads = [threading.Thread(target=run, args=(u,)) for u in uploaders]
    for thread in threads:
        thread.start()
    start.wait()
    slowest = 0.0
    for _ in range(40):  # the customers keep answering while both uploaders run
        began = time.monotonic()
        world.record(1, followup_every=1)
        slowest = max(slowest, time.monotonic() - began)
    recording_done.set()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)

    assert crashes == []
    assert world.pending() == 0
    world.assert_exactly_once()
    assert slowest < 1.0, f"a rating waited {slowest:.2f} s for the uploaders"
    # The lock kept them apart: never more on the wire than one uploader's own
    # pipeline, and no row sent twice.
    assert world.proxy.most_batches_in_flight <= world.uploader.config.sync_in_flight
    sent = Counter(row for exchange in world.proxy.batches() for row in exchange.row_ids())
    assert max(sent.values()) == 1
    answers = [b.answer for b in world.proxy.answered_batches()]
    assert sum(a["duplicates"] for a in answers) == 0
    assert any("another uploader is running" in r.getMessage() for r in caplog.records)
