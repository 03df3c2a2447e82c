"""Power cut: every rating acknowledged with 201 survives SIGKILL of the kiosk."""
import sqlite3
import threading

import pytest
import requests

from tests.helpers.kiosk_process import KioskProcess

pytestmark = pytest.mark.slow


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
