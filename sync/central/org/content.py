"""What central publishes and keeps about content: question versions, the
brand's target, and comment redaction (by an admin or by retention).

The ``hymy central`` commands and the admin pages call these; each raises
:class:`~sync.central.org.registry.OrgError` (a name or a number) or
:class:`~sync.wire.errors.ConfigError` (a bad value) with one line.
"""
from collections.abc import Mapping
from datetime import timedelta

import peewee

from sync.central.org.registry import OrgError
from sync.central.store.db import connection, write_transaction
from sync.central.store.models import Followup, Question, Redaction, Setting
from sync.central.store.timesource import utc_now
from sync.wire.errors import ConfigError
from sync.wire.protocol import MAX_QUESTION_VERSION, QUESTION_FIELDS, RowError, uuid_text


def publish_question(key: str, texts: Mapping[str, str]) -> int:
    """Publish the next version of question *key* with *texts* (language -> text); return its number.

    Central never publishes what a kiosk's own check would refuse: the key and
    texts pass the protocol's checks and the number stays within MAX_QUESTION_VERSION.
    """
    try:
        QUESTION_FIELDS["id"](key)
    except RowError as error:
        raise OrgError(f"question key: {error}") from None
    try:
        QUESTION_FIELDS["texts"](texts)
    except RowError as error:
        raise ConfigError(f"question texts: {error}") from None
    try:
        with connection(), write_transaction():
            # Numbered from central's own versions only: what kiosks declare is kept apart (declared_question).
            version = (Question.select(peewee.fn.MAX(Question.version)).where(Question.key == key).scalar() or 0) + 1
            if version > MAX_QUESTION_VERSION:
                raise OrgError(f"question {key!r}: the next version would be {version}, beyond the highest a "
                               f"kiosk accepts ({MAX_QUESTION_VERSION}); publish it under a new key")
            Question.create(key=key, version=version, texts=texts, created_at=utc_now())
    except peewee.IntegrityError:
        raise OrgError(f"question {key!r}: another version was published at the same moment; try again") from None
    return version


#: Setting key: whether a kiosk's network document names the other sites of the ranking.
SHARE_SITE_NAMES = "share_site_names"


def set_share_site_names(share: bool) -> None:
    """Whether the sites' names travel in the network document (off by default: a site sees its rank,
    the best and the median, not who is who)."""
    if not isinstance(share, bool):
        raise ConfigError(f"share_site_names: expected on or off, got {share!r}")
    with connection():
        Setting.insert(key=SHARE_SITE_NAMES, value=share).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: share}).execute()


def shares_site_names() -> bool:
    """The brand's setting, off unless head office turned it on."""
    held = Setting.get_or_none(Setting.key == SHARE_SITE_NAMES)
    return bool(held is not None and held.value is True)


def set_target(percent: float) -> None:
    """Set the brand-wide satisfaction target (share of happy and very happy, in percent)."""
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 <= percent <= 100:
        raise ConfigError(f"target: expected a percentage from 0 to 100, got {percent!r}")
    with connection():
        Setting.insert(key="target", value=percent).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: percent}).execute()


def redact_comment(followup_id: str, by: str | None = None) -> None:
    """Blank one follow-up's comment for good (an admin's decision); OrgError if there is no such follow-up."""
    with connection():
        try:
            uuid_text(followup_id)  # follow-up ids are UUIDs: anything else would only upset the database
            followup = Followup.get_or_none(Followup.id == followup_id)
        except RowError:
            followup = None
        if followup is None:
            raise OrgError(f"no follow-up with id {followup_id!r}")
        _redact(followup, "admin", by)


def prune_comments(retention_days: int) -> int:
    """Blank comments older than *retention_days* (by either clock); return how many."""
    cutoff = utc_now() - timedelta(days=retention_days)
    with connection():
        # Either clock may be the older: a kiosk offline for months, or one whose clock ran fast.
        old = Followup.select().where(Followup.comment.is_null(False)
                                      & ((Followup.recorded_at < cutoff) | (Followup.received_at < cutoff)))
        count = 0
        for followup in old.iterator():
            _redact(followup, "retention")
            count += 1
    return count


def _redact(followup, reason, by=None) -> None:
    """Blank *followup*'s comment and keep the redaction as its own record."""
    with write_transaction():
        Redaction.insert(followup=followup.id, reason=reason, redacted_by=by,
                         redacted_at=utc_now()).on_conflict_ignore().execute()
        Followup.update(comment=None).where(Followup.id == followup.id).execute()
