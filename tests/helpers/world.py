"""The whole data path on loopback: a kiosk, the uploader, a real central.

``make_world()`` (a fixture in tests/conftest.py) builds one test world:

- a central app on its default SQLite (in tmp), on a FakeClock that stands
  for real time, served by waitress on loopback, with an organisation made
  through the real ``hymy central`` commands and an access log;
- a kiosk app (own data dir, FakeClock, mock pins, ``sync_in_kiosk=False``),
  enrolled through the real ``hymy enroll`` command, optionally through a
  :class:`~tests.helpers.proxy.FaultProxy`;
- an :class:`~sync.uploader.loop.Uploader` on the kiosk's clock.

The kiosk's database and central's are process-wide in this code base, so a
test has one world.
"""

import os
import random
import sqlite3
import threading
import uuid
from collections import Counter
from contextlib import closing, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import peewee
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.storage.db import connection, database, open_database
from kiosk.storage.models import Outbox
from sync.common.clock import FakeClock
from sync.uploader.loop import Uploader
from tests.helpers.backlog import WALL_FORMAT, insert_backlog
from tests.helpers.live import LiveServer
from tests.helpers.proxy import FaultProxy

#: The simulated truth at the start of every test: Monday 5 January 2026, 10:00 UTC (12:00 in Helsinki).
START = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


REASONS = ("staff", "waiting", "outcome", "premises", "information")


class RecordingClock(FakeClock):
    """A FakeClock that keeps every wait asked of it, so tests can read the backoff."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sleeps = []

    def sleep(self, seconds, stop=None):
        self.sleeps.append(seconds)
        super().sleep(seconds, stop)


class AccessLog:
    """WSGI middleware keeping ``(method, path, status, If-None-Match)`` of each request."""

    def __init__(self, app):
        self.app = app
        self.entries = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        def record(status, headers, exc_info=None):
            with self._lock:
                self.entries.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status[:3]),
                                     environ.get("HTTP_IF_NONE_MATCH")))
            return start_response(status, headers, exc_info)

        return self.app(environ, record)

    def of(self, method, path):
        with self._lock:
            return [e for e in self.entries if e[0] == method and e[1] == path]


def cli(args, env, input=None):
    """Run ``hymy ARGS`` through click's runner (*input* on its standard input); return the result."""
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False, input=input)


@dataclass
class World:
    tmp_path: Path
    central_dir: Path
    central_clock: FakeClock
    central_app: object
    access_log: AccessLog
    central: LiveServer
    app: object  # the kiosk app
    clock: RecordingClock  # the kiosk's clock
    token: str
    kiosk_env: dict
    central_env: dict
    proxy: FaultProxy | None = None
    uploader: Uploader | None = None
    recorded: list = field(default_factory=list)  # every rating and follow-up id the kiosk acknowledged
    truth: dict = field(default_factory=dict)  # id -> central's (real) time when it was recorded
    _rng: random.Random = field(default_factory=lambda: random.Random(7))

    # -- parts ---------------------------------------------------------------
    @property
    def kiosk(self):
        return self.app.extensions["hymy"]

    @property
    def kiosk_id(self):
        return self.kiosk.kiosk_id

    @property
    def config(self):
        return self.kiosk.config

    @property
    def central_url(self):
        """Where the kiosk reaches central: the proxy when there is one."""
        return self.proxy.url if self.proxy else self.central.url

    @property
    def central_db_path(self):
        return self.central_dir / "central.sqlite3"

    @property
    def kiosk_db_path(self):
        return self.config.database_path

    def make_uploader(self, seed=1, **overrides):
        config = self.config
        if overrides:
            config = replace(config, **overrides)
        return Uploader(config, self.kiosk_id, self.clock, self.kiosk.content_store, rng=random.Random(seed))

    # -- time ----------------------------------------------------------------
    def advance(self, seconds):
        """Let real time pass: the kiosk's clocks and central's move together."""
        self.clock.advance(seconds)
        self.central_clock.advance(seconds)

    # -- the kiosk -----------------------------------------------------------
    def record(self, n, followup_every=3, step=7.0):
        """Record *n* ratings (every *followup_every*-th with a follow-up), *step* seconds apart."""
        recorder = self.kiosk.recorder
        made = []
        for i in range(n):
            self.advance(step)
            recorded = recorder.record(self._rng.randint(1, 4), self._rng.choice(("touch", "button")))
            made.append(recorded.id)
            self.truth[recorded.id] = self.central_clock.now()
            if followup_every and i % followup_every == followup_every - 1:
                self.advance(2.0)
                comment = "jonossa kesti" if i % 2 else None
                followup_id = recorder.record_followup(recorded.id, self._rng.choice(REASONS), comment)
                made.append(followup_id)
                self.truth[followup_id] = self.central_clock.now()
        self.recorded.extend(made)
        return made

    def backlog(self, n, followup_every=5):
        """Append *n* ratings straight into the kiosk's database in one transaction
        (as the recorder writes them; a month offline at a busy gate, fast)."""
        self.record(1, followup_every=0)  # the question text and the boot, as the recorder keeps them
        ratings, followups = insert_backlog(self.kiosk, [i % 4 + 1 for i in range(1, n + 1)], followup_every,
                                            reason=("staff", "attitude"))
        self.advance(5 * n)
        made = ratings + followups
        self.recorded.extend(made)
        return made

    def kiosk_db(self):
        """A raw connection to the kiosk's database; ``with world.kiosk_db() as db:`` commits and closes."""
        return _Committing(self.kiosk_db_path)

    def kiosk_query(self, sql, params=()):
        with closing(sqlite3.connect(self.kiosk_db_path, timeout=30)) as db:
            return db.execute(sql, params).fetchall()

    def pending(self):
        with connection():
            return Outbox.pending_count()

    def quarantined(self):
        return dict(self.kiosk_query("SELECT item_id, quarantine_reason FROM outbox WHERE quarantined_at IS NOT NULL"))

    # -- central -------------------------------------------------------------
    def central_query(self, sql, params=()):
        with closing(sqlite3.connect(self.central_db_path, timeout=30)) as db:
            return db.execute(sql, params).fetchall()

    def central_execute(self, sql, params=()):
        with closing(sqlite3.connect(self.central_db_path, timeout=30)) as db, db:
            db.execute(sql, params)

    def central_ids(self):
        """Every rating and follow-up id central holds, as a list (repeats would show)."""
        return [row[0] for row in self.central_query("SELECT id FROM rating UNION ALL SELECT id FROM followup")]

    def central_count(self):
        return self.central_query("SELECT (SELECT COUNT(*) FROM rating) + (SELECT COUNT(*) FROM followup)")[0][0]

    def central_cli(self, *args):
        result = cli(["central", *args], self.central_env)
        assert result.exit_code == 0, result.output
        return result.output

    def kiosk_cli(self, *args, input=None):
        """``hymy ARGS`` on the kiosk's data dir, on the kiosk's clock (as the kiosk app is)."""
        with mock.patch("kiosk.cli.sync_commands.SystemClock", lambda trust="auto": self.clock):
            result = cli(list(args), self.kiosk_env, input)
        # A command is a process of its own: ``--status`` binds the process's database read-only,
        # which would outlive it here. Bind it back as the kiosk process has it.
        if database.database != str(self.kiosk_db_path):
            with suppress(peewee.DatabaseError):  # a test that broke the file on purpose
                open_database(self.kiosk_db_path)
        return result

    def status_lines(self):
        result = self.kiosk_cli("sync", "--status")
        assert result.exit_code == 0, result.output
        return result.output

    def enroll(self, token=None, url=None):
        """``hymy enroll`` with the kiosk's default timeouts.

        A test's short ``sync_read_timeout`` is meant for the uploader's batches: under load
        the enrollment answer may take longer than it, which is not what such a test is about.
        """
        saved = self.kiosk_env.pop("HYMY_SYNC_READ_TIMEOUT", None)
        try:
            # The token on standard input, as an installer's script gives it (never in argv).
            return self.kiosk_cli("enroll", url or self.central_url, input=f"{token or self.token}\n")
        finally:
            if saved is not None:
                self.kiosk_env["HYMY_SYNC_READ_TIMEOUT"] = saved

    def restart_central(self):
        """Start central again on the port it had (after ``world.central.close()``)."""
        self.central = LiveServer(self.access_log, port=self.central.port)

    def sync_until_empty(self, uploader=None, passes=50):
        """Loop passes until nothing is pending; return the passes it took."""
        uploader = uploader or self.uploader
        for n in range(1, passes + 1):
            uploader.loop(max_passes=1)
            if self.pending() == 0:
                return n
        raise AssertionError(f"still {self.pending()} pending after {passes} passes")

    def assert_exactly_once(self, kiosk_ids=None, holes=()):
        """Exactly once, no conflicts, and central's sequence 1..n without gaps (but *holes*)."""
        assert_exactly_once(self.recorded if kiosk_ids is None else kiosk_ids, self.central_ids())
        conflicts = self.central_query("SELECT item_id, fields FROM conflict")
        assert conflicts == [], f"central noted conflicts: {conflicts[:5]}"
        seqs = [s for (s,) in self.central_query("SELECT seq FROM rating ORDER BY seq")]
        expected = [s for s in range(1, len(seqs) + len(holes) + 1) if s not in holes]
        assert seqs == expected, "central's sequence has gaps or repeats"


class _Committing:
    def __init__(self, path):
        self.db = sqlite3.connect(path, timeout=30)

    def __enter__(self):
        return self.db

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                self.db.commit()
        finally:
            self.db.close()


def assert_exactly_once(kiosk_ids, central_ids):
    """Every id the kiosk acknowledged is at central once; central holds nothing else."""
    repeated = [item for item, count in Counter(central_ids).items() if count > 1]
    assert not repeated, f"{len(repeated)} rows held twice at central, e.g. {repeated[:3]}"
    kiosk, central = set(kiosk_ids), set(central_ids)
    assert len(kiosk) == len(kiosk_ids), "the kiosk acknowledged an id twice"
    missing, extra = kiosk - central, central - kiosk
    assert not missing, f"{len(missing)} of {len(kiosk)} rows never reached central, e.g. {sorted(missing)[:3]}"
    assert not extra, f"central holds {len(extra)} rows the kiosk never acknowledged"


def kiosk_subprocess_env(world, **extra):
    """Environment for ``python -m kiosk …`` on the world's kiosk data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_") and k != "DATABASE_URL"}
    env.update({k: v for k, v in world.kiosk_env.items() if v is not None})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def lose_at_central(world, seq):
    """Central loses one rating (a restore from an older backup, an admin's delete)."""
    world.central_execute("DELETE FROM followup WHERE rating_id IN (SELECT id FROM rating WHERE seq = ?)", (seq,))
    world.central_execute("DELETE FROM rating WHERE seq = ?", (seq,))
    world.central_execute("UPDATE kiosk SET seq_contiguous = ?", (seq - 1,))


def forge_followup(world, rating_id, reason, group):
    """A follow-up the recorder would never write, put in with raw SQL."""
    followup_id = str(uuid.uuid4())
    with world.kiosk_db() as db:
        db.execute("INSERT INTO followup (id, rating_id, reason, reason_group, comment, recorded_at, clock_trusted,"
                   " boot_id, monotonic) VALUES (?, ?, ?, ?, NULL, ?, 1, ?, ?)",
                   (followup_id, rating_id, reason, group, world.clock.now().strftime(WALL_FORMAT),
                    world.clock.boot_id(), world.clock.monotonic()))
        db.execute("INSERT INTO outbox (kind, item_id) VALUES ('followup', ?)", (followup_id,))
    return followup_id
