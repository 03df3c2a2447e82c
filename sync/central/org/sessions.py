"""Head office's sessions, kept in the database: opened at login, looked up on every request, ended
by deleting their row.

A browser's cookie carries a random id; the ``login_session`` table keeps only
its SHA-256, so a copy of the database opens no session. Because every worker
and host reads the same rows, logging out, a password change, deleting the
user (the rows cascade) and idle time end a session everywhere at once.

A request writes its session's ``seen_at`` only when the stored time is a
minute old or more (:data:`TOUCH_EVERY`): pages that load several requests a
second would otherwise each take the database's write lock (on SQLite, the
one lock ingest and the presses' batches queue on). The price is that the idle
limit counts from a time up to a minute before the last request: a session
ends between ``session_minutes`` - 1 and ``session_minutes`` minutes after it,
never later.
"""
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple, Optional

from sync.central.store.db import write_transaction
from sync.central.store.models import LoginSession, User

#: How stale ``seen_at`` may get before a request writes it again.
TOUCH_EVERY = timedelta(minutes=1)


class Found(NamedTuple):
    """What a session id stands for: its user (None: no such session, or it ended) and whether
    it ended just now for being idle (the page then says so)."""

    user: Optional[User]
    idle: bool = False


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(user: User, now: datetime, idle_limit: timedelta) -> str:
    """A new session for *user*; return its id (for the cookie only). Sessions that have gone idle
    are pruned in the same transaction, so the table holds little more than the open ones."""
    session_id = secrets.token_urlsafe(32)
    with write_transaction():
        _prune(now, idle_limit)
        LoginSession.create(id=_key(session_id), user=user.id, created_at=now, seen_at=now)
    return session_id


def find(session_id: object, now: datetime, idle_limit: timedelta) -> Found:
    """The user of the open session *session_id*; an idle one is ended here.

    One read joins the session to its user; a write only when the session went idle
    or its ``seen_at`` is :data:`TOUCH_EVERY` old.
    """
    if not isinstance(session_id, str) or not session_id:
        return Found(None)
    key = _key(session_id)
    row = LoginSession.select(LoginSession, User).join(User).where(LoginSession.id == key).get_or_none()
    if row is None:
        return Found(None)
    if now - row.seen_at >= idle_limit:
        with write_transaction():
            LoginSession.delete().where(LoginSession.id == key).execute()
        return Found(None, idle=True)
    if now - row.seen_at >= TOUCH_EVERY:
        # Conditional, so that the requests of one page arriving together write once.
        with write_transaction():
            LoginSession.update(seen_at=now).where(
                (LoginSession.id == key) & (LoginSession.seen_at <= now - TOUCH_EVERY)).execute()
    return Found(row.user)


def end(session_id: object) -> None:
    """Logging out: the session's row goes, on every worker at once."""
    if isinstance(session_id, str) and session_id:
        with write_transaction():
            LoginSession.delete().where(LoginSession.id == _key(session_id)).execute()


def end_all_of(user_id: int) -> int:
    """Every session of one user ends (a password change; the caller holds a write transaction)."""
    return LoginSession.delete().where(LoginSession.user == user_id).execute()


def prune(now: datetime, idle_limit: timedelta) -> int:
    """Remove the rows of sessions idle longer than *idle_limit*; return how many."""
    with write_transaction():
        return _prune(now, idle_limit)


def _prune(now: datetime, idle_limit: timedelta) -> int:
    return LoginSession.delete().where(LoginSession.seen_at <= now - idle_limit).execute()
