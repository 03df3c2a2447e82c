"""Central's schema migrations, on SQLite and on PostgreSQL.

The fixtures in tests/fixtures were made by the code of commit 2528425 (main
before central's schema was versioned; tests/fixtures/README.md says how):
an organisation, enrolled and revoked kiosks, 299 ratings with follow-ups, a
redaction, a conflict, heartbeats and a question version two kiosks declared
in their batches. Each upgrades on its backend, keeps every row, and works.
"""
import json
import shutil
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import peewee
import pytest
from click.testing import CliRunner

from kiosk.cli import main
from sync.central.app import create_central_app
from sync.central.org.auth import token_hash
from sync.central.store import db as central_database
from sync.central.store import migrations
from sync.central.store import models as m
from sync.central.store.migrations import LATEST, SchemaError
from sync.central.store.models import MODELS, central_db
from sync.common.clock import FakeClock
from tests.helpers.batches import batch, rating_row
from tests.helpers.central import RECEIVE_TIME, Central, close_database, database_numbers
from tests.helpers.live import wait_for

FIXTURE_COMMIT = "2528425"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LOCAL_TEXTS = {"en": "How did we do today?", "fi": "Miten onnistuimme tänään?"}
KIOSK_TOKEN = "hymy_k_" + "k" * 43
USER_TOKEN = "hymy_u_" + "u" * 43
_SCHEMA_LOCK = 72_201_301  # sync/central/store/db.py's advisory lock key


def device_id(name):
    """The device UUIDs the fixture's kiosks enrolled with (tests/fixtures/make_central_2528425.py)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hymy-fixture-kiosk/{name}"))


# -- databases ------------------------------------------------------------------------------------

def restore_fixture(backend, tmp_path, request):
    """A database as commit 2528425 left it, on *backend*; return its URL."""
    if backend == "sqlite":
        path = tmp_path / "central" / "central.sqlite3"
        path.parent.mkdir()
        shutil.copyfile(FIXTURES / f"central-{FIXTURE_COMMIT}.sqlite3", path)
        return f"sqlite:///{path}"
    url = fresh_postgresql(request)
    # A plain pg_dump: its psql meta-commands (\restrict) only guard psql itself; the rest is SQL.
    dump = (FIXTURES / f"central-{FIXTURE_COMMIT}.postgresql.sql").read_text(encoding="utf-8")
    with raw_database(url) as database:
        database.execute_sql("\n".join(line for line in dump.splitlines() if not line.startswith("\\")))
    return url


def fresh_postgresql(request):
    return request.getfixturevalue("postgres_cluster").create_database(f"t_{next(database_numbers)}")


def fresh_url(backend, tmp_path, request, name="fresh"):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / name / 'central.sqlite3'}"
    return fresh_postgresql(request)


@contextmanager
def raw_database(url):
    """A database object of its own on *url*, apart from the models' binding."""
    database = central_database.make_database(url, max_connections=2)
    database.connect()
    try:
        yield database
    finally:
        close_database(database)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def old_url(backend, tmp_path, request):
    return restore_fixture(backend, tmp_path, request)


@pytest.fixture
def opened():
    """``opened(url, **options)``: open_central_database, closed again after the test."""
    databases = []

    def open_(url, **options):
        databases.append(central_database.open_central_database(url, **options))
        return databases[-1]

    yield open_
    for database in databases:
        close_database(database)


def hymy_central(url, *args):
    """``hymy central ARGS`` on *url*, as its own process would run it; return click's result."""
    environment = {"HYMY_CENTRAL_DATABASE_URL": url, "HYMY_CENTRAL_CONFIG": None, "DATABASE_URL": None}
    before = central_db.obj
    try:
        return CliRunner().invoke(main, ["central", *args], env=environment, catch_exceptions=False)
    finally:
        if central_db.obj is not before:
            close_database(central_db.obj)


# -- reading a database as it is ----------------------------------------------------------------

def snapshot(url, tables):
    """Every row of *tables*, in key order."""
    with raw_database(url) as database:
        return {table: database.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1').fetchall() for table in tables}


def describe(database):
    """Tables -> their columns, indexes and constraints, as the database itself reports them."""
    if isinstance(database, peewee.SqliteDatabase):
        return {table: _describe_sqlite(database, table) for table in database.get_tables()}
    return {table: _describe_postgresql(database, table) for table in database.get_tables()}


def _describe_sqlite(database, table):
    def rows(sql):
        return database.execute_sql(sql).fetchall()

    columns = {name: (kind.upper(), notnull, default, pk) for _, name, kind, notnull, default, pk in
               rows(f'PRAGMA table_info("{table}")')}
    indexes = {(name, unique, origin, tuple(column for _, _, column in rows(f'PRAGMA index_info("{name}")')))
               for _, name, unique, origin, _ in rows(f'PRAGMA index_list("{table}")')}
    foreign_keys = {tuple(row[2:]) for row in rows(f'PRAGMA foreign_key_list("{table}")')}
    return {"columns": columns, "indexes": indexes, "foreign_keys": foreign_keys}


def _describe_postgresql(database, table):
    columns = {name: rest for name, *rest in database.execute_sql(
        """SELECT column_name, data_type, character_maximum_length, numeric_precision, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s""", (table,))}
    indexes = set(database.execute_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s", (table,)))
    constraints = set(database.execute_sql(
        """SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = ('public.' || quote_ident(%s))::regclass""", (table,)))
    return {"columns": columns, "indexes": indexes, "constraints": constraints}


def recorded(url):
    with raw_database(url) as database:
        if "schema_migration" not in database.get_tables():
            return []
        return database.execute_sql("SELECT number, name FROM schema_migration ORDER BY number").fetchall()


# -- a database made by 2528425 -----------------------------------------------------------------

KEPT = sorted(migrations.TABLES_2528425 - {"question", "kiosk_status", "setting"})


def test_the_fixtures_are_what_2528425_made(old_url):
    """No schema_migration table, the old schema and the rows the fixture script put in."""
    assert recorded(old_url) == []
    with raw_database(old_url) as database:
        assert set(database.get_tables()) == migrations.TABLES_2528425
        assert migrations.schema_version(database) == 1
        counts = {table: database.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                  for table in ("rating", "followup", "kiosk", "conflict", "redaction", "kiosk_status", "question")}
    assert counts == {"rating": 299, "followup": 90, "kiosk": 5, "conflict": 1, "redaction": 1,
                      "kiosk_status": 2, "question": 4}


def test_a_2528425_database_upgrades_and_keeps_every_row(old_url, opened, backend):
    before = snapshot(old_url, migrations.TABLES_2528425)

    opened(old_url)

    assert recorded(old_url) == [(m.number, m.name) for m in migrations.MIGRATIONS]
    after = snapshot(old_url, [*migrations.TABLES_2528425, "declared_question"])
    # Columns added since, at the end: the site's PIN, the user's email, digest and alert email (5, 6),
    # and each kiosk's last batch (6), which is when its highest numbered row arrived.
    with raw_database(old_url) as database:
        last_batches = dict(database.execute_sql(
            "SELECT k.id, r.received_at FROM kiosk k LEFT JOIN rating r ON r.kiosk_id = k.id AND r.seq = k.seq_highest"
        ).fetchall())
    added = {"site": lambda row: (None,), "user": lambda row: (None, None, None),
             "kiosk": lambda row: (last_batches[row[0]],)}
    assert any(last_batches.values())
    for table in KEPT:
        extra = added.get(table, lambda row: ())
        assert [row[:len(row) - len(extra(row))] for row in after[table]] == before[table], table
        assert all(tuple(row[len(row) - len(extra(row)):]) == extra(row) for row in after[table]), table
    # Settings are kept; defaults added since (min_responses) join them.
    assert set(before["setting"]) <= set(after["setting"])
    assert {row[0] for row in after["setting"]} - {row[0] for row in before["setting"]} <= {"min_responses"}
    assert len(after["rating"]) == 299 and len(after["followup"]) == 90
    # Heartbeats: same rows; PostgreSQL's REAL readings are doubles now, with the digits REAL had kept.
    assert [row[:4] + row[5:8] + row[9:] for row in after["kiosk_status"]] == \
           [row[:4] + row[5:8] + row[9:] for row in before["kiosk_status"]]
    for old, new in zip(before["kiosk_status"], after["kiosk_status"], strict=True):
        for column in (4, 8):  # oldest_pending_seconds, monotonic
            assert new[column] == (None if old[column] is None else pytest.approx(old[column], rel=1e-6))
    # The published versions stay; the declared ones moved out, one per kiosk whose ratings cite them.
    with raw_database(old_url) as database:
        questions = database.execute_sql('SELECT "key", version FROM question ORDER BY 1, 2').fetchall()
        declared = database.execute_sql(
            """SELECT k.name, d."key", d.version, d.texts FROM declared_question d JOIN kiosk k ON k.id = d.kiosk_id
               ORDER BY k.name""").fetchall()
        column_types = {name: kind for name, kind in database.execute_sql(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'kiosk_status'")
        } if backend == "postgresql" else {}
    assert questions == [("service", 1), ("service", 3)]
    assert [(name, key, version, json.loads(texts)) for name, key, version, texts in declared] == [
        ("kamppi-1", "service", 2, LOCAL_TEXTS), ("kamppi-2", "service", 2, LOCAL_TEXTS)]
    if backend == "postgresql":
        assert column_types["monotonic"] == column_types["oldest_pending_seconds"] == "double precision"


def test_spot_checks_after_the_upgrade(old_url, tmp_path):
    central = Central("any", old_url, tmp_path / "data", FakeClock(RECEIVE_TIME))
    try:
        def look(m):
            redaction = m.Redaction.get()
            conflict = m.Conflict.get()
            kamppi_2 = m.Kiosk.get(m.Kiosk.name == "kamppi-2")
            viewer = m.User.get(m.User.name == "kamppi-viewer")
            return {
                "redacted": (redaction.followup.comment, redaction.reason, redaction.redacted_by),
                "conflict": (conflict.kind, conflict.fields, conflict.kiosk.name),
                "conflicting rating kept": m.Rating.get_by_id(conflict.item_id).rating,
                "gap": (kamppi_2.seq_contiguous, kamppi_2.seq_highest),
                "revoked": [d.name for d in m.Kiosk.select().where(m.Kiosk.revoked)],
                "not enrolled": [d.name for d in m.Kiosk.select().where(m.Kiosk.uuid.is_null())],
                "viewer sites": [link.site.name for link in viewer.site_links],
                "target": m.Setting.get_by_id("target").value,
                "hours": m.Site.get(m.Site.name == "Kamppi").opening_hours["sat"],
                "batch reason": (m.Reason.get_by_id("parking").group, m.Reason.get_by_id("parking").offered),
                "heartbeat": m.KioskStatus.get(m.KioskStatus.kiosk == m.Kiosk.get(name="kamppi-1")).pending,
            }

        assert central.query(look) == {
            "redacted": (None, "admin", "helena"),
            "conflict": ("rating", ["rating"], "kamppi-1"),
            "conflicting rating kept": 4,
            "gap": (49, 90),
            "revoked": ["arlanda-2"],
            "not enrolled": ["spare-1"],
            "viewer sites": ["Kamppi"],
            "target": 85,
            "hours": ["10:00-18:00"],
            "batch reason": ("accessibility", False),
            "heartbeat": 3,
        }
    finally:
        central.close()


def give_known_tokens(central):
    """The fixture's tokens were shown once and not kept: give kamppi-1 and helena ones the test knows."""
    central.query(lambda m: (
        m.Kiosk.update(token_hash=token_hash(KIOSK_TOKEN)).where(m.Kiosk.name == "kamppi-1").execute(),
        m.User.update(token_hash=token_hash(USER_TOKEN)).where(m.User.name == "helena").execute()))


def test_ingest_and_export_work_after_the_upgrade(old_url, tmp_path):
    central = Central("any", old_url, tmp_path / "data", FakeClock(RECEIVE_TIME))
    try:
        give_known_tokens(central)
        kamppi_1 = device_id("kamppi-1")
        # kamppi-1's own legacy version 2 is its declaration now: new rows may cite it without declaring it.
        new = rating_row(121, question_version=2)
        answer = central.post_batch(KIOSK_TOKEN, batch(kamppi_1, [new])).json()
        assert answer["stored"] == [new["id"]]
        assert answer["sequence"] == {"contiguous": 121, "highest": 121, "gaps": []}
        # Re-delivering a row stored before the upgrade, with its declaration, is a duplicate.
        first = central.export_json(USER_TOKEN, from_="2025-12-01", to="2026-01-31")
        old_row = next(row for row in first if row["kiosk"] == "kamppi-1" and row["seq"] == 1)
        assert (old_row["question"], old_row["question_version"]) == ("service", 2)
        assert len(first) == 300
        assert sum(1 for row in first if row["comment"] == "No parking spaces") == 1
        # A new published version is numbered after central's own 3.
        assert "is now version 4" in central.ok("set-question", "service", "--text", "en=Fourth")
        assert central.request("GET", "/api/v1/config", KIOSK_TOKEN).json()["question"]["version"] == 4
    finally:
        central.close()


def test_another_kiosk_cannot_cite_a_version_only_other_kiosks_declared(old_url, tmp_path):
    central = Central("any", old_url, tmp_path / "data", FakeClock(RECEIVE_TIME))
    try:
        central.query(lambda m: m.Kiosk.update(token_hash=token_hash(KIOSK_TOKEN))
                      .where(m.Kiosk.name == "arlanda-1").execute())
        borrowed = rating_row(81, question_version=2)
        answer = central.post_batch(KIOSK_TOKEN, batch(device_id("arlanda-1"), [borrowed])).json()
        assert answer["stored"] == [] and answer["rejected"][0]["error"].startswith("question_version:")
    finally:
        central.close()


def test_a_second_start_runs_nothing_and_takes_no_lock(old_url, opened, backend):
    opened(old_url)
    migrated = recorded(old_url)
    started, applied = threading.Event(), []

    def start():
        opened(old_url)
        applied.append(central_database.upgrade_schema())
        started.set()

    with raw_database(old_url) as database, held_schema_lock(database, old_url):
        # Someone else holds the schema lock: a start that took it would wait for it.
        thread = threading.Thread(target=start)
        thread.start()
        took_no_lock = started.wait(10)
    thread.join()
    assert took_no_lock, "a start at the latest version waited for the schema lock"
    assert applied == [[]] and recorded(old_url) == migrated
    result = hymy_central(old_url, "migrate")
    assert result.exit_code == 0 and result.output == \
        f"central's database is at schema version {LATEST}, the latest: nothing to do\n"


@contextmanager
def held_schema_lock(database, url):
    """Hold the lock every migrating process takes: PostgreSQL's advisory lock, SQLite's writer lock."""
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            yield
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))
        return
    from sync.common.files import exclusive_lock

    with exclusive_lock(Path(f"{url[len('sqlite:///'):]}.writelock")):
        yield


def test_dry_run_lists_the_pending_migrations_and_changes_nothing(old_url):
    with raw_database(old_url) as database:
        schema = describe(database)
    rows = snapshot(old_url, migrations.TABLES_2528425)

    result = hymy_central(old_url, "migrate", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "central's database is at schema version 1; would apply:",
        *[f"  {m.number} {m.name}: {m.summary}" for m in migrations.MIGRATIONS[1:]],
    ]
    assert "2 declared_question" in result.output and "4 heartbeat_doubles" in result.output
    with raw_database(old_url) as database:
        assert describe(database) == schema
    assert snapshot(old_url, migrations.TABLES_2528425) == rows


def test_migrate_applies_and_says_what(old_url):
    result = hymy_central(old_url, "migrate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        *[f"applied {m.number} {m.name}: {m.summary}" for m in migrations.MIGRATIONS[1:]],
        f"central's database is now at schema version {LATEST}",
    ]
    assert [number for number, _ in recorded(old_url)] == [m.number for m in migrations.MIGRATIONS]


def test_a_failing_migration_leaves_the_previous_version_intact(old_url, monkeypatch, opened):
    def breaks(database):
        """Fails halfway: after some DDL, on a statement the database refuses."""
        database.execute_sql("CREATE TABLE half_done (id INTEGER)")
        database.execute_sql("SELECT * FROM no_such_table")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, migrations.Migration(5, "breaks", breaks)))
    monkeypatch.setattr(migrations, "LATEST", 5)
    with raw_database(old_url) as database:
        schema = describe(database)
    rows = snapshot(old_url, migrations.TABLES_2528425)

    with pytest.raises(SchemaError, match=r"^migration 5 \(breaks\) failed, the database stays at schema version 1"):
        opened(old_url)

    with raw_database(old_url) as database:
        assert describe(database) == schema  # no schema_migration, declared_question or half_done
    assert snapshot(old_url, migrations.TABLES_2528425) == rows


# -- a database newer than the code -------------------------------------------------------------

@pytest.fixture
def too_new_url(backend, tmp_path, request, opened):
    url = fresh_url(backend, tmp_path, request)
    opened(url)
    with raw_database(url) as database:
        database.execute_sql("INSERT INTO schema_migration (number, name, applied_at) VALUES (99, 'future', "
                             "'2030-01-01 00:00:00')")
    return url


def test_a_database_newer_than_the_code_refuses_the_app_factory(too_new_url, tmp_path):
    with pytest.raises(SchemaError) as refused:
        create_central_app({"database_url": too_new_url, "data_dir": str(tmp_path / "data")})
    message = str(refused.value)
    assert "\n" not in message and "schema version 99" in message and f"software's {LATEST}" in message
    assert "upgrade hymy" in message
    close_database(central_db.obj)


@pytest.mark.parametrize("args", [["migrate"], ["migrate", "--dry-run"], ["add-service", "checkout"], ["prune"],
                                  ["serve", "--port", "1"]], ids=["migrate", "dry-run", "add-service", "prune",
                                                                  "serve"])
def test_a_database_newer_than_the_code_refuses_every_command_with_one_line(too_new_url, args):
    result = hymy_central(too_new_url, *args)
    assert result.exit_code == 1, result.output
    assert result.output == (f"hymy: central's database is at schema version 99, newer than this software's "
                             f"{LATEST}: upgrade hymy on this host to the release that made it, or set "
                             "database_url to a database of this version\n")
    assert recorded(too_new_url)[-1] == (99, "future")


def test_a_database_with_some_of_centrals_tables_is_refused_with_one_line(backend, tmp_path, request):
    url = fresh_url(backend, tmp_path, request)
    with raw_database(url) as database:
        database.execute_sql("CREATE TABLE rating (id INTEGER PRIMARY KEY)")
    result = hymy_central(url, "migrate", "--dry-run")
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1, result.output
    assert "not a database central made" in result.output


# -- models and migrations cannot drift apart ---------------------------------------------------

def test_the_migrated_schema_is_what_the_models_declare(backend, tmp_path, request, opened):
    migrated_url = fresh_url(backend, tmp_path, request, "migrated")
    opened(migrated_url)
    with raw_database(migrated_url) as database:
        migrated = describe(database)
    declared_url = fresh_url(backend, tmp_path, request, "declared")
    with raw_database(declared_url) as database:
        with database.bind_ctx(MODELS):
            database.create_tables(MODELS)
        declared = describe(database)

    assert set(migrated) == set(declared) | {"schema_migration"}
    for table in declared:
        assert migrated[table] == declared[table], table


def test_an_upgraded_2528425_database_has_the_schema_of_a_new_one(old_url, backend, tmp_path, request, opened):
    opened(old_url)
    new_url = fresh_url(backend, tmp_path, request, "new")
    opened(new_url)
    with raw_database(old_url) as upgraded, raw_database(new_url) as new:
        assert describe(upgraded) == describe(new)


def test_a_fresh_database_runs_every_migration_and_is_seeded(backend, tmp_path, request):
    url = fresh_url(backend, tmp_path, request)
    result = hymy_central(url, "migrate")
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines()[:-1]] == \
           [f"applied {m.number} {m.name}" for m in migrations.MIGRATIONS]
    with raw_database(url) as database:
        assert database.execute_sql("SELECT count(*) FROM reason").fetchone()[0] == 9
        assert database.execute_sql("SELECT \"key\", version FROM question").fetchall() == [("service", 1)]


def test_defaults_are_inserted_when_missing_and_never_changed(old_url, opened):
    with raw_database(old_url) as database:
        database.execute_sql("DELETE FROM reason WHERE \"key\" = 'trust'")
        database.execute_sql("UPDATE setting SET value = '70' WHERE \"key\" = 'target'")
    opened(old_url)
    with raw_database(old_url) as database:
        assert database.execute_sql("SELECT value FROM setting WHERE \"key\" = 'target'").fetchone()[0] == "70"
        assert database.execute_sql("SELECT count(*) FROM reason WHERE \"key\" = 'trust'").fetchone()[0] == 1


# -- processes starting together -----------------------------------------------------------------

START = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
from sync.central.store.db import open_central_database
open_central_database(sys.argv[1]).close_all()
"""


@pytest.mark.slow
def test_two_processes_starting_together_on_one_postgresql_database_migrate_once(request, tmp_path):
    url = restore_fixture("postgresql", tmp_path, request)
    with raw_database(url) as database:
        database.execute_sql("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        starts = [subprocess.Popen([sys.executable, "-c", START, url], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        try:
            # Both have read version 1 without a lock and now queue for the schema lock together.
            wait_for(lambda: database.execute_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
                (_SCHEMA_LOCK,)).fetchone()[0] == 2, timeout=60, message="both processes waiting for the lock")
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))
        outputs = [start.communicate(timeout=60)[0] for start in starts]
    assert [start.returncode for start in starts] == [0, 0], outputs
    ready = [[line for line in output.splitlines() if line.startswith("central database ready")]
             for output in outputs]
    assert sorted(ready) == [[f"central database ready, {count} migrations applied (schema version "
                              f"{migrations.LATEST})"] for count in (0, len(migrations.MIGRATIONS) - 1)], outputs
    assert [number for number, _ in recorded(url)] == [m.number for m in migrations.MIGRATIONS]
    assert len(snapshot(url, ["declared_question"])["declared_question"]) == 2


def test_a_database_made_by_this_weeks_main_upgrades_too(backend, tmp_path, request, opened):
    """Before versions were recorded, main already had declared_question and doubles: still version 1."""
    url = fresh_url(backend, tmp_path, request)
    when = datetime(2026, 1, 5, tzinfo=timezone.utc)
    with raw_database(url) as database, database.bind_ctx(MODELS):
        for made_then in (migrations._initial, migrations._declared_question, migrations._heartbeat_doubles):
            made_then(database)
        kiosk = m.Kiosk.create(name="k", site=m.Site.create(name="s"), service=m.Service.create(name="v"),
                                token_hash="h", created_at=when)
        m.Question.create(key="service", version=5, texts={"en": "Legacy"}, created_at=when, published=False)
        m.DeclaredQuestion.create(kiosk=kiosk, key="service", version=5, texts={"en": "Own"}, received_at=when)
        m.Rating.create(id=str(uuid.uuid4()), kiosk=kiosk, seq=1, question_key="service", question_version=5,
                        rating=4, source="touch", recorded_at=when, clock_trusted=True, boot_id="b",
                        monotonic=1.0, occurred_at=when, time_basis="kiosk", received_at=when)

    opened(url)

    assert [number for number, _ in recorded(url)] == [m.number for m in migrations.MIGRATIONS]
    assert snapshot(url, ["declared_question"])["declared_question"][0][4] == '{"en": "Own"}'  # the kiosk's own
    with raw_database(url) as database:
        assert database.execute_sql("SELECT count(*) FROM question WHERE version = 5").fetchone()[0] == 0
    new_url = fresh_url(backend, tmp_path, request, "new")
    opened(new_url)
    with raw_database(url) as upgraded, raw_database(new_url) as new:
        assert describe(upgraded) == describe(new)
