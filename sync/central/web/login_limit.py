"""How many wrong passwords a login may take: per user name and per address, kept in the database.

Central runs as several workers on possibly several hosts, so the counts
live in the ``login_failure`` table, not in a process. Five tries for one
name, or twenty from one address, within fifteen minutes refuse further
attempts, even with the right password, until fifteen minutes after the
first of them.

Each try is claimed before its password is checked, in one short write
transaction: every counter it touches goes up by one (an upsert returning
the new count), and when any would pass its limit the transaction rolls
back and the try is refused. The claim is atomic, so parallel requests on
any number of workers cannot slip past a limit: of 40 tries at once for one
name, 5 are checked. The password is checked after the transaction (a
scrypt check takes about 130 ms; holding SQLite's write lock that long would
stall ingest). A wrong password needs no second write: it was counted when
claimed. A right one clears its name's count and takes its own try off the
address's, so colleagues behind one address never lock each other out by
logging in. Times come from the app's clock, so tests move time instead of
waiting.

On PostgreSQL the upserts take the counters' row locks in key order (every
``addr:`` key sorts before every ``user:`` key), so two claims never wait on
each other in a circle. On SQLite the write transaction takes the database's
writer lock (``BEGIN IMMEDIATE``).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import peewee

from sync.central.store.db import write_transaction
from sync.central.store.models import LoginFailure
from sync.central.store.timesource import utc_now

WINDOW = timedelta(minutes=15)
LIMITS = {"user": 5, "addr": 20}


@dataclass(frozen=True)
class Claim:
    """One login try: the counters it was counted against, or when tries may start again."""

    keys: tuple[str, str]
    refused_until: Optional[datetime] = None


class _OverLimit(Exception):
    """Rolls a claim back: one of its counters is at its limit."""

    def __init__(self, until: datetime | None) -> None:
        self.until = until


def keys(name: str, address: Optional[str]) -> tuple[str, str]:
    """The counters one attempt touches: its user name (case-folded) and its address."""
    return (f"user:{name.strip().casefold()[:150]}", f"addr:{(address or 'unknown')[:45]}")


def _limit(key: str) -> int:
    return LIMITS[key.partition(":")[0]]


def claim(name: str, address: Optional[str]) -> Claim:
    """Count a try for *name* from *address* on each of its counters, or refuse it (nothing counted)."""
    attempt_keys = keys(name, address)
    now = utc_now()
    try:
        with write_transaction():
            for key in sorted(attempt_keys):
                failures, window_start = _count_one(key, now)
                if failures > _limit(key):
                    raise _OverLimit(window_start + WINDOW)
    except _OverLimit as over:
        return Claim(attempt_keys, refused_until=over.until)
    return Claim(attempt_keys)


def _count_one(key: str, now: datetime) -> tuple[int, datetime]:
    """Add one try to *key*'s counter (a window that has passed starts again); its count and window."""
    expired = LoginFailure.window_start <= now - WINDOW
    query = LoginFailure.insert(key=key, failures=1, window_start=now).on_conflict(
        conflict_target=[LoginFailure.key],
        update={LoginFailure.failures: peewee.Case(None, [(expired, 1)], LoginFailure.failures + 1),
                LoginFailure.window_start: peewee.Case(None, [(expired, now)], LoginFailure.window_start)},
    ).returning(LoginFailure.failures, LoginFailure.window_start)
    row = query.objects().execute()[0]  # objects(): the values as the fields read them (aware UTC times)
    return row.failures, row.window_start


def succeeded(claim: Claim) -> None:
    """The password was right: its name starts afresh, and its try leaves the address's count."""
    user_key, address_key = claim.keys
    with write_transaction():  # the rows in the claims' order (addr: before user:), so no two wait in a circle
        LoginFailure.update(failures=LoginFailure.failures - 1).where(
            (LoginFailure.key == address_key) & (LoginFailure.failures > 0)).execute()
        LoginFailure.delete().where(LoginFailure.key == user_key).execute()
