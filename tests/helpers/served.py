"""Central as it runs in the field, for the power-cut and scale-out tests.

:class:`CentralDatabase` is one central database (a SQLite file or a database
in the session's PostgreSQL cluster) with the ways a test reaches it: the
``hymy central`` commands (through click's runner, in this process), the
environment an installer would give ``hymy central serve``, and a plain DB-API
connection for reading what is on disk as another program would find it.

:class:`ServedCentral` is ``hymy central serve`` (gunicorn: a master and its
workers) in a process group of its own, so one SIGKILL cuts the power to all
of it at once, and it starts again on the same port.
"""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import main
from sync.central.store.models import central_db
from tests.helpers.live import answers, free_port, wait_for
from tests.helpers.receivers import SINKS_ENV


@dataclass
class CentralDatabase:
    url: str
    data_dir: Path

    @property
    def backend(self):
        return "sqlite" if self.url.startswith("sqlite:") else "postgresql"

    def cli(self, *args):
        """``hymy central ARGS`` on this database; its output (a failure fails the test)."""
        environment = {"HYMY_CENTRAL_DATABASE_URL": self.url, "HYMY_CENTRAL_DATA_DIR": str(self.data_dir),
                       "HYMY_CENTRAL_CONFIG": None, "DATABASE_URL": None, **SINKS_ENV}
        try:
            result = CliRunner().invoke(main, ["central", *args], env=environment, catch_exceptions=False)
        finally:
            # A command binds central's models to a database of its own, as its process would; close it
            # (a PostgreSQL pool's idle connections too) rather than leave it open for the whole session.
            database = central_db.obj
            if database is not None and not database.is_closed():
                database.close()
            if hasattr(database, "close_all"):
                database.close_all()
        assert result.exit_code == 0, f"hymy central {' '.join(args)}: {result.output}"
        return result.output

    def add_kiosk(self, name, site, service="checkout"):
        """``add-kiosk``; the token it printed."""
        return self.cli("add-kiosk", name, "--site", site, "--service", service).strip().splitlines()[-1]

    def env(self, **settings):
        """The environment of a ``hymy central`` process on this database; *settings* are config keys."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_") and k != "DATABASE_URL"}
        env.update(HYMY_CENTRAL_DATABASE_URL=self.url, HYMY_CENTRAL_DATA_DIR=str(self.data_dir),
                   HYMY_CENTRAL_LOG_LEVEL="warning")
        env.update({f"HYMY_CENTRAL_{key.upper()}": str(value) for key, value in settings.items()})
        return env

    def connect(self):
        """A plain DB-API connection (sqlite3 or psycopg2, autocommit) to read what is stored."""
        if self.backend == "sqlite":
            return sqlite3.connect(self.url[len("sqlite:///"):], timeout=30, isolation_level=None)
        import psycopg2

        connection = psycopg2.connect(self.url)
        connection.autocommit = True
        return connection


class ServedCentral:
    """``hymy central serve`` in a process group of its own, on a port that outlives it."""

    def __init__(self, database, workdir, port=None, workers=2, **settings):
        self.database = database
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.settings = settings
        self.log_path = Path(workdir) / f"central-{self.port}.log"
        self.process = None

    def start(self):
        """Start it and wait until a worker answers; return self."""
        return self.launch().wait_ready()

    def launch(self):
        """Start it without waiting (several centrals boot side by side); return self."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kiosk", "central", "serve", "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=self.database.env(**self.settings), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the master and every worker it forks
            )
        return self

    def wait_ready(self):
        wait_for(lambda: answers(f"{self.url}/api/v1/openapi.json"), 60, "central did not start", self.process,
                 self.log)
        return self

    def log(self):
        return self.log_path.read_text(errors="replace")[-4000:]

    def power_cut(self):
        """SIGKILL the master and its workers at once, as a power cut would stop them."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # The workers die with the master; once none holds the listening socket, connections are refused.
        wait_for(self._refused, 10, f"a worker of the killed central on port {self.port} still listens")

    def _refused(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    def stop(self):
        """The clean stop (SIGTERM to the group); safe after a power cut or twice."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
