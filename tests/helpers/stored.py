"""What is stored on each side, read straight from the files and tables.

A kiosk's backlog is written here as the recorder writes rows, in one
transaction (a durable commit per rating would make a test of thousands take
a minute). Central's side is read with plain SQL that works on SQLite and
PostgreSQL alike, never through central's own code: the checks must not share
a bug with what they check.
"""
import sqlite3
from collections import Counter, defaultdict
from contextlib import closing

from tests.helpers.backlog import insert_backlog

FACES = ("very_unhappy", "unhappy", "happy", "very_happy")
LEFT_OUT = ("repeat", "closed", "unverified")


# -- the kiosk ----------------------------------------------------------------------------------

def append_backlog(parts, faces, followup_every=5, step=5.0):
    """Append one rating per value of *faces* (every *followup_every*-th with a follow-up) to the
    kiosk of *parts* (``app.extensions["hymy"]``), *step* seconds apart from its clock's now;
    return every id written, ratings first."""
    first = parts.recorder.record(faces[0], "button")  # the question text and the boot, as the recorder keeps them
    ratings, followups = insert_backlog(parts, faces[1:], followup_every, step)
    parts.clock.advance(step * len(faces))
    return [first.id, *ratings, *followups]


def kiosk_outbox(database_path):
    """``(pending ids, quarantined ids)`` in a kiosk's outbox."""
    with closing(sqlite3.connect(database_path, timeout=30)) as db:
        rows = db.execute("SELECT item_id, quarantined_at IS NOT NULL FROM outbox").fetchall()
    return {item for item, quarantined in rows if not quarantined}, {item for item, quarantined in rows if quarantined}


# -- central ------------------------------------------------------------------------------------

def rows(connection, sql):
    with closing(connection.cursor()) as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def central_ids(connection):
    """Every rating and follow-up id central holds, as a list (a repeat would show)."""
    return [item for (item,) in rows(connection, "SELECT id FROM rating UNION ALL SELECT id FROM followup")]


def assert_held_once(connection, acknowledged):
    """Central holds exactly *acknowledged* (ids), each once; each kiosk's sequence is 1..n; no conflicts."""
    held = central_ids(connection)
    repeated = [item for item, count in Counter(held).items() if count > 1]
    assert not repeated, f"{len(repeated)} rows held twice, e.g. {repeated[:3]}"
    missing, extra = set(acknowledged) - set(held), set(held) - set(acknowledged)
    assert not missing, f"{len(missing)} rows never reached central, e.g. {sorted(missing)[:3]}"
    assert not extra, f"central holds {len(extra)} rows no kiosk acknowledged"
    sequences = defaultdict(list)
    for kiosk, seq in rows(connection, "SELECT kiosk_id, seq FROM rating ORDER BY kiosk_id, seq"):
        sequences[kiosk].append(seq)
    for kiosk, seqs in sequences.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"kiosk {kiosk}: the sequence has gaps or repeats"
    assert rows(connection, "SELECT item_id, fields FROM conflict") == []


def assert_database_intact(database):
    """The engine's own integrity check passes, and the rollups count every raw row once."""
    with closing(database.connect()) as connection:
        if database.backend == "sqlite":
            assert rows(connection, "PRAGMA integrity_check") == [("ok",)]
            assert rows(connection, "PRAGMA foreign_key_check") == []
        else:
            # amcheck (PostgreSQL's contrib): every B-tree index is well formed and indexes every heap row.
            rows(connection, "CREATE EXTENSION IF NOT EXISTS amcheck")
            rows(connection, "SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid ="
                             " i.indexrelid JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid ="
                             " c.relnamespace WHERE a.amname = 'btree' AND n.nspname = 'public'")
        # One snapshot for both counts: central may be ingesting meanwhile.
        rows(connection, "BEGIN" if database.backend == "sqlite" else "BEGIN ISOLATION LEVEL REPEATABLE READ")
        try:
            raw = raw_counts(connection)
            for table in ("rollup_hour", "rollup_day"):
                held = rollup_counts(connection, table)
                assert held == raw, f"{table} does not count the raw rows: {held} != {raw}"
        finally:
            rows(connection, "ROLLBACK")


def raw_counts(connection):
    """Per kiosk: counted ratings per face, left-out ratings per filter, follow-ups of counted ratings."""
    faces = ", ".join(f"SUM(CASE WHEN filtered IS NULL AND rating = {n} THEN 1 ELSE 0 END)" for n in range(1, 5))
    left_out = ", ".join(f"SUM(CASE WHEN filtered = '{name}' THEN 1 ELSE 0 END)" for name in LEFT_OUT)
    counts = {kiosk: [int(n) for n in numbers] for kiosk, *numbers in
              rows(connection, f"SELECT kiosk_id, {faces}, {left_out} FROM rating GROUP BY kiosk_id")}
    followups = dict(rows(connection, "SELECT r.kiosk_id, COUNT(*) FROM followup f JOIN rating r ON r.id ="
                                      " f.rating_id WHERE r.filtered IS NULL GROUP BY r.kiosk_id"))
    return {kiosk: (*numbers, int(followups.get(kiosk, 0))) for kiosk, numbers in counts.items()}


def rollup_counts(connection, table):
    columns = ", ".join(f"SUM({column})" for column in (*FACES, *LEFT_OUT, "followups"))
    return {kiosk: tuple(int(n) for n in numbers)
            for kiosk, *numbers in rows(connection, f"SELECT kiosk_id, {columns} FROM {table} GROUP BY kiosk_id")}
