"""Central's database models, portable between SQLite and PostgreSQL.

The service-management view: sites run services from a central catalogue,
optionally through providers (subcontractors under the one brand); kiosks
stand at a site, bound to a service. Ratings and follow-ups arrive from
kiosks and are kept once, by their UUID; a comment is only ever blanked by a
:class:`Redaction` record, never edited in place.
"""
import json
from datetime import datetime, timezone
from typing import Any

import peewee

central_db = peewee.DatabaseProxy()


class UtcDateTimeField(peewee.DateTimeField):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC."""

    def db_value(self, value: datetime | None) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> datetime | None:
        value = super().python_value(value)
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class JsonField(peewee.TextField):
    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = central_db
        legacy_table_names = False


class Site(BaseModel):
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker
    name = peewee.CharField(max_length=120, unique=True)
    timezone = peewee.CharField(max_length=64, default="Europe/Helsinki")
    opening_hours = JsonField(default=dict)  # as in the kiosk config; {} = always open
    # The site manager's PIN (werkzeug hash), sent to the site's kiosks in their config.
    manager_pin_hash = peewee.CharField(max_length=255, null=True)


class Service(BaseModel):
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker
    name = peewee.CharField(max_length=120, unique=True)


class Provider(BaseModel):
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker
    name = peewee.CharField(max_length=120, unique=True)


class Question(BaseModel):
    """One version of a question central published. A used version never
    changes: new text, new version. Only central numbers these (the default
    question, ``set-question``); they are what kiosks are sent.

    Every row is published. Versions kiosks declare are kept per kiosk
    (:class:`DeclaredQuestion`); those an older central kept here unpublished,
    without the kiosk, migration 3 moved there for each kiosk whose ratings
    cite them (sync/central/store/migrations.py).
    """
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    key = peewee.CharField(max_length=64)
    version = peewee.IntegerField()
    texts = JsonField()
    created_at = UtcDateTimeField()
    published = peewee.BooleanField(default=True)

    class Meta:
        indexes = ((("key", "version"), True),)


class Reason(BaseModel):
    """A follow-up reason known to central. Keys never change; labels may."""

    key = peewee.CharField(max_length=64, primary_key=True)
    group = peewee.CharField(max_length=32)
    labels = JsonField(default=dict)
    position = peewee.IntegerField(default=0)
    offered = peewee.BooleanField(default=True)


class Setting(BaseModel):
    """Brand-wide settings, such as the satisfaction target."""

    key = peewee.CharField(max_length=64, primary_key=True)
    value = JsonField()


class Kiosk(BaseModel):
    """A kiosk as central knows it: where it stands, what it serves, its token's
    hash and, once enrolled, its own UUID (``uuid``, the wire's ``kiosk_id``).

    ``id`` is central's own number for it, the key every rollup, status and
    rating row refers to; ``uuid`` is what the kiosk calls itself."""
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    noun = "kiosk"  # what messages call it

    name = peewee.CharField(max_length=120, unique=True)
    site = peewee.ForeignKeyField(Site, backref="kiosks")
    site_id: int  # the key peewee reads from site
    service = peewee.ForeignKeyField(Service, backref="kiosks")
    service_id: int  # the key peewee reads from service
    provider = peewee.ForeignKeyField(Provider, null=True, backref="kiosks")
    provider_id: int | None  # the key peewee reads from provider
    question_key = peewee.CharField(max_length=64, default="service")
    token_hash = peewee.CharField(max_length=64, unique=True)
    #: The kiosk's own UUID (the wire's ``kiosk_id``), bound at enrollment; ``id`` is central's own number.
    uuid = peewee.CharField(max_length=36, null=True, unique=True, column_name="device_id")
    enrolled_at = UtcDateTimeField(null=True)
    revoked = peewee.BooleanField(default=False)
    created_at = UtcDateTimeField()
    seq_contiguous = peewee.BigIntegerField(default=0)  # every seq 1..this is held
    seq_highest = peewee.BigIntegerField(default=0)
    last_batch_at = UtcDateTimeField(null=True)  # when central last took a batch (fleet: last sync, with heartbeats)

    class Meta:
        table_name = "kiosk"


class DeclaredQuestion(BaseModel):
    """A question version one kiosk declared in a batch: the text its rows
    cite, e.g. recorded under its local config before enrollment.

    Kept per kiosk and apart from :class:`Question`: a kiosk's number labels
    that kiosk's rows only, and can never collide with or push up the
    versions central publishes.
    """
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    kiosk = peewee.ForeignKeyField(Kiosk, backref="declared_questions")
    kiosk_id: int  # the key peewee reads from kiosk
    key = peewee.CharField(max_length=64)
    version = peewee.IntegerField()
    texts = JsonField()
    received_at = UtcDateTimeField()

    class Meta:
        indexes = ((("kiosk", "key", "version"), True),)


class KioskStatus(BaseModel):
    """The latest heartbeat of each kiosk: the fleet view reads this."""

    kiosk = peewee.ForeignKeyField(Kiosk, primary_key=True, backref="status")
    kiosk_id: int  # the key peewee reads from kiosk
    reported_at = UtcDateTimeField()
    software_version = peewee.CharField(max_length=40)
    pending = peewee.IntegerField()
    # Double, as the ratings' readings: FloatField is PostgreSQL's 4-byte REAL, which rounds a
    # reading to 7 digits and refuses a value as small as 1e-308 (a 500 on a valid heartbeat).
    oldest_pending_seconds = peewee.DoubleField(null=True)
    quarantined = peewee.IntegerField(default=0)
    boot_id = peewee.CharField(max_length=64)
    wall = UtcDateTimeField()
    monotonic = peewee.DoubleField()
    clock_trusted = peewee.BooleanField()
    free_disk_bytes = peewee.BigIntegerField(null=True)
    gap_error = peewee.TextField(null=True)  # a sequence gap that outlived a full sync


class User(BaseModel):
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker
    name = peewee.CharField(max_length=120, unique=True)
    role = peewee.CharField(max_length=16)  # admin | viewer
    password_hash = peewee.CharField(max_length=255)
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_at = UtcDateTimeField()
    email = peewee.CharField(max_length=254, null=True)  # where alerts and the digest go
    # True: opted in to the daily digest of their sites. Nullable, so that migration 5 adds it with a
    # plain ALTER TABLE: SQLite rebuilds a table for a NOT NULL column, and the rebuild's DROP TABLE
    # would cascade to user_site.
    digest = peewee.BooleanField(null=True)
    # True: the alerts of the user's sites go to their email too, beside the rules' own addresses.
    alert_email = peewee.BooleanField(null=True)


class UserSite(BaseModel):
    """The sites a viewer may see (admins see all)."""
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    user = peewee.ForeignKeyField(User, backref="site_links", on_delete="CASCADE")
    user_id: int  # the key peewee reads from user
    site = peewee.ForeignKeyField(Site, on_delete="CASCADE")
    site_id: int  # the key peewee reads from site

    class Meta:
        indexes = ((("user", "site"), True),)


class Rating(BaseModel):
    id = peewee.CharField(max_length=36, primary_key=True)
    kiosk = peewee.ForeignKeyField(Kiosk, backref="ratings")
    kiosk_id: int  # the key peewee reads from kiosk
    seq = peewee.BigIntegerField()
    question_key = peewee.CharField(max_length=64)
    question_version = peewee.IntegerField()
    rating = peewee.SmallIntegerField()
    source = peewee.CharField(max_length=8)
    recorded_at = UtcDateTimeField()  # the kiosk's own clock, kept as sent
    clock_trusted = peewee.BooleanField()
    boot_id = peewee.CharField(max_length=64)
    monotonic = peewee.DoubleField()
    kiosk_filter = peewee.CharField(max_length=12, null=True)  # as the kiosk flagged it
    occurred_at = UtcDateTimeField(index=True)  # best known real time
    time_basis = peewee.CharField(max_length=16)  # kiosk | corrected | uncorrectable
    filtered = peewee.CharField(max_length=12, null=True)  # final: repeat | closed | unverified | None
    received_at = UtcDateTimeField()

    class Meta:
        indexes = ((("kiosk", "seq"), True),)


class Followup(BaseModel):
    id = peewee.CharField(max_length=36, primary_key=True)
    rating = peewee.ForeignKeyField(Rating, unique=True, backref="followups")
    rating_id: int  # the key peewee reads from rating
    reason = peewee.CharField(max_length=64)
    reason_group = peewee.CharField(max_length=32)
    comment = peewee.TextField(null=True)
    recorded_at = UtcDateTimeField()
    clock_trusted = peewee.BooleanField()
    boot_id = peewee.CharField(max_length=64)
    monotonic = peewee.DoubleField()
    received_at = UtcDateTimeField()


class Redaction(BaseModel):
    """A comment blanked by an admin or by retention; re-delivery ignores it."""
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    followup = peewee.ForeignKeyField(Followup, unique=True, backref="redactions")
    followup_id: int  # the key peewee reads from followup
    reason = peewee.CharField(max_length=16)  # admin | retention
    redacted_by = peewee.CharField(max_length=120, null=True)
    redacted_at = UtcDateTimeField()


class Conflict(BaseModel):
    """A re-delivered UUID whose content differs from what central holds."""
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    kiosk = peewee.ForeignKeyField(Kiosk, backref="conflicts")
    kiosk_id: int  # the key peewee reads from kiosk
    item_id = peewee.CharField(max_length=36)
    kind = peewee.CharField(max_length=8)
    batch_id = peewee.CharField(max_length=36)
    received_at = UtcDateTimeField()
    fields = JsonField()  # names of the fields that differ


class _Faces(BaseModel):
    """Counted ratings per face, left-out ratings per filter, follow-ups of counted ratings."""

    very_unhappy = peewee.IntegerField(default=0)
    unhappy = peewee.IntegerField(default=0)
    happy = peewee.IntegerField(default=0)
    very_happy = peewee.IntegerField(default=0)
    repeat = peewee.IntegerField(default=0)
    closed = peewee.IntegerField(default=0)
    unverified = peewee.IntegerField(default=0)
    followups = peewee.IntegerField(default=0)


class RollupHour(_Faces):
    """One kiosk's ratings in one UTC hour (by ``occurred_at``), as they entered at ingest.

    Reports read these and :class:`RollupDay`, never the raw rows
    (sync/central/store/rollups.py keeps them, in ingest's transaction).
    """

    kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
    kiosk_id: int  # the key peewee reads from kiosk
    hour = UtcDateTimeField()  # the hour's start, UTC

    class Meta:
        primary_key = peewee.CompositeKey("kiosk", "hour")


class RollupDay(_Faces):
    """One kiosk's ratings in one local day of its site: exact in every zone, half-hour ones included."""

    kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
    kiosk_id: int  # the key peewee reads from kiosk
    day = peewee.DateField()

    class Meta:
        primary_key = peewee.CompositeKey("kiosk", "day")


class RollupHourReason(BaseModel):
    """Follow-ups of counted ratings per reason and the group the rows gave it (central's own for a
    reason it publishes; as the kiosk gave it for one it never did), in one kiosk's UTC hour (of the rating)."""

    kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
    kiosk_id: int  # the key peewee reads from kiosk
    hour = UtcDateTimeField()
    reason = peewee.CharField(max_length=64)
    given = peewee.IntegerField(default=0)
    unhappy = peewee.IntegerField(default=0)  # among ratings 1 and 2
    reason_group = peewee.CharField(max_length=32)

    class Meta:
        primary_key = peewee.CompositeKey("kiosk", "hour", "reason", "reason_group")


class RollupDayReason(BaseModel):
    """Follow-ups of counted ratings per reason and group, in one kiosk's local day."""

    kiosk = peewee.ForeignKeyField(Kiosk, on_delete="CASCADE")
    kiosk_id: int  # the key peewee reads from kiosk
    day = peewee.DateField()
    reason = peewee.CharField(max_length=64)
    given = peewee.IntegerField(default=0)
    unhappy = peewee.IntegerField(default=0)
    reason_group = peewee.CharField(max_length=32)

    class Meta:
        primary_key = peewee.CompositeKey("kiosk", "day", "reason", "reason_group")


class LoginFailure(BaseModel):
    """Failed logins per user name or per address (``user:NAME``, ``addr:IP``), shared by every
    worker and host: the login rate limit must not live in one process's memory."""

    key = peewee.CharField(max_length=200, primary_key=True)
    failures = peewee.IntegerField(default=0)
    window_start = UtcDateTimeField()


class LoginSession(BaseModel):
    """A head-office login, kept server-side: the cookie carries a random id, this row its hash.

    Every request looks its row up, so ending a session (logout, a password
    change, the user's deletion, idle time) is deleting or outliving the row,
    seen at once by every worker and host. ``seen_at`` is the last request's
    time, written at most once a minute (sync/central/org/sessions.py).
    """

    id = peewee.CharField(max_length=64, primary_key=True)  # sha256 hex of the cookie's id
    user = peewee.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    user_id: int  # the key peewee reads from user
    created_at = UtcDateTimeField()
    seen_at = UtcDateTimeField(index=True)


class AlertRule(BaseModel):
    """When to tell someone: a site's or a service's unhappy share or silent kiosks."""
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    site = peewee.ForeignKeyField(Site, null=True, on_delete="CASCADE")
    site_id: int | None  # the key peewee reads from site
    service = peewee.ForeignKeyField(Service, null=True, on_delete="CASCADE")
    service_id: int | None  # the key peewee reads from service
    unhappy_share = peewee.IntegerField()
    window_minutes = peewee.IntegerField()
    min_responses = peewee.IntegerField()
    silent_minutes = peewee.IntegerField()
    emails = JsonField(default=list)
    webhook_url = peewee.CharField(max_length=2000, null=True)
    # The webhook's HMAC key: kept as is, since signing needs the key itself (a hash would not do).
    secret = peewee.CharField(max_length=100)
    active = peewee.BooleanField(default=True)
    created_at = UtcDateTimeField()


class Alert(BaseModel):
    """One episode of a rule: opened when its condition starts, closed when it ends; sent once
    on each channel (``email_sent_at``, ``webhook_sent_at``); ``sent_at`` is the sender's claim,
    kept once every channel has it."""
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    rule = peewee.ForeignKeyField(AlertRule, backref="alerts", on_delete="CASCADE")
    rule_id: int  # the key peewee reads from rule
    kind = peewee.CharField(max_length=16)  # unhappy | silent
    kiosk = peewee.ForeignKeyField(Kiosk, null=True, on_delete="CASCADE")  # the silent kiosk
    kiosk_id: int | None  # the key peewee reads from kiosk
    started_at = UtcDateTimeField(index=True)
    ended_at = UtcDateTimeField(null=True)
    detail = JsonField(default=dict)
    sent_at = UtcDateTimeField(null=True)
    delivery_error = peewee.TextField(null=True)
    acknowledged_at = UtcDateTimeField(null=True)
    acknowledged_by = peewee.CharField(max_length=120, null=True)
    email_sent_at = UtcDateTimeField(null=True)
    webhook_sent_at = UtcDateTimeField(null=True)
    # Why the webhook was refused for good (its scheme or address is not allowed): never posted, never retried.
    webhook_refused = peewee.TextField(null=True)


# At most one open episode per rule, kind (and kiosk): the worker lock keeps two workers from
# evaluating at once, and these keep the database itself from holding a second open episode
# should a lock ever be lost (a PostgreSQL session dropped under a worker).
Alert.add_index(peewee.ModelIndex(Alert, (Alert.rule, Alert.kind, Alert.kiosk), unique=True,
                                  where=Alert.ended_at.is_null() & Alert.kiosk.is_null(False),
                                  name="alert_open_kiosk_episode"))
Alert.add_index(peewee.ModelIndex(Alert, (Alert.rule, Alert.kind), unique=True,
                                  where=Alert.ended_at.is_null() & Alert.kiosk.is_null(),
                                  name="alert_open_rule_episode"))


class AlertRecipient(BaseModel):
    """One person's copy of an alert email, once it is settled: delivered (``delivered_at``), or
    refused for good (``refused`` says why: the server's 5xx for that address, or an address that is
    not one). A recipient without a row is still due, so a retry reaches only those not yet reached."""
    id = peewee.AutoField()  # peewee's implicit key, declared for the type checker

    alert = peewee.ForeignKeyField(Alert, on_delete="CASCADE")
    alert_id: int  # the key peewee reads from alert
    address = peewee.CharField(max_length=254)
    delivered_at = UtcDateTimeField(null=True)
    refused = peewee.TextField(null=True)
    settled_at = UtcDateTimeField()

    class Meta:
        indexes = ((("alert", "address"), True),)


class DigestSent(BaseModel):
    """The last local day a user's digest went out for: the worker sends each day once."""

    user = peewee.ForeignKeyField(User, primary_key=True, on_delete="CASCADE")
    user_id: int  # the key peewee reads from user
    day = peewee.DateField()
    sent_at = UtcDateTimeField()



class Action(BaseModel):
    """One row of an action a site took (sync/wire/protocol/actions.py): never changed; an edit is a
    new row that ``supersedes`` it, a withdrawal a new row with ``withdrawn``. A kiosk's names the
    kiosk (``kiosk``); head office's names who recorded it (``recorded_by``)."""

    id = peewee.CharField(max_length=36, primary_key=True)
    site = peewee.ForeignKeyField(Site, on_delete="CASCADE", backref="actions")
    site_id: int  # the key peewee reads from site
    kiosk = peewee.ForeignKeyField(Kiosk, null=True, on_delete="SET NULL")
    kiosk_id: int | None  # the key peewee reads from kiosk
    title = peewee.CharField(max_length=80)
    note = peewee.TextField(null=True)
    started_on = peewee.DateField()
    target = JsonField()
    supersedes = peewee.CharField(max_length=36, null=True, index=True)
    withdrawn = peewee.BooleanField(default=False)
    recorded_at = UtcDateTimeField()
    recorded_by = peewee.CharField(max_length=120, null=True)
    received_at = UtcDateTimeField()

    class Meta:
        indexes = ((("site", "started_on"), False),)


MODELS = (
    Site, Service, Provider, Question, Reason, Setting, Kiosk, DeclaredQuestion, KioskStatus, User, UserSite,
    Rating, Followup, Redaction, Conflict, RollupHour, RollupDay, RollupHourReason, RollupDayReason, LoginFailure,
    AlertRule, Alert, DigestSent, LoginSession, AlertRecipient, Action,
)
