"""A manager's pause: while it is on, every press is still stored, as ``closed``.

A pause is a known fact, not a guess from the clock, so the recorder filters by
it whatever the time. It is kept in ``kiosk_state`` and so survives a restart.
"""
import logging
import threading

from kiosk.storage.db import database, stored
from kiosk.storage.models import KioskState

log = logging.getLogger(__name__)

#: kiosk_state key: true while a manager has paused the kiosk.
PAUSED = "paused"


class PauseSwitch:
    """Whether the kiosk is paused, read by every press without touching the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        with stored("pause state"):
            self._paused = bool(KioskState.read(PAUSED, False))

    @property
    def paused(self) -> bool:
        """True while a manager has paused the kiosk."""
        return self._paused

    def pause(self, paused: bool = True) -> None:
        """Pause (or with *paused* false, resume) the kiosk; the database first, then presses see it."""
        with self._lock, stored("pause"):
            with database.atomic("IMMEDIATE"):
                KioskState.write(**{PAUSED: bool(paused)})
            self._paused = bool(paused)
        log.info("kiosk %s by the manager", "paused" if paused else "resumed")

    def resume(self) -> None:
        self.pause(False)
