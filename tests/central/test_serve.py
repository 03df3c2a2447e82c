"""``hymy central serve``: the production server (gunicorn) starts, answers and stops."""
import os
import signal
import subprocess
import sys

import pytest
import requests

from tests.helpers.live import answers, free_port, wait_for

pytestmark = pytest.mark.slow


def test_central_serve_runs_under_gunicorn_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_") and k != "DATABASE_URL"}
    env["HYMY_CENTRAL_DATA_DIR"] = str(tmp_path / "central")
    log = tmp_path / "central.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "central", "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(f"{url}/api/v1/openapi.json"), 30, "central did not start", process, log.read_text)
        refused = requests.post(f"{url}/api/v1/batches", json={}, timeout=5)
        assert refused.status_code == 401 and refused.json()["error"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    assert "Booting worker" in log.read_text()
