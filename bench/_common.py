"""Helpers shared by the bench scripts: ports, subprocesses, timing and tables.

The scripts measure the kiosk and central as they run in the field, so they
start the real ``hymy kiosk`` and ``hymy central serve`` commands in
subprocesses on temporary data dirs, and always stop them again, whatever
happens in between.
"""
import gzip
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
# The benches run the checkout they sit in (kiosk, sync), whatever the current directory.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
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


def print_latencies(title, first_column, measured):
    """A p50/p99/max table: *measured* is ``[(label, summary_ms(...)), …]``."""
    print_table(title, [first_column, "p50 ms", "p99 ms", "max ms"],
                [[label, s["p50"], s["p99"], s["max"]] for label, s in measured])


def verdict(measured, goal, unit, at_least=False):
    """One line saying whether *measured* is under *goal* (or, *at_least*, not below it)."""
    ok = measured >= goal if at_least else measured < goal
    sign = ">=" if at_least else "<"
    return f"goal: {sign} {goal:g} {unit}; measured {measured:.2f} {unit}: {'MET' if ok else 'NOT MET'}"


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
    """An HTTP server in a subprocess, ready once *ready_path* answers 200.

    Output goes to a log file in *workdir* so a full pipe can never stall the
    server; the log's tail is shown when the server fails to start.
    """

    def __init__(self, command, port, workdir, env=None, ready_path="/healthz"):
        self.url = f"http://127.0.0.1:{port}"
        self.ready_path = ready_path
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
                if requests.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not answer {self.ready_path} within {START_TIMEOUT:g} s:\n{self.log_tail()}")

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


# --- central -----------------------------------------------------------------

#: The organisation every central bench sets up before its kiosks.
BENCH_SITE, BENCH_SERVICE, BENCH_PROVIDER = "Bench gate", "boarding", "Bench Ground Ltd"
WORKER_BOOT_GRACE_SECONDS = 3.0


def central_env(workdir, database_url=None, **settings):
    """``HYMY_CENTRAL_*`` variables for a central on *workdir* (SQLite there unless *database_url*)."""
    env = {"HYMY_CENTRAL_DATA_DIR": str(Path(workdir) / "central"), "HYMY_CENTRAL_LOG_LEVEL": "warning"}
    if database_url:
        env["HYMY_CENTRAL_DATABASE_URL"] = database_url
    env.update({f"HYMY_CENTRAL_{key.upper()}": str(value) for key, value in settings.items()})
    return env


def start_central(workdir, database_url=None, port=None, hymy=None, **settings):
    """Start ``hymy central serve`` (gunicorn) on a free loopback port.

    *settings* are central config keys (``workers=4``), passed the way an
    installer would set them. Central has no ``/healthz``; its OpenAPI document
    answers without a token once a worker is up. *hymy* is the command that
    stands for ``hymy`` (default :func:`hymy_command`): a bench may run the
    same CLI through a wrapper that changes one thing before the app is built.
    """
    port = port or free_port()
    Path(workdir).mkdir(parents=True, exist_ok=True)
    command = list(hymy or hymy_command()) + ["central", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = ServerProcess(command, port, workdir, central_env(workdir, database_url, **settings),
                           ready_path="/api/v1/openapi.json")
    # The first worker to boot answers the check; the others still run central's
    # schema set-up, which on PostgreSQL can deadlock with ingest already running
    # in the first and stop gunicorn. Measure a central whose workers are all up.
    time.sleep(WORKER_BOOT_GRACE_SECONDS)
    if server.process.poll() is not None:
        raise RuntimeError(f"central exited while its workers booted:\n{server.log_tail()}")
    return server


class CentralAdmin:
    """Runs ``hymy central …`` management commands against one central database.

    The commands run in this process through click's test runner rather than as
    subprocesses: the fleet bench adds 200 kiosks, and an interpreter start per
    kiosk would take minutes. The code path is the command's own.
    """

    def __init__(self, env):
        self.env = env

    def run(self, *args):
        from click.testing import CliRunner

        from kiosk.cli import main as hymy

        result = CliRunner().invoke(hymy, ["central", *map(str, args)], env=self.env, catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"hymy central {' '.join(map(str, args))}: {result.output.strip()}")
        return result.output

    def add_organisation(self):
        """The site, service and provider the bench kiosks stand at."""
        self.run("add-site", BENCH_SITE, "--timezone", "Europe/Helsinki")
        self.run("add-service", BENCH_SERVICE)
        self.run("add-provider", BENCH_PROVIDER)

    def add_kiosk(self, name):
        """Add a kiosk at the bench site; return its token (printed once, last line)."""
        output = self.run("add-kiosk", name, "--site", BENCH_SITE, "--service", BENCH_SERVICE,
                          "--provider", BENCH_PROVIDER)
        return output.strip().splitlines()[-1]


@contextmanager
def central_database(database_url):
    """Central's models bound to *database_url* (tables made by central's own code), for checks."""
    from sync.central.store.db import connection, open_central_database

    open_central_database(database_url)
    with connection() as db:
        yield db


def central_counts(database_url):
    """``(ratings, follow-ups)`` central holds."""
    from sync.central.store.models import Followup, Rating

    with central_database(database_url):
        return Rating.select().count(), Followup.select().count()


#: The test cluster turns fsync and synchronous_commit off for speed; the benches
#: measure durable commits, as a production server makes them.
DURABLE_POSTGRES_OPTIONS = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300"


@contextmanager
def postgres_cluster():
    """A throwaway PostgreSQL (bench/_postgres.py) on a free loopback port, durable, stopped after.

    The test suite's cluster starts with fsync off; it is restarted here with
    the durable defaults so the figures describe a real server's commits.
    Yields None when PostgreSQL cannot be started here, so a bench can say so
    and carry on with SQLite.
    """
    from _postgres import PostgresUnavailable, ThrowawayCluster

    cluster = ThrowawayCluster()
    try:
        cluster.start()
        options = (f"-c listen_addresses=127.0.0.1 -c port={cluster.port} "
                   f"-c unix_socket_directories={cluster.socket_dir} {DURABLE_POSTGRES_OPTIONS}")
        cluster._run("pg_ctl", "restart", "-D", cluster.datadir, "-m", "fast", "-w", "-t", "60",
                     "-o", options, "-l", cluster.root / "server.log")
    except (PostgresUnavailable, RuntimeError, OSError) as error:
        cluster.stop()
        print(f"PostgreSQL unavailable here: {str(error).splitlines()[0]}", file=sys.stderr)
        yield None
        return
    try:
        yield cluster
    finally:
        cluster.stop()


# --- rows in the wire protocol's shape -----------------------------------------

def kiosk_rows(kiosk_id, followup_every=10, first_seq=1, boot_id=None, start=None):
    """Endless ``(rating, follow-up or None)`` pairs in outbox order, as a busy kiosk records them.

    Ratings in the protocol's shape (``sync.wire.protocol.RATING_FIELDS``) from a
    trusted clock, a second or so apart; every *followup_every*-th rating is
    followed by its follow-up (the "what mattered most?" answer), every third
    of those with a comment. A few presses carry the kiosk's ``repeat`` flag.
    """
    from kiosk.storage.content import DEFAULT_REASONS
    from sync.wire.protocol import format_time

    boot_id = boot_id or str(uuid.uuid4())
    moment = start or datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    seq = first_seq
    while True:
        moment += timedelta(seconds=1 + seq % 7)
        monotonic = 1000.0 + (seq - first_seq) * 4.0
        rating = {
            "id": str(uuid.uuid4()), "seq": seq, "question_id": "service", "question_version": 1,
            "rating": seq % 4 + 1, "source": "button" if seq % 3 else "touch",
            "recorded_at": format_time(moment), "clock_trusted": True, "boot_id": boot_id,
            "monotonic": monotonic, "filtered": "repeat" if seq % 50 == 0 else None,
        }
        followup = None
        if followup_every and seq % followup_every == 0:
            reason = DEFAULT_REASONS[seq % len(DEFAULT_REASONS)]
            followup = {
                "id": str(uuid.uuid4()), "rating_id": rating["id"], "reason": reason.key,
                "reason_group": reason.group,
                "comment": "Long queue at the counter, but the staff were kind." if seq % 3 == 0 else None,
                "recorded_at": format_time(moment + timedelta(seconds=3)), "clock_trusted": True,
                "boot_id": boot_id, "monotonic": monotonic + 3.0,
            }
        yield rating, followup
        seq += 1


def take_rows(rows, count):
    """About *count* rows of a :func:`kiosk_rows` stream, as ``(ratings, follow-ups)``.

    A follow-up stays in its rating's batch (one row over *count* at most), as
    the uploader never sends a follow-up before its rating is answered.
    """
    ratings, followups = [], []
    while len(ratings) + len(followups) < count:
        rating, followup = next(rows)
        ratings.append(rating)
        if followup:
            followups.append(followup)
    return ratings, followups


def batch_document(kiosk_id, ratings, followups, boot_id=None):
    """A batch envelope around *ratings* and *followups*, as ``kiosk.storage.outbox.build_batch`` makes it.

    It carries the definitions of the question versions and reasons its rows
    cite, as the uploader's batches do.
    """
    from kiosk.config import LANGUAGES
    from kiosk.storage.content import Question
    from sync.common.version import software_version
    from sync.wire.protocol import format_time

    cited = sorted({(r["question_id"], r["question_version"]) for r in ratings})
    return {
        "batch_id": str(uuid.uuid4()),
        "kiosk_id": kiosk_id,
        "software_version": software_version(),
        "sent_at": format_time(datetime.now(timezone.utc)),
        "boot_id": boot_id or (ratings[0]["boot_id"] if ratings else str(uuid.uuid4())),
        "monotonic": time.monotonic(),
        "clock_trusted": True,
        "boots": [],
        "questions": [{"id": key, "version": version, "texts": Question(key, version).all_texts(LANGUAGES)}
                      for key, version in cited],
        "reasons": [{"key": k, "group": g} for k, g in sorted({(f["reason"], f["reason_group"]) for f in followups})],
        "ratings": ratings,
        "followups": followups,
    }


def encode_batch(document):
    """``(body, headers)`` of *document* as the uploader's client sends it (compact JSON, gzip when large)."""
    from sync.uploader.client import GZIP_ABOVE_BYTES

    body = json.dumps(document, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if len(body) > GZIP_ABOVE_BYTES:
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return body, headers


def central_client(url, token, retries=0):
    """The uploader's own HTTP client for a kiosk *token*; no retries, so every failure counts."""
    from kiosk.storage.enrollment import Enrollment
    from sync.uploader.client import CentralClient

    return CentralClient(Enrollment(url, token), retries=retries)
