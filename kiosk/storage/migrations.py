"""Schema migrations for the kiosk database, tracked in ``PRAGMA user_version``.

Each migration is a function that takes the database and brings the schema one
version forward; they run in order inside one transaction each, so a database
made by any older version opens and upgrades, and a crash mid-upgrade leaves
the previous version intact. Never edit a released migration: add a new one.
Migrations are plain SQL (column changes may use ``playhouse.migrate``)
because the models in models.py describe only the newest schema.
"""

import peewee
from playhouse import migrate as playhouse_migrate
from playhouse.migrate import SqliteMigrator

from kiosk.errors import StorageError

SCHEMA_V1 = (
    # A rating never changes once written (released migrations are never edited: the
    # filter names below are the protocol's FILTERS as they were then). Its id is a UUID and seq is the
    # gap-free per-kiosk sequence that upload order and reconciliation use.
    """CREATE TABLE rating (
        id TEXT PRIMARY KEY NOT NULL,
        seq INTEGER NOT NULL UNIQUE CHECK (seq >= 1),
        kiosk_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        question_version INTEGER NOT NULL CHECK (question_version >= 1),
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        source TEXT NOT NULL CHECK (source IN ('touch', 'button')),
        recorded_at TEXT NOT NULL,
        clock_trusted INTEGER NOT NULL CHECK (clock_trusted IN (0, 1)),
        boot_id TEXT NOT NULL,
        monotonic REAL NOT NULL,
        filtered TEXT CHECK (filtered IN ('repeat', 'closed', 'unverified'))
    )""",
    """CREATE TABLE followup (
        id TEXT PRIMARY KEY NOT NULL,
        rating_id TEXT NOT NULL UNIQUE REFERENCES rating (id) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        reason_group TEXT NOT NULL,
        comment TEXT CHECK (comment IS NULL OR length(comment) <= 500),
        recorded_at TEXT NOT NULL,
        clock_trusted INTEGER NOT NULL CHECK (clock_trusted IN (0, 1)),
        boot_id TEXT NOT NULL,
        monotonic REAL NOT NULL
    )""",
    # Sync state lives apart from the rows: an item is pending while it is here.
    """CREATE TABLE outbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('rating', 'followup')),
        item_id TEXT NOT NULL UNIQUE
    )""",
    """CREATE TRIGGER rating_is_append_only BEFORE UPDATE ON rating
       BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END""",
    """CREATE TRIGGER followup_is_append_only BEFORE UPDATE ON followup
       BEGIN SELECT RAISE(ABORT, 'follow-ups are append-only'); END""",
    """CREATE TRIGGER rating_kept_until_synced BEFORE DELETE ON rating
       WHEN EXISTS (SELECT 1 FROM outbox WHERE item_id = OLD.id)
       BEGIN SELECT RAISE(ABORT, 'an unsynced rating is never deleted'); END""",
)

SCHEMA_V2 = (
    # Per boot, the first moment the clock was trusted: with it central can
    # correct rows recorded earlier in the same boot from their monotonic time.
    """CREATE TABLE boot (
        boot_id TEXT PRIMARY KEY NOT NULL,
        first_seen_at TEXT NOT NULL,
        trusted_wall TEXT,
        trusted_monotonic REAL
    )""",
    "CREATE INDEX rating_recorded_at ON rating (recorded_at)",
)


def _v3(db) -> None:
    """Quarantine for rows central called bad, uploader state, question texts."""
    migrator = SqliteMigrator(db)
    playhouse_migrate.migrate(
        migrator.add_column("outbox", "quarantined_at", peewee.TextField(null=True)),
        migrator.add_column("outbox", "quarantine_reason", peewee.TextField(null=True)),
    )
    # Each question version the kiosk recorded under, with its texts: a batch
    # carries the definitions its rows cite, so central accepts rows recorded
    # before enrollment under the local config.
    db.execute_sql(
        """CREATE TABLE question (
            id TEXT NOT NULL, version INTEGER NOT NULL, texts TEXT NOT NULL,
            PRIMARY KEY (id, version))"""
    )
    db.execute_sql("CREATE TABLE sync_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")


def _run(statements):
    def step(db) -> None:
        for sql in statements:
            db.execute_sql(sql)

    return step


SCHEMA_V4 = (
    # The manager's figures per local hour, kept when raw rows are pruned (never
    # pruned themselves) and maintained in the recorder's transaction. An hour is
    # keyed by the UTC instant it starts, so a fall-back day's repeated local hour
    # is two rows; local_day and local_hour are its place on the kiosk's calendar.
    """CREATE TABLE hourly_count (
        hour_start TEXT PRIMARY KEY NOT NULL,
        local_day TEXT NOT NULL,
        local_hour INTEGER NOT NULL CHECK (local_hour BETWEEN 0 AND 23),
        face_1 INTEGER NOT NULL DEFAULT 0,
        face_2 INTEGER NOT NULL DEFAULT 0,
        face_3 INTEGER NOT NULL DEFAULT 0,
        face_4 INTEGER NOT NULL DEFAULT 0,
        repeat INTEGER NOT NULL DEFAULT 0,
        closed INTEGER NOT NULL DEFAULT 0,
        unverified INTEGER NOT NULL DEFAULT 0,
        followups INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX hourly_count_day ON hourly_count (local_day)",
    # Follow-ups of counted ratings per reason, in their rating's hour; unhappy
    # counts those of ratings 1-2, what a manager acts on.
    """CREATE TABLE hourly_reason (
        hour_start TEXT NOT NULL,
        reason TEXT NOT NULL,
        reason_group TEXT NOT NULL,
        followups INTEGER NOT NULL DEFAULT 0,
        unhappy INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (hour_start, reason)
    )""",
    # The kiosk's own decision of an unverified rating once its boot's clock
    # was trusted (the same correction central makes); the rating stays as recorded.
    """CREATE TABLE clock_decision (
        rating_id TEXT PRIMARY KEY NOT NULL REFERENCES rating (id) ON DELETE CASCADE,
        corrected_at TEXT NOT NULL,
        filtered TEXT CHECK (filtered IS NULL OR filtered = 'closed')
    )""",
    # The unverified ratings, found without reading every rating each time the figures are shown.
    "CREATE INDEX rating_unverified ON rating (boot_id) WHERE filtered = 'unverified'",
    # Small device state a person sets: the pause, the manager screen's lock-out.
    "CREATE TABLE kiosk_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
)

SCHEMA_V5 = (
    # The manager's actions (sync/wire/protocol/actions.py), each row as sent, never changed: an edit
    # or a withdrawal is a new row. They have an outbox of their own, outside the rating sequence:
    # sent_at once central kept the row, refused when central said it never will (kept, shown).
    """CREATE TABLE action (
        id TEXT PRIMARY KEY NOT NULL,
        document TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        sent_at TEXT,
        refused TEXT
    )""",
    "CREATE INDEX action_unsent ON action (recorded_at) WHERE sent_at IS NULL AND refused IS NULL",
)

MIGRATIONS = (_run(SCHEMA_V1), _run(SCHEMA_V2), _v3, _run(SCHEMA_V4), _run(SCHEMA_V5))
LATEST = len(MIGRATIONS)


def schema_version(db: peewee.Database) -> int:
    version: int = db.execute_sql("PRAGMA user_version").fetchone()[0]
    return version


def newer_error(path: object, version: int) -> StorageError:
    return StorageError(f"database {path}: schema version {version} is newer than this software's ({LATEST}): "
                        "install the hymy release that made it (or newer); nothing was changed")


def migrate(db: peewee.Database, target: int = LATEST) -> int:
    """Apply every migration after the database's version, up to *target*, in one transaction:
    a failure or a power cut anywhere leaves the database at the version it had."""
    version = schema_version(db)
    if version > LATEST:
        raise newer_error(db.database, version)
    if version >= target:
        return version
    with db.atomic("IMMEDIATE"):
        version = schema_version(db)  # another process may have upgraded while this one waited
        while version < target:
            MIGRATIONS[version](db)
            version += 1
        db.execute_sql(f"PRAGMA user_version = {version:d}")
    return version
