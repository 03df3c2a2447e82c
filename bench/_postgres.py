"""A throwaway PostgreSQL cluster for bench scripts and the tests (which import it from here:
bench/ imports nothing from tests/).

    cluster = ThrowawayCluster()
    cluster.start()
    cluster.create_database("t_1")
    url = cluster.url("t_1")       # postgresql://postgres@127.0.0.1:PORT/t_1
    ...
    cluster.stop()                 # stops the server and deletes its directory

The cluster lives in a fresh temporary directory owned by the ``postgres``
user (PostgreSQL refuses to run as root), listens on a free loopback port and
a unix socket inside that directory, and trusts local connections. Debian
keeps the server binaries in /usr/lib/postgresql/<version>/bin, off PATH.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir():
    """The newest PostgreSQL server binary directory, or raise PostgresUnavailable."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not found:
        on_path = shutil.which("pg_ctl")
        if on_path is None:
            raise PostgresUnavailable("no PostgreSQL server binaries (install Debian's postgresql package)")
        return Path(on_path).parent
    return Path(found[-1]).parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayCluster:
    """One PostgreSQL server on a temporary directory, for one test session or bench run."""

    def __init__(self, bindir=None, user="postgres"):
        self.bindir = Path(bindir) if bindir else find_bindir()
        self.user = user  # the database superuser name (initdb -U)
        self.port = None
        self.root = None
        self._as_other_user = os.geteuid() == 0

    # -- running commands as the server's owner ---------------------------------------------
    def _run(self, *args, check=True):
        command = [str(self.bindir / args[0]), *map(str, args[1:])]
        if self._as_other_user:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    @property
    def datadir(self):
        return self.root / "data"

    @property
    def socket_dir(self):
        return self.root / "socket"

    def start(self):
        """initdb, then start the server; return self."""
        self.root = Path(tempfile.mkdtemp(prefix="hymy-pg-"))
        self.socket_dir.mkdir()
        if self._as_other_user:
            shutil.chown(self.root, SERVER_USER)
            shutil.chown(self.socket_dir, SERVER_USER)
        self._run("initdb", "-D", self.datadir, "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        self.port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.socket_dir}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        try:
            self._run("pg_ctl", "start", "-D", self.datadir, "-w", "-t", "60", "-o", options,
                      "-l", self.root / "server.log")
        except RuntimeError as error:
            log = self.root / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self._remove()
            raise RuntimeError(f"{error}\n{detail}") from None
        return self

    def url(self, dbname="postgres"):
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql, dbname="postgres"):
        """Run one SQL statement through psql; return its output."""
        return self._run("psql", "-h", self.socket_dir, "-p", self.port, "-U", self.user, "-d", dbname,
                         "-v", "ON_ERROR_STOP=1", "-qAtc", sql).stdout

    def create_database(self, name, template=None):
        """Create database *name* (a plain identifier), a copy of *template* if given; return its URL."""
        copy = f' TEMPLATE "{_plain(template)}"' if template else ""
        self._execute(f'CREATE DATABASE "{_plain(name)}"{copy}')
        return self.url(name)

    def drop_database(self, name):
        """Drop database *name*, ending any session still in it (a test's pool left open)."""
        self._execute(f'DROP DATABASE IF EXISTS "{_plain(name)}" WITH (FORCE)')

    def _execute(self, sql):
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def stop(self):
        """Stop the server and delete its directory (immediate: nothing in it is kept)."""
        if self.root is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", self.datadir, "-m", "immediate", "-w", "-t", "60", check=False)
        self._remove()

    def _remove(self):
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _plain(name):
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    return name
