"""``hymy demo``: a realistic seeded week and a running kiosk."""
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from kiosk.cli.demo import seed_ratings
from kiosk.db import connection
from kiosk.models import Followup, Rating
from tests.conftest import free_port, wait_for


def test_seeded_week_looks_like_a_real_counter(kiosk):
    zone = ZoneInfo("Europe/Helsinki")
    with connection():
        count = seed_ratings(kiosk.kiosk_id, kiosk.recorder.content_store, zone, days=7, today=date(2026, 11, 23))
        rows = list(Rating.select())
        followups = list(Followup.select())
    assert count == len(rows) > 700
    days = Counter(r.recorded_at.astimezone(zone).date() for r in rows)
    assert sorted(days) == [date(2026, 11, d) for d in range(16, 23)]
    assert days[date(2026, 11, 21)] < days[date(2026, 11, 20)]  # Saturday is quieter than Friday
    hours = {r.recorded_at.astimezone(zone).hour for r in rows}
    assert min(hours) >= 8 and max(hours) <= 19
    faces = Counter(r.rating for r in rows)
    assert faces[4] > faces[1] > 0 and faces[2] > 0 and faces[3] > 0
    assert 0 < sum(r.filtered == "repeat" for r in rows) < len(rows) * 0.1
    assert len(followups) > len(rows) * 0.1
    assert any(f.comment for f in followups)
    assert [r.seq for r in sorted(rows, key=lambda r: r.seq)] == list(range(1, len(rows) + 1))


@pytest.mark.slow
def test_demo_serves_a_seeded_kiosk_that_syncs_to_its_central_and_cleans_up():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "demo", "--port", str(port), "--central-port", "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, HYMY_LOG_LEVEL="warning"),
    )
    try:
        first = process.stdout.readline()
        assert first.strip() == f"Hymy demo kiosk: http://127.0.0.1:{port}/"
        data_dir = Path(re.search(r"data in (\S+)", process.stdout.readline())[1].rstrip(";"))
        process.stdout.readline()  # health URL
        central_url = re.search(r"Central server: (\S+)/", process.stdout.readline())[1]
        process.stdout.readline()  # head-office user and password
        api_token = re.search(r"Bearer (hymy_u_\S+)'", process.stdout.readline())[1]
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert health["counts"]["total"] > 700 and health["buttons"] == "mock"
        assert health["sync"]["enrolled"] is True
        health_url = f"http://127.0.0.1:{port}/healthz"
        wait_for(lambda: requests.get(health_url, timeout=5).json()["counts"]["pending_sync"] == 0, 30)
        days = {"from": str(date.today() - timedelta(days=8)), "to": str(date.today())}
        exported = requests.get(f"{central_url}/api/v1/ratings", params=days,
                                headers={"Authorization": f"Bearer {api_token}"}, timeout=10)
        assert len(exported.text.strip().splitlines()) - 1 == health["counts"]["total"]
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
        assert requests.post(f"http://127.0.0.1:{port}/api/ratings", json={"rating": 4}, timeout=5).status_code == 201
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        process.stdout.close()
    assert not data_dir.exists()
