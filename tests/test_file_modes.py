"""Every file the kiosk writes is its owner's alone (0600), whoever starts it
and whatever their umask; a data dir it creates is 0700. Central's SQLite
files likewise. Files an older version left readable are narrowed at start."""
import os
import stat

import pytest

from kiosk.storage.content import DEFAULT_REASONS
from kiosk.storage.db import connection
from kiosk.storage.enrollment import Enrollment, save_enrollment
from sync.central.store import db as central_db
from sync.central.store.models import central_db as bound_central_db


@pytest.fixture(autouse=True)
def umask_022():
    """The common login umask, under which files default to 0644 and dirs to 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_the_kiosk_data_dir_and_every_file_in_it_are_private(make_app, tmp_path):
    app = make_app()
    kiosk = app.extensions["hymy"]
    data_dir = app.config["HYMY"].data_dir
    assert data_dir == tmp_path / "data"
    kiosk.recorder.record(3, "touch")
    kiosk.content_store.apply({
        "question": {"id": "service", "version": 2, "texts": {"fi": "Miten meni?"}},
        "reasons": [{"key": reason.key, "group": reason.group} for reason in DEFAULT_REASONS],
        "timezone": "Europe/Helsinki",
    })
    save_enrollment(data_dir, Enrollment("https://central.example/", "hymy_k_" + "A" * 43, "kamppi-1", "Kamppi"))

    assert mode(data_dir) == 0o700
    written = {path.name: mode(path) for path in data_dir.iterdir()}
    for name in ("hymy.sqlite3", "hymy.sqlite3-wal", "hymy.sqlite3-shm", "kiosk_id", "central_content.json",
                 "enrollment.json"):
        assert written.pop(name) == 0o600, name
    assert all(value == 0o600 for value in written.values()), written  # and anything else there


def test_an_existing_data_dir_keeps_its_mode(make_app, tmp_path):
    (tmp_path / "data").mkdir(mode=0o750)
    app = make_app()
    assert mode(app.config["HYMY"].data_dir) == 0o750
    assert mode(app.config["HYMY"].database_path) == 0o600


def test_files_an_older_version_left_readable_are_narrowed(make_app, tmp_path):
    app = make_app()
    config = app.config["HYMY"]
    kiosk = app.extensions["hymy"]
    kiosk.content_store.apply({
        "question": {"id": "service", "version": 2, "texts": {"fi": "Miten meni?"}},
        "reasons": [{"key": "staff", "group": "attitude"}],
        "timezone": "Europe/Helsinki",
    })
    kiosk.close()
    for name in ("hymy.sqlite3", "kiosk_id", "central_content.json"):
        os.chmod(config.data_dir / name, 0o644)

    again = make_app()
    with connection():
        again.extensions["hymy"].recorder.record(2, "touch")
    for name in ("hymy.sqlite3", "kiosk_id", "central_content.json"):
        assert mode(config.data_dir / name) == 0o600, name


def test_central_sqlite_files_are_private(tmp_path):
    path = tmp_path / "central" / "central.sqlite3"
    database = central_db.open_central_database(f"sqlite:///{path}")
    try:
        with central_db.connection():
            with central_db.write_transaction():
                bound_central_db.execute_sql("CREATE TABLE probe (x INTEGER)")
            names = {p.name: mode(p) for p in path.parent.iterdir()}  # while the WAL is open
        assert mode(path.parent) == 0o700
        assert set(names) >= {"central.sqlite3", "central.sqlite3-wal", "central.sqlite3-shm",
                              "central.sqlite3.writelock"}
        assert set(names.values()) == {0o600}, names
    finally:
        if not database.is_closed():
            database.close()
