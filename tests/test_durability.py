"""Power cut: every rating acknowledged with 201 survives SIGKILL of the kiosk."""
import os
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest
import requests

from tests.conftest import answers, free_port, wait_for

pytestmark = pytest.mark.slow


class KioskProcess:
    """``hymy kiosk`` as a separate process on a data dir that outlives it."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HYMY_DATA_DIR=str(data_dir), HYMY_PIN_FACTORY="mock", HYMY_LOG_LEVEL="warning")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "kiosk", "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self._wait_ready()

    def _wait_ready(self):
        wait_for(lambda: answers(f"{self.url}/healthz"), 30, "kiosk did not start", self.process,
                 lambda: self.process.stderr.read().decode())

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process.stderr.close()


def tap_until_refused(url, acknowledged, stop):
    """Tap as fast as possible, noting every 201, until the server is gone."""
    with requests.Session() as session:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                reply = session.post(f"{url}/api/ratings", json={"rating": n % 4 + 1}, timeout=5)
            except requests.RequestException:
                return
            if reply.status_code == 201:
                acknowledged.append(reply.json()["id"])


def test_acknowledged_ratings_survive_sigkill_mid_stream(tmp_path):
    data_dir = tmp_path / "data"
    acknowledged = []
    for _ in range(3):
        kiosk = KioskProcess(data_dir)
        before = len(acknowledged)
        stop = threading.Event()
        tapper = threading.Thread(target=tap_until_refused, args=(kiosk.url, acknowledged, stop))
        tapper.start()
        while len(acknowledged) < before + 150 and tapper.is_alive():
            threading.Event().wait(0.01)
        kiosk.kill()  # mid-stream: the tapper is still sending
        stop.set()
        tapper.join(timeout=10)
        assert len(acknowledged) >= before + 150

    database = sqlite3.connect(data_dir / "hymy.sqlite3")
    assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in database.execute("SELECT id FROM rating")}
    assert set(acknowledged) <= stored
    sequence = [row[0] for row in database.execute("SELECT seq FROM rating ORDER BY seq")]
    assert sequence == list(range(1, len(sequence) + 1))
    pending = database.execute("SELECT count(*) FROM outbox").fetchone()[0]
    assert pending == len(sequence)  # every stored rating is still queued for sync
    database.close()

    kiosk = KioskProcess(data_dir)  # and the kiosk starts again on that database
    try:
        assert requests.get(f"{kiosk.url}/healthz", timeout=5).json()["counts"]["total"] == len(stored)
    finally:
        kiosk.kill()
