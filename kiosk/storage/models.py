"""Peewee models for the newest schema (migrations.py builds it).

Ratings and follow-ups are append-only (SQLite triggers refuse UPDATE); what
has been sent lives in the outbox, not on the rows. Queries that several parts
need live here as class methods, not in views.
"""
import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Literal, overload

import peewee

from kiosk.storage.db import database
from sync.wire.protocol import TIME_FORMAT


class UtcDateTimeField(peewee.TextField):
    """An aware UTC datetime stored as the wire's time text (ISO 8601 with a
    ``Z``: sortable, readable by SQLite's date functions, sent as it is stored)."""

    @overload
    def db_value(self, value: datetime) -> str: ...
    @overload
    def db_value(self, value: None) -> None: ...

    def db_value(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(timezone.utc).strftime(TIME_FORMAT)

    @overload
    def python_value(self, value: str) -> datetime: ...
    @overload
    def python_value(self, value: None) -> None: ...

    def python_value(self, value: str | None) -> datetime | None:
        if value is None:
            return None
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=timezone.utc)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False

    @classmethod
    def append(cls, **values: Any) -> None:
        """INSERT one row through a statement built once per model.

        The recorder's hot path: building the same INSERT through peewee's query
        builder on every press costs more than SQLite's own durable commit. The
        statement runs on this thread's connection as it is (inside the caller's
        :func:`immediate_transaction`); only the time fields are converted, the
        recorder hands every other value over in its database type already.
        """
        statement = cls.__dict__.get("_append_statement")
        if statement is None:
            statement = _insert_statement(cls)
            cls._append_statement = statement  # type: ignore[attr-defined]  # kept on each model class
        sql, fields = statement
        cls._meta.database.connection().execute(
            sql, [convert(values.get(name)) if convert else values.get(name) for name, convert in fields])


def _insert_statement(model: type[peewee.Model]) -> tuple[str, list[tuple[str, Any]]]:
    """``(INSERT naming every column, [(field name, converter or None)])`` for *model*."""
    fields = model._meta.sorted_fields
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join("?" for _ in fields)
    converters = [(f.name, f.db_value if isinstance(f, UtcDateTimeField) else None) for f in fields]
    return f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})', converters


class immediate_transaction:  # noqa: N801 - used like peewee's atomic(), a context manager
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on this thread's connection; ``ROLLBACK`` on any exception.

    The recorder's hot path, with SQLite's own statements rather than peewee's
    ``atomic()``, whose bookkeeping costs a third of an empty transaction.
    Statements inside run on the same connection, whether through peewee or
    not; peewee does not know the transaction is open, so do not nest
    ``atomic()`` in it. Errors are sqlite3's own (``sqlite3.DatabaseError``).
    Yields the sqlite3 connection.
    """

    __slots__ = ("connection",)

    def __enter__(self) -> sqlite3.Connection:
        self.connection = database.connection()
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> Literal[False]:
        connection = self.connection
        if exc_type is None:
            try:
                connection.execute("COMMIT")
                return False
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        return False


class Rating(BaseModel):
    """One press or tap on a face. Never changes once written."""

    id = peewee.TextField(primary_key=True)
    seq = peewee.IntegerField(unique=True)
    kiosk_id = peewee.TextField()
    question_id = peewee.TextField()
    question_version = peewee.IntegerField()
    rating = peewee.IntegerField()
    source = peewee.TextField()
    recorded_at = UtcDateTimeField()
    clock_trusted = peewee.BooleanField()
    boot_id = peewee.TextField()
    monotonic = peewee.FloatField()
    filtered = peewee.TextField(null=True)

    @classmethod
    def last_press(cls) -> tuple[int, str, float] | None:
        """``(seq, boot_id, monotonic)`` of the newest rating, or None.

        Read inside the recorder's transaction on every press rather than kept in
        memory: other writers exist (a second recorder in ``hymy demo``'s seeding,
        bench and test fixtures that write rows directly, retention), and this
        index lookup costs a few microseconds.
        """
        row: tuple[int, str, float] | None = cls._meta.database.connection().execute(
            "SELECT seq, boot_id, monotonic FROM rating ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return row

    @classmethod
    def quarantined_seqs(cls, seqs: Iterable[int]) -> set[int]:
        """Which of *seqs* belong to ratings quarantined in the outbox."""
        if not seqs:
            return set()
        query: Any = (cls.select(cls.seq).join(Outbox, on=(Outbox.item_id == cls.id))
                 .where(Outbox.quarantined_at.is_null(False) & cls.seq.in_(list(seqs))))
        return {seq for (seq,) in query.tuples()}



class Followup(BaseModel):
    """The optional answer to "what mattered most?", one per rating."""

    id = peewee.TextField(primary_key=True)
    rating = peewee.ForeignKeyField(Rating, column_name="rating_id", unique=True, backref="followups")
    reason = peewee.TextField()
    reason_group = peewee.TextField()
    comment = peewee.TextField(null=True)
    recorded_at = UtcDateTimeField()
    clock_trusted = peewee.BooleanField()
    boot_id = peewee.TextField()
    monotonic = peewee.FloatField()


class Outbox(BaseModel):
    """Items waiting to be shipped to central, oldest position first.

    A row central called bad is quarantined: kept (never pruned, never lost),
    no longer sent, and shown by ``hymy sync --status``.
    """

    position = peewee.AutoField()
    kind = peewee.TextField()
    item_id = peewee.TextField(unique=True)
    quarantined_at = UtcDateTimeField(null=True)
    quarantine_reason = peewee.TextField(null=True)

    @classmethod
    def pending(cls) -> "peewee.ModelSelect[Outbox]":
        return cls.select().where(cls.quarantined_at.is_null())

    @classmethod
    def pending_count(cls) -> int:
        return cls.pending().count()

    @classmethod
    def oldest_pending_time(cls) -> datetime | None:
        """When the oldest pending rating was recorded, or None."""
        row = (Rating.select(Rating.recorded_at).join(cls, on=(cls.item_id == Rating.id))
               .where(cls.quarantined_at.is_null()).order_by(cls.position).first())
        return row.recorded_at if row else None

    @classmethod
    def quarantined(cls) -> "peewee.ModelSelect[Outbox]":
        return cls.select().where(cls.quarantined_at.is_null(False))

    @classmethod
    def requeue(cls, item_id: str | None = None) -> int:
        """Put quarantined items (all, or the one *item_id*) back in the queue,
        at their old place; return how many. For rows set aside by a central
        bug, once central is fixed."""
        query = cls.update(quarantined_at=None, quarantine_reason=None).where(cls.quarantined_at.is_null(False))
        if item_id is not None:
            query = query.where(cls.item_id == item_id)
        return query.execute()


class QuestionText(BaseModel):
    """The texts of each question version this kiosk recorded under."""

    id = peewee.TextField()
    version = peewee.IntegerField()
    texts = peewee.TextField()  # JSON: language -> text

    class Meta:
        table_name = "question"
        primary_key = peewee.CompositeKey("id", "version")


class JsonKeyValue(BaseModel):
    """A small key/value table whose values are JSON: one shape, two tables."""

    key = peewee.TextField(primary_key=True)
    value = peewee.TextField()  # JSON

    @classmethod
    def read(cls, key: str, default: Any = None) -> Any:
        row = cls.get_or_none(cls.key == key)
        return json.loads(row.value) if row else default

    @classmethod
    def write(cls, **values: Any) -> None:
        for key, value in values.items():
            cls.insert(key=key, value=json.dumps(value)).on_conflict("replace").execute()


class SyncState(JsonKeyValue):
    """The uploader's small key/value memory (last success, central's view)."""


class Boot(BaseModel):
    """Per boot, the first (wall, monotonic) pair taken with a trusted clock."""

    boot_id = peewee.TextField(primary_key=True)
    first_seen_at = UtcDateTimeField()
    trusted_wall = UtcDateTimeField(null=True)
    trusted_monotonic = peewee.FloatField(null=True)


class HourlyCount(BaseModel):
    """One local hour's counts, kept beyond raw retention (see migrations, version 4)."""

    hour_start = UtcDateTimeField(primary_key=True)
    local_day = peewee.TextField()
    local_hour = peewee.IntegerField()
    # The counts are named as at central (sync/wire/figures.py HOUR_COUNTS); the columns keep their names.
    very_unhappy = peewee.IntegerField(default=0, column_name="face_1")
    unhappy = peewee.IntegerField(default=0, column_name="face_2")
    happy = peewee.IntegerField(default=0, column_name="face_3")
    very_happy = peewee.IntegerField(default=0, column_name="face_4")
    repeat = peewee.IntegerField(default=0)
    closed = peewee.IntegerField(default=0)
    unverified = peewee.IntegerField(default=0)
    followups = peewee.IntegerField(default=0)


class HourlyReason(BaseModel):
    """Follow-ups of counted ratings per reason in one local hour (unhappy: of ratings 1-2)."""

    hour_start = UtcDateTimeField()
    reason = peewee.TextField()
    reason_group = peewee.TextField()
    given = peewee.IntegerField(default=0, column_name="followups")  # REASON_COUNTS, as at central
    unhappy = peewee.IntegerField(default=0)

    class Meta:
        primary_key = peewee.CompositeKey("hour_start", "reason")


class ClockDecision(BaseModel):
    """The kiosk's decision of an unverified rating, once its boot's clock was trusted."""

    rating = peewee.ForeignKeyField(Rating, column_name="rating_id", primary_key=True, on_delete="CASCADE")
    corrected_at = UtcDateTimeField()
    filtered = peewee.TextField(null=True)


class KioskAction(BaseModel):
    """One row of an action the manager recorded (kiosk/storage/actions.py), as the wire carries it."""

    id = peewee.TextField(primary_key=True)
    document = peewee.TextField()  # the checked JSON document
    recorded_at = UtcDateTimeField()
    sent_at = UtcDateTimeField(null=True)
    refused = peewee.TextField(null=True)

    class Meta:
        table_name = "action"


class KioskState(JsonKeyValue):
    """Device state a person sets (the pause, the manager lock-out), as JSON values."""
