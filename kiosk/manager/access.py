"""Getting into the manager screen: the device-wide lock-out and the open sessions.

**The lock-out.** Five PIN tries within five minutes lock the manager screen,
in every browser at once, until five minutes after the first of them: the
tries live in ``kiosk_state``, not in a session a second browser would not
share. Each try is claimed before its PIN is checked, in one short
``BEGIN IMMEDIATE`` transaction (count the tries in the window, refuse when
five are there, record this one), so tries in parallel are counted one after
another and at most five are ever checked. The PIN's hash is checked after
that transaction (a scrypt check takes about 130 ms; holding the write lock
that long would stall the presses being recorded). A wrong PIN needs no
second write: it was counted when claimed. A right one clears the count.

**The sessions.** Which manager sessions are open is kept here, in this
process: a browser's cookie names one by a random id, and the id means
something only while it is in :class:`OpenSessions`. "Back to customers",
three idle minutes and a restart (a new process starts empty) end a session
on the server, so a copy of the cookie opens nothing afterwards.
"""
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Optional

from kiosk.storage.db import database
from kiosk.storage.models import KioskState

if TYPE_CHECKING:
    from sync.common.clock import Clock

#: kiosk_state key of the lock-out's memory.
LOCKOUT = "manager_lockout"


@dataclass(frozen=True)
class LockOut:
    """The rule: *tries* PIN tries within *window* lock until *window* after the first of them."""

    tries: int = 5
    window: timedelta = timedelta(minutes=5)

    def _recent(self, state: dict[str, Any], now: datetime) -> list[datetime]:
        """The tries still in the window at *now*, oldest first."""
        stamps = sorted(datetime.fromisoformat(t) for t in state.get("tries", []))
        return [t for t in stamps if now - t < self.window]

    def _until(self, recent: list[datetime]) -> datetime | None:
        return recent[-self.tries] + self.window if len(recent) >= self.tries else None

    def locked_until(self, now: datetime) -> Optional[datetime]:
        """When the lock ends, or None while the manager screen is open to a PIN."""
        return self._until(self._recent(KioskState.read(LOCKOUT, {}), now))

    def claim(self, now: datetime) -> Optional[datetime]:
        """Count a try at *now* before its PIN is checked; return None when it may be checked, else
        when the lock ends (the try is then not counted: a refused try checks nothing)."""
        with database.atomic("IMMEDIATE"):
            recent = self._recent(KioskState.read(LOCKOUT, {}), now)
            until = self._until(recent)
            if until is None:
                KioskState.write(**{LOCKOUT: {"tries": [t.isoformat() for t in [*recent, now]]}})
        return until

    def success(self) -> None:
        """A right PIN clears the count."""
        with database.atomic("IMMEDIATE"):
            KioskState.write(**{LOCKOUT: {"tries": []}})


@dataclass
class _Open:
    boot: str
    seen: float


class OpenSessions:
    """The manager sessions open in this process, by id; thread-safe and bounded.

    Idle time is read on the kiosk's monotonic clock (the clock tests move),
    never the wall clock, which NTP may jump. At most *limit* sessions are
    kept: a new one pushes out those gone idle, then the one least recently
    used (a kiosk has one screen and a manager or two; the bound keeps a
    stream of logins from growing the process).
    """

    def __init__(self, clock: "Clock", idle_seconds: float, limit: int = 16) -> None:
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.limit = limit
        self._open: dict[str, _Open] = {}
        self._lock = threading.Lock()

    def _alive(self, entry: _Open, boot: str, now: float) -> bool:
        return entry.boot == boot and 0 <= now - entry.seen <= self.idle_seconds

    def open(self) -> str:
        """A new session; return its id (for the browser's cookie)."""
        session_id = secrets.token_urlsafe(32)
        boot, now = self.clock.boot_id(), self.clock.monotonic()
        with self._lock:
            if len(self._open) >= self.limit:
                for stale in [key for key, entry in self._open.items() if not self._alive(entry, boot, now)]:
                    del self._open[stale]
            while len(self._open) >= self.limit:
                del self._open[min(self._open, key=lambda key: self._open[key].seen)]
            self._open[session_id] = _Open(boot, now)
        return session_id

    def touch(self, session_id: object) -> Optional[str]:
        """Note a touch in session *session_id*: ``"open"`` when it goes on, ``"idle"`` when it has just
        ended for being idle (it is forgotten), None when no such session is open."""
        boot, now = self.clock.boot_id(), self.clock.monotonic()
        if not isinstance(session_id, str):
            return None
        with self._lock:
            entry = self._open.get(session_id)
            if entry is None:
                return None
            if not self._alive(entry, boot, now):
                del self._open[session_id]
                return "idle"
            entry.seen = now
            return "open"

    def end(self, session_id: object) -> None:
        """"Back to customers": the session is forgotten."""
        with self._lock:
            if isinstance(session_id, str):
                self._open.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)
