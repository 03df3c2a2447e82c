"""Helpers shared by the bench scripts: ports, subprocesses, timing and tables.

The scripts measure the kiosk as it runs in the field, so they start the real
``hymy kiosk`` command in a subprocess on a temporary data dir with simulated
buttons, and always stop it again, whatever happens in between.
"""
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

BENCH_DIR = Path(__file__).resolve().parent
#: How long a server subprocess may take to answer /healthz before we give up.
START_TIMEOUT = 30.0


def free_port():
    """A loopback port that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples, fraction):
    """The nearest-rank percentile of *samples* (0 < fraction <= 1)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary_ms(samples):
    """p50, p99 and max of durations in seconds, as milliseconds."""
    return {
        "p50": percentile(samples, 0.50) * 1000,
        "p99": percentile(samples, 0.99) * 1000,
        "max": max(samples) * 1000,
    }


def time_each(action, count):
    """Call ``action(i)`` *count* times; return each call's wall duration in seconds."""
    durations = []
    for i in range(count):
        started = time.perf_counter()
        action(i)
        durations.append(time.perf_counter() - started)
    return durations


def print_table(title, header, rows):
    """Print a small fixed-width table; numbers get two decimals."""
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    line = "  ".join(("{:<%d}" if i == 0 else "{:>%d}") % w for i, w in enumerate(widths))
    print(title)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in cells:
        print(line.format(*row))


def verdict(measured, goal, unit):
    """One line saying whether *measured* is under *goal*."""
    met = "MET" if measured < goal else "NOT MET"
    return f"goal: < {goal:g} {unit}; measured {measured:.2f} {unit}: {met}"


@contextmanager
def temp_dir(prefix, base=None):
    """A temporary directory (under *base* if given) removed afterwards, even after a failure."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def hymy_command():
    """The ``hymy`` console script of the running interpreter's environment."""
    script = Path(sys.executable).parent / "hymy"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "kiosk.cli"]


class ServerProcess:
    """An HTTP server in a subprocess, ready once ``/healthz`` answers 200.

    Output goes to a log file in *workdir* so a full pipe can never stall the
    server; the log's tail is shown when the server fails to start.
    """

    def __init__(self, command, port, workdir, env=None):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = Path(workdir) / f"server-{port}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command, cwd=workdir, env={**os.environ, **(env or {})},
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self):
        return self.process.pid

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not answer /healthz within {START_TIMEOUT:g} s:\n{self.log_tail()}")

    def log_tail(self, lines=20):
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self):
        """SIGTERM, then SIGKILL if it lingers; safe to call twice."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_kiosk(workdir, port=None, **settings):
    """Start ``hymy kiosk`` on a free port with its data dir under *workdir*.

    *settings* become ``HYMY_<KEY>`` variables (after the defaults below), the
    same way an installer would set them.
    """
    port = port or free_port()
    env = {
        "HYMY_DATA_DIR": str(Path(workdir) / "data"),
        "HYMY_PIN_FACTORY": "mock",
        "HYMY_LOG_LEVEL": "warning",
    }
    env.update({f"HYMY_{key.upper()}": str(value) for key, value in settings.items()})
    command = hymy_command() + ["kiosk", "--host", "127.0.0.1", "--port", str(port)]
    return ServerProcess(command, port, workdir, env)


def start_script(name, workdir, *args, port=None):
    """Start another script of this folder as a server with ``--port``."""
    port = port or free_port()
    command = [sys.executable, str(BENCH_DIR / name), "--port", str(port), *map(str, args)]
    return ServerProcess(command, port, workdir)


def read_proc_status(pid, field):
    """A ``kB`` field of /proc/PID/status (VmRSS, VmHWM...), in megabytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)
