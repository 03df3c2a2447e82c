"""Power cut during ``hymy sync``: the command SIGKILLed mid-pass, again and again, against a real
central on loopback, while the kiosk keeps recording.

After each cut the kiosk's database passes SQLite's integrity check, every rating and follow-up
the kiosk acknowledged is still in it, and every row that left the outbox is at central. Then a
last ``hymy sync`` ships the rest: every row at central exactly once (ids and sequence), nothing
set aside, no gap reported.
"""
import random
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from kiosk.storage.db import connection
from kiosk.storage.state import sync_state
from tests.helpers.live import wait_for
from tests.helpers.world import kiosk_subprocess_env

pytestmark = pytest.mark.slow

CUTS = 4


def start_sync(world, log_path, *args):
    env = kiosk_subprocess_env(world, HYMY_SYNC_INTERVAL=1, HYMY_LOG_LEVEL="warning")
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "kiosk", "sync", *args], env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def kiosk_after_the_cut(world):
    """``(ids stored, ids still in the outbox)``, once SQLite's integrity check has passed."""
    with closing(sqlite3.connect(world.kiosk_db_path, timeout=30)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {item for (item,) in db.execute("SELECT id FROM rating UNION ALL SELECT id FROM followup")}
        outbox = {item for (item,) in db.execute("SELECT item_id FROM outbox")}
        seqs = [seq for (seq,) in db.execute("SELECT seq FROM rating ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    return stored, outbox


def test_sigkill_of_hymy_sync_mid_pass_repeatedly_loses_nothing(make_world, tmp_path):
    world = make_world(sync_batch_size=100, retention_days=3650)  # nothing is pruned: every row stays to check
    world.backlog(3000, followup_every=4)
    rng = random.Random(11)
    log_path = tmp_path / "sync.log"
    for cut in range(CUTS):
        # Both ways the command runs: one pass until the backlog is empty, and the loop.
        process = start_sync(world, log_path, *(("--loop",) if cut % 2 else ()))
        try:
            world.record(3, followup_every=2)  # the customers keep answering while it syncs
            target = world.central_count() + rng.randint(100, 500)  # mid-pass, a different place each time
            wait_for(lambda target=target: world.central_count() >= target, 60,
                     f"cut {cut + 1}: central never reached {target} rows", process, log_path.read_text)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL, log_path.read_text()
        stored, outbox = kiosk_after_the_cut(world)
        assert set(world.recorded) <= stored, f"cut {cut + 1}: acknowledged rows are gone from the kiosk"
        left = set(world.recorded) - outbox
        assert left <= set(world.central_ids()), f"cut {cut + 1}: rows left the outbox but are not at central"

    last = start_sync(world, log_path)
    assert last.wait(timeout=120) == 0, log_path.read_text()
    assert world.pending() == 0 and world.quarantined() == {}
    world.assert_exactly_once()
    with connection():
        assert sync_state.gap_error is None
    assert "Traceback" not in log_path.read_text(), log_path.read_text()
