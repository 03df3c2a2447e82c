"""Central's schema migrations: numbered, recorded in the database, portable.

Each migration is a function that takes the database and brings the schema
one version forward, on SQLite and PostgreSQL alike (``playhouse.migrate``,
or plain SQL where that is clearer). Every migration applied is a row of
``schema_migration`` (number, name, applied_at). A database central made
before versions were recorded (commit 2528425 and this week's main: central's
tables, no ``schema_migration``) is version 1. The pending ones run in one
transaction, which :func:`sync.central.store.db.upgrade_schema` opens under the
schema lock: both backends have transactional DDL, so a failure leaves the
previous version intact.

Never edit a released migration: add a new one. The migrations describe the
schema as it was at each step (migration 1 keeps its own frozen copy of the
tables), while models.py describes only the newest; a test checks that the
two arrive at the same tables, columns, types and indexes.
"""
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import NamedTuple

import peewee
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from sync.wire.errors import HymyError

log = logging.getLogger(__name__)


class SchemaError(HymyError, RuntimeError):
    """The database's schema is not one this software can use; the message says what to do."""


class Migration(NamedTuple):
    number: int
    name: str
    apply: Callable[[peewee.Database], None]  # one step forward

    @property
    def summary(self) -> str:
        """The first line of the migration's docstring: what it changes."""
        return (self.apply.__doc__ or "").strip().splitlines()[0]


class SchemaMigration(peewee.Model):
    """One applied migration (bound to the database being migrated, see :func:`_recorded`)."""

    number = peewee.IntegerField(primary_key=True)
    name = peewee.CharField(max_length=64)
    applied_at = peewee.DateTimeField()  # naive UTC, as every central time

    class Meta:
        table_name = "schema_migration"


def _tables_2528425():
    """Central's tables as commit 2528425 declared them, frozen: models.py moves on, these never do.

    Plain peewee fields where the models have their own (UtcDateTimeField is a
    DATETIME, JsonField a TEXT): the DDL is the same, and no later change to
    those classes can change what migration 1 creates.
    """

    class Base(peewee.Model):
        class Meta:
            legacy_table_names = False

    class Site(Base):
        name = peewee.CharField(max_length=120, unique=True)
        timezone = peewee.CharField(max_length=64)
        opening_hours = peewee.TextField()

    class Service(Base):
        name = peewee.CharField(max_length=120, unique=True)

    class Provider(Base):
        name = peewee.CharField(max_length=120, unique=True)

    class Question(Base):
        key = peewee.CharField(max_length=64)
        version = peewee.IntegerField()
        texts = peewee.TextField()
        created_at = peewee.DateTimeField()
        published = peewee.BooleanField()

        class Meta:
            indexes = ((("key", "version"), True),)

    class Reason(Base):
        key = peewee.CharField(max_length=64, primary_key=True)
        group = peewee.CharField(max_length=32)
        labels = peewee.TextField()
        position = peewee.IntegerField()
        offered = peewee.BooleanField()

    class Setting(Base):
        key = peewee.CharField(max_length=64, primary_key=True)
        value = peewee.TextField()

    class Kiosk(Base):
        name = peewee.CharField(max_length=120, unique=True)
        site = peewee.ForeignKeyField(Site)
        service = peewee.ForeignKeyField(Service)
        provider = peewee.ForeignKeyField(Provider, null=True)
        question_key = peewee.CharField(max_length=64)
        token_hash = peewee.CharField(max_length=64, unique=True)
        device_id = peewee.CharField(max_length=36, null=True, unique=True)
        enrolled_at = peewee.DateTimeField(null=True)
        revoked = peewee.BooleanField()
        created_at = peewee.DateTimeField()
        seq_contiguous = peewee.BigIntegerField()
        seq_highest = peewee.BigIntegerField()

    class KioskStatus(Base):
        kiosk = peewee.ForeignKeyField(Kiosk, primary_key=True)
        reported_at = peewee.DateTimeField()
        software_version = peewee.CharField(max_length=40)
        pending = peewee.IntegerField()
        oldest_pending_seconds = peewee.FloatField(null=True)  # REAL on PostgreSQL: migration 4
        quarantined = peewee.IntegerField()
        boot_id = peewee.CharField(max_length=64)
        wall = peewee.DateTimeField()
        monotonic = peewee.FloatField()  # REAL on PostgreSQL: migration 4
        clock_trusted = peewee.BooleanField()
        free_disk_bytes = peewee.BigIntegerField(null=True)
        gap_error = peewee.TextField(null=True)

    class User(Base):
        name = peewee.CharField(max_length=120, unique=True)
        role = peewee.CharField(max_length=16)
        password_hash = peewee.CharField(max_length=255)
        token_hash = peewee.CharField(max_length=64, unique=True)
        created_at = peewee.DateTimeField()

    class UserSite(Base):
        user = peewee.ForeignKeyField(User, on_delete="CASCADE")
        site = peewee.ForeignKeyField(Site, on_delete="CASCADE")

        class Meta:
            indexes = ((("user", "site"), True),)

    class Rating(Base):
        id = peewee.CharField(max_length=36, primary_key=True)
        kiosk = peewee.ForeignKeyField(Kiosk)
        seq = peewee.BigIntegerField()
        question_key = peewee.CharField(max_length=64)
        question_version = peewee.IntegerField()
        rating = peewee.SmallIntegerField()
        source = peewee.CharField(max_length=8)
        recorded_at = peewee.DateTimeField()
        clock_trusted = peewee.BooleanField()
        boot_id = peewee.CharField(max_length=64)
        monotonic = peewee.DoubleField()
        kiosk_filter = peewee.CharField(max_length=12, null=True)
        occurred_at = peewee.DateTimeField(index=True)
        time_basis = peewee.CharField(max_length=16)
        filtered = peewee.CharField(max_length=12, null=True)
        received_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("kiosk", "seq"), True),)

    class Followup(Base):
        id = peewee.CharField(max_length=36, primary_key=True)
        rating = peewee.ForeignKeyField(Rating, unique=True)
        reason = peewee.CharField(max_length=64)
        reason_group = peewee.CharField(max_length=32)
        comment = peewee.TextField(null=True)
        recorded_at = peewee.DateTimeField()
        clock_trusted = peewee.BooleanField()
        boot_id = peewee.CharField(max_length=64)
        monotonic = peewee.DoubleField()
        received_at = peewee.DateTimeField()

    class Redaction(Base):
        followup = peewee.ForeignKeyField(Followup, unique=True)
        reason = peewee.CharField(max_length=16)
        redacted_by = peewee.CharField(max_length=120, null=True)
        redacted_at = peewee.DateTimeField()

    class Conflict(Base):
        kiosk = peewee.ForeignKeyField(Kiosk)
        item_id = peewee.CharField(max_length=36)
        kind = peewee.CharField(max_length=8)
        batch_id = peewee.CharField(max_length=36)
        received_at = peewee.DateTimeField()
        fields = peewee.TextField()

    return (Site, Service, Provider, Question, Reason, Setting, Kiosk, KioskStatus, User, UserSite,
            Rating, Followup, Redaction, Conflict)


#: What a database central made before versions were recorded has: then it is version 1.
TABLES_2528425 = frozenset(model._meta.table_name for model in _tables_2528425())


def _initial(database) -> None:
    """Central's tables as commit 2528425 made them."""
    tables = _tables_2528425()
    with database.bind_ctx(tables):
        database.create_tables(tables)


def _declared_question(database) -> None:
    """Question versions a kiosk declares, kept per kiosk (table declared_question)."""

    class Kiosk(peewee.Model):
        class Meta:
            table_name = "kiosk"

    class DeclaredQuestion(peewee.Model):
        kiosk = peewee.ForeignKeyField(Kiosk)
        key = peewee.CharField(max_length=64)
        version = peewee.IntegerField()
        texts = peewee.TextField()
        received_at = peewee.DateTimeField()

        class Meta:
            table_name = "declared_question"
            legacy_table_names = False  # index names follow the table name, as models.py's
            indexes = ((("kiosk", "key", "version"), True),)

    with database.bind_ctx([Kiosk, DeclaredQuestion]):
        # IF NOT EXISTS: this week's main made the table before versions were recorded.
        DeclaredQuestion.create_table(safe=True)


def _legacy_declarations(database) -> None:
    """Versions kiosks declared before the split move from question to declared_question, per citing kiosk.

    2528425 kept them in the question table, unpublished, without the kiosk
    that declared them. Each becomes a declaration of every kiosk whose
    ratings cite that (key, version), with its texts and time; a kiosk's own
    declaration of the same version, made since, stands. A version no rating
    cites is dropped: nothing refers to it, and a kiosk that later sends rows
    citing it sends its texts with them (a batch carries the definitions its
    rows cite), which declares it for that kiosk.
    """
    moved = database.execute_sql(
        """INSERT INTO declared_question (kiosk_id, "key", version, texts, received_at)
           SELECT cited.kiosk_id, q."key", q.version, q.texts, q.created_at
           FROM question AS q
           JOIN (SELECT DISTINCT kiosk_id, question_key, question_version FROM rating) AS cited
             ON cited.question_key = q."key" AND cited.question_version = q.version
           WHERE NOT q.published
             AND NOT EXISTS (SELECT 1 FROM declared_question AS d
                             WHERE d.kiosk_id = cited.kiosk_id AND d."key" = q."key" AND d.version = q.version)"""
    ).rowcount
    uncited = database.execute_sql(
        """SELECT q."key", q.version FROM question AS q
           WHERE NOT q.published AND NOT EXISTS (SELECT 1 FROM rating AS r
                                                 WHERE r.question_key = q."key" AND r.question_version = q.version)
           ORDER BY 1, 2""").fetchall()
    if database.execute_sql("DELETE FROM question WHERE NOT published").rowcount:
        log.info("question versions kiosks declared: %d per-kiosk declarations made; dropped as cited by no "
                 "rating: %s", moved, ", ".join(f"{key}@{version}" for key, version in uncited) or "none")


def _heartbeat_doubles(database) -> None:
    """A heartbeat's monotonic and oldest_pending_seconds are doubles on PostgreSQL (SQLite's REAL is one)."""
    if isinstance(database, peewee.PostgresqlDatabase):
        migrator = PostgresqlMigrator(database)
        migrate(migrator.alter_column_type("kiosk_status", "monotonic", peewee.DoubleField()),
                migrator.alter_column_type("kiosk_status", "oldest_pending_seconds", peewee.DoubleField(null=True)))


def _head_office(database) -> None:
    """Rollups for reports, logins' failure counts, alert rules and episodes, digests, email and site PIN."""

    class Base(peewee.Model):
        class Meta:
            legacy_table_names = False

    class Site(Base):
        pass

    class Service(Base):
        pass

    class Kiosk(Base):
        class Meta:
            table_name = "kiosk"

    class User(Base):
        pass

    class Faces(Base):
        very_unhappy = peewee.IntegerField(default=0)
        unhappy = peewee.IntegerField(default=0)
        happy = peewee.IntegerField(default=0)
        very_happy = peewee.IntegerField(default=0)
        repeat = peewee.IntegerField(default=0)
        closed = peewee.IntegerField(default=0)
        unverified = peewee.IntegerField(default=0)
        followups = peewee.IntegerField(default=0)

    class RollupHour(Faces):
        kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
        hour = peewee.DateTimeField()

        class Meta:
            primary_key = peewee.CompositeKey("kiosk", "hour")

    class RollupDay(Faces):
        kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
        day = peewee.DateField()

        class Meta:
            primary_key = peewee.CompositeKey("kiosk", "day")

    class RollupHourReason(Base):
        kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
        hour = peewee.DateTimeField()
        reason = peewee.CharField(max_length=64)
        given = peewee.IntegerField(default=0)
        unhappy = peewee.IntegerField(default=0)

        class Meta:
            primary_key = peewee.CompositeKey("kiosk", "hour", "reason")

    class RollupDayReason(Base):
        kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
        day = peewee.DateField()
        reason = peewee.CharField(max_length=64)
        given = peewee.IntegerField(default=0)
        unhappy = peewee.IntegerField(default=0)

        class Meta:
            primary_key = peewee.CompositeKey("kiosk", "day", "reason")

    class LoginFailure(Base):
        key = peewee.CharField(max_length=200, primary_key=True)
        failures = peewee.IntegerField(default=0)
        window_start = peewee.DateTimeField()

    class AlertRule(Base):
        site = peewee.ForeignKeyField(Site, null=True, on_delete="CASCADE")
        service = peewee.ForeignKeyField(Service, null=True, on_delete="CASCADE")
        unhappy_share = peewee.IntegerField()
        window_minutes = peewee.IntegerField()
        min_responses = peewee.IntegerField()
        silent_minutes = peewee.IntegerField()
        emails = peewee.TextField()
        webhook_url = peewee.CharField(max_length=2000, null=True)
        secret = peewee.CharField(max_length=100)
        active = peewee.BooleanField(default=True)
        created_at = peewee.DateTimeField()

    class Alert(Base):
        rule = peewee.ForeignKeyField(AlertRule, on_delete="CASCADE")
        kind = peewee.CharField(max_length=16)
        kiosk = peewee.ForeignKeyField(Kiosk, null=True, on_delete="CASCADE")
        started_at = peewee.DateTimeField(index=True)
        ended_at = peewee.DateTimeField(null=True)
        detail = peewee.TextField()
        sent_at = peewee.DateTimeField(null=True)
        delivery_error = peewee.TextField(null=True)
        acknowledged_at = peewee.DateTimeField(null=True)
        acknowledged_by = peewee.CharField(max_length=120, null=True)

    class DigestSent(Base):
        user = peewee.ForeignKeyField(User, primary_key=True, on_delete="CASCADE")
        day = peewee.DateField()
        sent_at = peewee.DateTimeField()

    tables = [Site, Service, Kiosk, User, RollupHour, RollupDay, RollupHourReason, RollupDayReason, LoginFailure,
              AlertRule, Alert, DigestSent]
    with database.bind_ctx(tables):
        database.create_tables(tables[4:])
    migrator = PostgresqlMigrator(database) if isinstance(database, peewee.PostgresqlDatabase) \
        else SqliteMigrator(database)
    migrate(migrator.add_column("site", "manager_pin_hash", peewee.CharField(max_length=255, null=True)),
            migrator.add_column("user", "email", peewee.CharField(max_length=254, null=True)),
            migrator.add_column("user", "digest", peewee.BooleanField(null=True)))
    from sync.central.store.rollups import (
        rebuild_all,  # the rollups of the rows already held, by the same code ingest uses
    )

    # The reasons' rollups are counted by migration 8, in the shape that code writes since.
    rebuild_all(database, reasons=False)


def _alert_channels(database) -> None:
    """Alerts sent once per channel, at most one open episode, users' alert email, each kiosk's last batch."""
    migrator = PostgresqlMigrator(database) if isinstance(database, peewee.PostgresqlDatabase) \
        else SqliteMigrator(database)
    migrate(migrator.add_column("alert", "email_sent_at", peewee.DateTimeField(null=True)),
            migrator.add_column("alert", "webhook_sent_at", peewee.DateTimeField(null=True)),
            migrator.add_column("user", "alert_email", peewee.BooleanField(null=True)),
            migrator.add_column("kiosk", "last_batch_at", peewee.DateTimeField(null=True)))
    # An episode delivered before channels were told apart was delivered on both.
    database.execute_sql("UPDATE alert SET email_sent_at = sent_at, webhook_sent_at = sent_at "
                         "WHERE sent_at IS NOT NULL AND delivery_error IS NULL")
    # Should two workers ever have opened the same episode, the later copies end where they began.
    database.execute_sql(
        "UPDATE alert SET ended_at = started_at WHERE ended_at IS NULL AND EXISTS ("
        "SELECT 1 FROM alert AS first WHERE first.rule_id = alert.rule_id AND first.kind = alert.kind "
        "AND first.ended_at IS NULL AND first.id < alert.id "
        "AND (first.kiosk_id = alert.kiosk_id OR (first.kiosk_id IS NULL AND alert.kiosk_id IS NULL)))")
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "alert_open_kiosk_episode" ON "alert" '
                         '("rule_id", "kind", "kiosk_id") WHERE (("ended_at" IS NULL) AND ("kiosk_id" IS NOT NULL))')
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "alert_open_rule_episode" ON "alert" '
                         '("rule_id", "kind") WHERE (("ended_at" IS NULL) AND ("kiosk_id" IS NULL))')
    # The fleet's last sync of a kiosk that sent batches before this was kept: when its highest
    # numbered row arrived (found through the (kiosk, seq) index, not a scan of every row).
    database.execute_sql("UPDATE kiosk SET last_batch_at = (SELECT received_at FROM rating "
                         "WHERE rating.kiosk_id = kiosk.id AND rating.seq = kiosk.seq_highest)")


def _login_sessions(database) -> None:
    """Head-office sessions kept server-side (table login_session), so that logging out ends one."""

    class User(peewee.Model):
        pass

    class LoginSession(peewee.Model):
        id = peewee.CharField(max_length=64, primary_key=True)
        user = peewee.ForeignKeyField(User, on_delete="CASCADE")
        created_at = peewee.DateTimeField()
        seen_at = peewee.DateTimeField(index=True)

        class Meta:
            table_name = "login_session"
            legacy_table_names = False

    with database.bind_ctx([User, LoginSession]):
        LoginSession.create_table()


def _alert_recipients(database) -> None:
    """Alert email settled per recipient (alert_recipient), and a webhook refused for good."""

    class Alert(peewee.Model):
        class Meta:
            table_name = "alert"

    class AlertRecipient(peewee.Model):
        alert = peewee.ForeignKeyField(Alert, on_delete="CASCADE")
        address = peewee.CharField(max_length=254)
        delivered_at = peewee.DateTimeField(null=True)
        refused = peewee.TextField(null=True)
        settled_at = peewee.DateTimeField()

        class Meta:
            table_name = "alert_recipient"
            legacy_table_names = False
            indexes = ((("alert", "address"), True),)

    with database.bind_ctx([Alert, AlertRecipient]):
        database.create_tables([AlertRecipient])
    migrator = PostgresqlMigrator(database) if isinstance(database, peewee.PostgresqlDatabase) \
        else SqliteMigrator(database)
    migrate(migrator.add_column("alert", "webhook_refused", peewee.TextField(null=True)))


def _rollup_reason_groups(database) -> None:
    """The reason rollups count per reason and group, so a key central never published counts under its rows' group."""

    class Kiosk(peewee.Model):
        class Meta:
            table_name = "kiosk"

    class RollupHourReason(peewee.Model):
        kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
        hour = peewee.DateTimeField()
        reason = peewee.CharField(max_length=64)
        given = peewee.IntegerField(default=0)
        unhappy = peewee.IntegerField(default=0)
        reason_group = peewee.CharField(max_length=32)

        class Meta:
            table_name = "rollup_hour_reason"
            legacy_table_names = False
            primary_key = peewee.CompositeKey("kiosk", "hour", "reason", "reason_group")

    class RollupDayReason(peewee.Model):
        kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
        day = peewee.DateField()
        reason = peewee.CharField(max_length=64)
        given = peewee.IntegerField(default=0)
        unhappy = peewee.IntegerField(default=0)
        reason_group = peewee.CharField(max_length=32)

        class Meta:
            table_name = "rollup_day_reason"
            legacy_table_names = False
            primary_key = peewee.CompositeKey("kiosk", "day", "reason", "reason_group")

    # A primary key cannot change in place on SQLite: the tables are made anew (they hold counts
    # only, derived from the rows) and counted again from every follow-up held, each under its own
    # group, by the same code ingest uses.
    for model in (RollupHourReason, RollupDayReason):
        database.execute_sql(f'DROP TABLE "{model._meta.table_name}"')
        with database.bind_ctx([Kiosk, model]):
            database.create_tables([model])
    from sync.central.store.rollups import rebuild_all

    rebuild_all(database, faces=False)


def _actions(database: peewee.Database) -> None:
    """Actions a site took, kept row by row (an edit or a withdrawal is a row of its own)."""

    class Site(peewee.Model):
        class Meta:
            table_name = "site"

    class Kiosk(peewee.Model):
        class Meta:
            table_name = "kiosk"

    class Action(peewee.Model):
        id = peewee.CharField(max_length=36, primary_key=True)
        site = peewee.ForeignKeyField(Site, on_delete="CASCADE")
        kiosk = peewee.ForeignKeyField(Kiosk, null=True, on_delete="SET NULL")
        title = peewee.CharField(max_length=80)
        note = peewee.TextField(null=True)
        started_on = peewee.DateField()
        target = peewee.TextField()
        supersedes = peewee.CharField(max_length=36, null=True, index=True)
        withdrawn = peewee.BooleanField(default=False)
        recorded_at = peewee.DateTimeField()
        recorded_by = peewee.CharField(max_length=120, null=True)
        received_at = peewee.DateTimeField()

        class Meta:
            table_name = "action"
            legacy_table_names = False
            indexes = ((("site", "started_on"), False),)

    with database.bind_ctx([Site, Kiosk, Action]):
        database.create_tables([Action])


MIGRATIONS = (
    Migration(1, "initial", _initial),
    Migration(2, "declared_question", _declared_question),
    Migration(3, "legacy_declarations", _legacy_declarations),
    Migration(4, "heartbeat_doubles", _heartbeat_doubles),
    Migration(5, "head_office", _head_office),
    Migration(6, "alert_channels", _alert_channels),
    Migration(7, "login_sessions", _login_sessions),
    Migration(8, "alert_recipients", _alert_recipients),
    Migration(9, "rollup_reason_groups", _rollup_reason_groups),
    Migration(10, "actions", _actions),
)
LATEST = MIGRATIONS[-1].number


def schema_version(database: peewee.Database) -> int:
    """The database's schema version: the highest migration recorded; 1 for a
    database central made before versions were recorded; 0 for an empty one.

    Reads only; takes no lock. SchemaError for a database that holds some of
    central's tables but not all and no record: not one central made.
    """
    tables = set(database.get_tables())
    if SchemaMigration._meta.table_name in tables:
        with database.bind_ctx([SchemaMigration]):
            return SchemaMigration.select(peewee.fn.MAX(SchemaMigration.number)).scalar() or 0
    found = TABLES_2528425 & tables
    if not found:
        return 0
    if found != TABLES_2528425:
        missing = ", ".join(sorted(TABLES_2528425 - found))
        raise SchemaError(f"the database has some of central's tables but not {missing}, and no schema_migration "
                          "table: it is not a database central made; set database_url to central's database "
                          "or an empty one")
    return 1


def pending(database: peewee.Database) -> tuple[int, list[Migration]]:
    """``(version, migrations still to apply)``; SchemaError when the database is newer than this software."""
    version = schema_version(database)
    if version > LATEST:
        raise SchemaError(f"central's database is at schema version {version}, newer than this software's "
                          f"{LATEST}: upgrade hymy on this host to the release that made it, or set "
                          "database_url to a database of this version")
    return version, [migration for migration in MIGRATIONS if migration.number > version]


def apply(database: peewee.Database) -> list[Migration]:
    """Apply every pending migration and record each; return those applied.

    The caller holds the schema lock and a transaction around this: the
    version is read again here, as another process may have migrated while
    this one waited for the lock.
    """
    version, todo = pending(database)
    if not todo:
        return []
    with database.bind_ctx([SchemaMigration]):
        SchemaMigration.create_table(safe=True)
        if version == 1 and not SchemaMigration.select().exists():
            log.info("central's database predates recorded versions: recognised as version 1")
            _record(MIGRATIONS[0])
        for migration in todo:
            # One line per migration in the debug log; open_central_database says how many in one line.
            log.debug("applying central migration %d %s: %s", migration.number, migration.name, migration.summary)
            try:
                migration.apply(database)
            except peewee.DatabaseError as error:
                detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                raise SchemaError(f"migration {migration.number} ({migration.name}) failed, the database stays "
                                  f"at schema version {version}: {detail}") from error
            _record(migration)
    return todo


def _record(migration) -> None:
    SchemaMigration.create(number=migration.number, name=migration.name,
                           applied_at=datetime.now(timezone.utc).replace(tzinfo=None))
