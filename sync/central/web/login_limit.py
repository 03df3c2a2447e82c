"""How many wrong passwords a login may take: per user name and per address, kept in the database.

Central runs as several workers on possibly several hosts, so the counts
live in the ``login_failure`` table, not in a process. Five failures for one
name, or twenty from one address, within fifteen minutes refuse further
attempts, even with the right password, until fifteen minutes after the
first of them; a successful login clears its name's count. Times come from
the app's clock, so tests move time instead of waiting.
"""
from datetime import timedelta

from ..db import write_transaction
from ..models import LoginFailure
from ..timesource import utc_now

WINDOW = timedelta(minutes=15)
LIMITS = {"user": 5, "addr": 20}


def keys(name, address):
    """The counters one attempt touches: its user name (case-folded) and its address."""
    return [f"user:{name.strip().casefold()[:150]}", f"addr:{(address or 'unknown')[:45]}"]


def _limit(key):
    return LIMITS[key.partition(":")[0]]


def blocked_until(attempt_keys):
    """When attempts under *attempt_keys* may start again, or None when they may now."""
    now = utc_now()
    until = None
    for row in LoginFailure.select().where(LoginFailure.key.in_(attempt_keys)):
        ends = row.window_start + WINDOW
        if row.failures >= _limit(row.key) and ends > now:
            until = max(until, ends) if until else ends
    return until


def record_failure(attempt_keys):
    """Count one failed attempt against each key (a window that has passed starts again)."""
    now = utc_now()
    with write_transaction():
        held = {row.key: row for row in LoginFailure.select().where(LoginFailure.key.in_(attempt_keys))}
        for key in attempt_keys:
            row = held.get(key)
            if row is None:
                LoginFailure.insert(key=key, failures=1, window_start=now).on_conflict(
                    conflict_target=[LoginFailure.key],
                    update={LoginFailure.failures: LoginFailure.failures + 1}).execute()
            elif row.window_start + WINDOW <= now:
                LoginFailure.update(failures=1, window_start=now).where(LoginFailure.key == key).execute()
            else:
                LoginFailure.update(failures=LoginFailure.failures + 1).where(LoginFailure.key == key).execute()


def clear(user_key):
    """A successful login: its name starts afresh (the address keeps its count)."""
    with write_transaction():
        LoginFailure.delete().where(LoginFailure.key == user_key).execute()
