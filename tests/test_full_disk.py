"""A full disk, for real: the kiosk's data dir on a small tmpfs the test fills up.

Each press then gets the failure LED pattern and each tap a 503 (the screen
thanks the customer all the same); /healthz and the manager's Kiosk page say
why; nothing half-written stays behind; and once space returns, the next
press is stored without a restart.
"""
import errno
import sqlite3
import subprocess
from collections import Counter
from html import unescape

import pytest

from kiosk.buttons.panel import FAILED, RECORDED
from kiosk.manager.pin import set_pin
from tests.helpers.buttons import lit_count, press
from tests.helpers.kiosk_db import stored_ratings
from tests.helpers.live import wait_for
from tests.helpers.manager import PIN, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB file system of the test's own (tmpfs), unmounted after."""
    target = tmp_path / "disk"
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(target)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"mounting a tmpfs needs root (the test command runs as root): {done.stderr.strip()}")
    yield target
    subprocess.run(["umount", "-l", str(target)], check=True)


def fill(directory):
    """Write a file until the file system has no byte left; return it."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as error:
            assert error.errno == errno.ENOSPC
        try:
            while True:
                out.write(b"\0")
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def counts_agree(path):
    """The hourly counts equal the raw rows, every rating is queued, the sequence has no hole."""
    with sqlite3.connect(path) as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        faces = Counter(dict(database.execute("SELECT rating, count(*) FROM rating GROUP BY rating")))
        hourly = database.execute("SELECT sum(face_1), sum(face_2), sum(face_3), sum(face_4) FROM hourly_count")
        assert list(hourly.fetchone()) == [faces.get(face, 0) for face in (1, 2, 3, 4)]
        seqs = [seq for (seq,) in database.execute("SELECT seq FROM rating ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        queued = database.execute("SELECT count(*) FROM outbox WHERE kind = 'rating'").fetchone()[0]
        assert queued == len(seqs)


def stored_failure(client):
    """The /healthz reasons about ratings that could not be stored."""
    return [reason for reason in client.get("/healthz").json["reasons"] if "cannot be stored" in reason]


def test_a_full_disk_is_said_everywhere_and_recording_resumes_by_itself(make_app, clock, small_disk):
    app = make_app(data_dir=str(small_disk / "data"), language="en", press_interval=0.0)
    kiosk = app.extensions["hymy"]
    client = app.test_client()
    set_pin(kiosk.config.data_dir, PIN)
    assert sign_in(client).status_code in (200, 302)
    for face in (4, 3, 4):
        assert client.post("/api/ratings", json={"rating": face}).status_code == 201
    assert not stored_failure(client)  # (a 3 MB disk is below the low-space mark: that reason stands)

    filler = fill(small_disk)
    statuses = []
    while 503 not in statuses and len(statuses) < 3000:  # until the database must grow
        statuses.append(client.post("/api/ratings", json={"rating": 2}).status_code)
    assert statuses[-1] == 503 and set(statuses[:-1]) <= {201}
    assert client.post("/api/ratings", json={"rating": 2}).json["error"] == "the rating could not be stored; try again"
    press(kiosk, 1, clock)
    wait_for(lambda: lit_count(kiosk.buttons.led_pin(1)) == FAILED.count and not kiosk.buttons.led_pin(1).state)

    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["status"] == "degraded"
    (reason,) = stored_failure(client)
    assert "ratings cannot be stored since" in reason and "the disk is full" in reason
    assert "3 ratings not stored" in reason and "recording resumes by itself" in reason
    assert health.json["disk"]["free_bytes"] < 1024 * 1024
    page = unescape(client.get("/manager/kiosk").get_data(as_text=True))
    assert "Cannot be stored now" in page and "the disk is full" in page
    counts_agree(kiosk.config.database_path)
    stored_before = len(stored_ratings())

    filler.unlink()  # space returns: no restart, the next press is stored
    press(kiosk, 4, clock)
    led = kiosk.buttons.led_pin(4)
    wait_for(lambda: lit_count(led) == RECORDED.count and not led.state)
    assert client.post("/api/ratings", json={"rating": 3}).status_code == 201
    assert len(stored_ratings()) == stored_before + 2
    assert not stored_failure(client)
    assert "Cannot be stored now" not in client.get("/manager/kiosk").get_data(as_text=True)
    counts_agree(kiosk.config.database_path)


def test_little_space_left_is_said_before_a_rating_fails(make_app, small_disk):
    app = make_app(data_dir=str(small_disk / "data"))
    client = app.test_client()
    assert client.post("/api/ratings", json={"rating": 4}).status_code == 201
    (reason,) = client.get("/healthz").json["reasons"]  # a 3 MB disk is under the 50 MB mark
    assert reason.startswith("only ") and "MB free in data_dir" in reason
