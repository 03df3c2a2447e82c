"""Upgrading keeps every row; an older hymy on a newer database refuses and touches nothing.

The fixtures are databases made by commit 237694b, main before this release
(tests/fixtures/make_237694b.py, README there): a kiosk at kiosk schema 4 and
a central at central schema 5. The refusal of an older version is shown with
that commit's own code, run from a copy of its tree.
"""
import hashlib
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.errors import StorageError
from kiosk.storage import migrations
from kiosk.storage.db import close_database, connection, database, open_database
from sync.central.store import migrations as central_migrations
from sync.common.sqlite import KEEP_UPGRADE_BACKUPS, backup_before_upgrade

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
OLD_COMMIT = "237694b"
KIOSK_TABLES = ("rating", "followup", "outbox", "boot", "question", "sync_state", "hourly_count", "hourly_reason",
                "clock_decision", "kiosk_state")


def rows(path, tables):
    with sqlite3.connect(path) as database:
        return {table: database.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall() for table in tables}


def digest(path):
    """What the database holds (schema and rows, as SQL) and its version: a checkpoint may rewrite the
    file's pages without changing a row, which is not a change."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as database:
        dump = "\n".join(database.iterdump()) + f"\nversion {database.execute('PRAGMA user_version').fetchone()}"
    return hashlib.sha256(dump.encode()).hexdigest()


@pytest.fixture
def kiosk_copy(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    path = data / "hymy.sqlite3"
    shutil.copyfile(FIXTURES / f"kiosk-{OLD_COMMIT}.sqlite3", path)
    path.chmod(0o600)
    yield path
    close_database()


@pytest.fixture(scope="module")
def old_tree(tmp_path_factory):
    """Commit 237694b's code, from git (a copy of its tree; nothing of this checkout changes)."""
    tree = tmp_path_factory.mktemp("old-tree")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_COMMIT, "kiosk", "sync", "templates"],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        pytest.fail(f"git archive {OLD_COMMIT} failed (a shallow clone?): {archive.stderr.decode()}")
    tarfile.open(fileobj=BytesIO(archive.stdout)).extractall(tree, filter="data")
    return tree


def old_hymy(tree, *args, env=None):
    """``hymy ARGS`` as 237694b would run it."""
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree), **(env or {})}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, timeout=60,
                          env=environment, cwd=tree)


def test_the_kiosk_of_237694b_opens_with_every_row(kiosk_copy):
    before = rows(kiosk_copy, KIOSK_TABLES)
    assert sum(len(found) for found in before.values()) > 250
    open_database(kiosk_copy)
    with connection() as database:
        assert migrations.schema_version(database) == migrations.LATEST
    assert rows(kiosk_copy, KIOSK_TABLES) == before
    with sqlite3.connect(kiosk_copy) as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_older_kiosk_schema_is_copied_then_upgraded_in_one_transaction(tmp_path):
    path = tmp_path / "data" / "hymy.sqlite3"
    path.parent.mkdir()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA journal_mode = wal")
    open_database(path)
    close_database()
    with sqlite3.connect(path) as raw:  # back to schema 3, as a kiosk of that time left it
        for table in ("hourly_count", "hourly_reason", "clock_decision", "kiosk_state", "action"):
            raw.execute(f"DROP TABLE {table}")
        raw.execute("DROP INDEX rating_unverified")
        raw.execute("INSERT INTO rating VALUES ('r1', 1, 'k', 'service', 1, 4, 'button', "
                    "'2025-06-01T09:00:00.000000Z', 1, 'b', 12.5, NULL)")
        raw.execute("INSERT INTO outbox (kind, item_id) VALUES ('rating', 'r1')")
        raw.execute("PRAGMA user_version = 3")
    old_rows = rows(path, ("rating", "outbox"))

    open_database(path)
    (copy,) = (path.parent / "backups").iterdir()
    assert copy.name.startswith("hymy-schema-v3-") and copy.stat().st_mode & 0o777 == 0o600
    assert rows(copy, ("rating", "outbox")) == old_rows
    with sqlite3.connect(copy) as kept:
        assert kept.execute("PRAGMA user_version").fetchone() == (3,)
    assert rows(path, ("rating", "outbox")) == old_rows
    close_database()
    open_database(path)  # already upgraded: no second copy
    assert len(list((path.parent / "backups").iterdir())) == 1
    close_database()


def test_a_failing_migration_leaves_the_kiosk_at_its_version(tmp_path, monkeypatch):
    path = tmp_path / "hymy.sqlite3"
    database.init(str(path))
    with connection():
        migrations.migrate(database, target=2)  # a kiosk of schema 2
    database.close()
    before = rows(path, ("rating", "outbox"))

    def broken(database):
        database.execute_sql("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS[:3], broken))
    with pytest.raises(Exception, match="disk I/O error"):
        open_database(path)
    close_database()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (2,)
        assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall() == []
        assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'outbox'").fetchall()
    assert rows(path, ("rating", "outbox")) == before


def test_a_kiosk_database_from_a_newer_hymy_is_refused_untouched(kiosk_copy):
    with sqlite3.connect(kiosk_copy) as raw:
        raw.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    files_before = sorted(p.name for p in kiosk_copy.parent.iterdir())
    bytes_before = kiosk_copy.read_bytes()
    with pytest.raises(StorageError, match="newer than this software"):
        open_database(kiosk_copy)
    result = CliRunner().invoke(main, ["kiosk"], env={"HYMY_DATA_DIR": str(kiosk_copy.parent),
                                                      "HYMY_PIN_FACTORY": "mock", "HYMY_CONFIG": None})
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("hymy: ") and "newer than this software" in line and "nothing was changed" in line
    assert kiosk_copy.read_bytes() == bytes_before  # not a byte changed, no file added
    assert sorted(p.name for p in kiosk_copy.parent.iterdir()) == files_before


@pytest.mark.slow
def test_237694b_refuses_a_kiosk_database_of_a_newer_schema_and_changes_nothing(kiosk_copy, old_tree):
    with sqlite3.connect(kiosk_copy) as raw:
        raw.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    before = digest(kiosk_copy)
    done = old_hymy(old_tree, "sync", "--status", env={"HYMY_DATA_DIR": str(kiosk_copy.parent)})
    assert done.returncode == 1 and "newer" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert digest(kiosk_copy) == before


@pytest.fixture
def central_copy(tmp_path):
    path = tmp_path / "central" / "central.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(FIXTURES / f"central-{OLD_COMMIT}.sqlite3", path)
    return path


def central_cli(path, *args):
    env = {"HYMY_CENTRAL_DATABASE_URL": f"sqlite:///{path}", "HYMY_CENTRAL_DATA_DIR": str(path.parent),
           "HYMY_CENTRAL_CONFIG": None, "DATABASE_URL": None}
    from sync.central.store.models import central_db

    try:
        return CliRunner().invoke(main, ["central", *args], env=env, catch_exceptions=False)
    finally:
        if central_db.obj is not None and not central_db.obj.is_closed():
            central_db.obj.close()


def test_the_central_of_237694b_is_copied_then_upgraded_keeping_every_row(central_copy):
    with sqlite3.connect(central_copy) as raw:
        assert raw.execute("SELECT max(number) FROM schema_migration").fetchone() == (5,)
        tables = [name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    before = rows(central_copy, tables)

    result = central_cli(central_copy, "migrate")
    assert result.exit_code == 0, result.output
    assert "6 alert_channels" in result.output

    (copy,) = (central_copy.parent / "backups").iterdir()
    assert copy.name.startswith("central-schema-v5-") and rows(copy, tables) == before
    after = rows(central_copy, tables)
    # Columns added since, at the end: migration 6's (kiosk, user, alert), 7's (alert's webhook_refused) and
    # 8's (the reason rollups' group; those two are counted anew, so their rows may come in another order).
    recounted = {"rollup_hour_reason", "rollup_day_reason"}
    groups = {row[0]: row[1] for row in before["reason"]}  # key -> group: every follow-up had central's
    for table in tables:
        added = {"kiosk": 1, "user": 1, "alert": 3, **dict.fromkeys(recounted, 1)}.get(table, 0)
        if table == "schema_migration":
            assert after[table][:5] == before[table] and after[table][5][:2] == (6, "alert_channels")
            continue
        if table in recounted:
            assert sorted(row[:-1] for row in after[table]) == sorted(before[table]), table
            assert all(row[-1] == groups[row[2]] for row in after[table]), table
            continue
        assert [row[:len(row) - added] for row in after[table]] == before[table], table
    sent_before = {row[0]: row[7] for row in before["alert"]}  # alert.sent_at
    for row in after["alert"]:  # a delivered episode counts as delivered on both channels; an open one on none
        assert row[-3:-1] == ((sent_before[row[0]],) * 2 if sent_before[row[0]] else (None, None))
        assert row[-1] is None  # no webhook was refused
    with sqlite3.connect(central_copy) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert "nothing to do" in central_cli(central_copy, "migrate").output  # no second copy either
    assert len(list((central_copy.parent / "backups").iterdir())) == 1


@pytest.mark.slow
def test_237694b_refuses_central_at_the_new_schema_and_changes_nothing(central_copy, old_tree):
    assert central_cli(central_copy, "migrate").exit_code == 0
    before = digest(central_copy)
    done = old_hymy(old_tree, "central", "migrate", env={"HYMY_CENTRAL_DATABASE_URL": f"sqlite:///{central_copy}",
                                                         "HYMY_CENTRAL_DATA_DIR": str(central_copy.parent)})
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"schema version {central_migrations.LATEST}, newer than this software's 5" in line
    assert digest(central_copy) == before


def test_only_the_newest_upgrade_backups_are_kept_whatever_their_schema_numbers(tmp_path):
    """Pruning goes by time: a copy at schema 10 is newer than one at 9, though "v10" sorts first as text."""
    database = tmp_path / "hymy.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        db.execute("CREATE TABLE t (x)")
        db.commit()
    made = [backup_before_upgrade(database, version) for version in (8, 9, 10, 10)]
    kept = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert kept == sorted(path.name for path in made[-KEEP_UPGRADE_BACKUPS:])


def test_the_copy_just_made_is_kept_when_the_clock_went_back(tmp_path):
    """Copies stamped by a clock that ran ahead (a Pi before NTP) never push out the newest one."""
    database = tmp_path / "hymy.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        db.execute("CREATE TABLE t (x)")
        db.commit()
    for n, version in enumerate((7, 8, 9)):
        made = backup_before_upgrade(database, version)
        made.rename(made.with_name(f"hymy-schema-v{version}-2999010{n + 1}T000000.000000Z.sqlite3"))
    newest = backup_before_upgrade(database, 10)
    kept = sorted((tmp_path / "backups").iterdir())
    assert newest in kept and len(kept) == KEEP_UPGRADE_BACKUPS
