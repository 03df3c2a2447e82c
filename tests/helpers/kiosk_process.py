"""A kiosk in its own process (python -m kiosk), for the tests that kill it."""

import os
import signal
import subprocess
import sys

from tests.helpers.live import answers, free_port, wait_for


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
