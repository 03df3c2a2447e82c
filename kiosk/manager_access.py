"""The manager screen's lock-out, kept in the database for the whole device.

Five wrong PINs within five minutes lock the manager screen for five
minutes, in every browser at once: the count lives in ``kiosk_state``, not
in a session a second browser would not share, and each change is one
transaction, so two browsers trying at once are both counted.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from .db import database
from .models import KioskState

#: kiosk_state key of the lock-out's memory.
LOCKOUT = "manager_lockout"


@dataclass(frozen=True)
class LockOut:
    """The rule: *tries* wrong PINs within *window* lock for *duration*."""

    tries: int = 5
    window: timedelta = timedelta(minutes=5)
    duration: timedelta = timedelta(minutes=5)

    def locked_until(self, now):
        """When the lock ends, or None when the manager screen is open to a PIN."""
        state = KioskState.read(LOCKOUT, {})
        until = state.get("locked_until")
        if until and now < datetime.fromisoformat(until):
            return datetime.fromisoformat(until)
        return None

    def failure(self, now):
        """Count a wrong PIN at *now*; return when the lock ends if this one locked it."""
        with database.atomic("IMMEDIATE"):
            state = KioskState.read(LOCKOUT, {})
            recent = [t for t in state.get("failures", []) if now - datetime.fromisoformat(t) < self.window]
            recent.append(now.isoformat())
            until = None
            if len(recent) >= self.tries:
                until, recent = now + self.duration, []
            KioskState.write(**{LOCKOUT: {"failures": recent, "locked_until": until.isoformat() if until else None}})
        return until

    def success(self):
        """A right PIN clears the count."""
        with database.atomic("IMMEDIATE"):
            KioskState.write(**{LOCKOUT: {"failures": [], "locked_until": None}})
