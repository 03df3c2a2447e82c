"""The database file: pragmas, migrations from older versions, the kiosk id."""

import sqlite3
import uuid

import pytest

from kiosk.errors import StorageError
from kiosk.storage.db import connection, database, open_database
from kiosk.storage.identity import kiosk_id
from kiosk.storage.migrations import LATEST, migrate, schema_version


def test_database_is_durable_by_configuration(app):
    with connection() as db:
        assert db.pragma("journal_mode") == "wal"
        assert db.pragma("synchronous") == 2  # FULL
        assert db.pragma("foreign_keys") == 1
        assert db.pragma("busy_timeout") == 5000


def test_a_database_made_by_the_first_version_opens_and_upgrades(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    database.init(str(path))
    with connection():
        migrate(database, target=1)
    old.execute(
        "INSERT INTO rating VALUES "
        "('r1', 1, 'k', 'service', 1, 4, 'button', '2025-06-01T09:00:00.000000Z', 1, 'b', 12.5, NULL)"
    )
    old.execute("INSERT INTO outbox (kind, item_id) VALUES ('rating', 'r1')")
    old.commit()
    old.close()

    open_database(path)
    with connection() as db:
        assert schema_version(db) == LATEST
        assert db.execute_sql("SELECT id, rating, filtered FROM rating").fetchall() == [("r1", 4, None)]
        assert db.execute_sql("SELECT count(*) FROM boot").fetchone() == (0,)
    open_database(path)  # opening again is a no-op
    with connection() as db:
        assert schema_version(db) == LATEST


def test_a_database_from_newer_software_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(StorageError, match="newer than this software"):
        open_database(path)


def test_kiosk_id_is_made_once_and_kept(tmp_path):
    first = kiosk_id(tmp_path)
    assert uuid.UUID(first).version == 4
    assert kiosk_id(tmp_path) == first
    assert (tmp_path / "kiosk_id").read_text().strip() == first


def test_rows_carry_the_kiosk_id_from_before_enrollment(make_app, tmp_path):
    app = make_app()
    app.extensions["hymy"].recorder.record(3, "touch")
    with connection() as db:
        (stored,) = db.execute_sql("SELECT kiosk_id FROM rating").fetchone()
    assert stored == (tmp_path / "data" / "kiosk_id").read_text().strip()


def test_a_damaged_kiosk_id_is_reported_not_replaced(tmp_path):
    (tmp_path / "kiosk_id").write_text("garbage")
    with pytest.raises(StorageError, match="kiosk id"):
        kiosk_id(tmp_path)
    assert (tmp_path / "kiosk_id").read_text() == "garbage"
