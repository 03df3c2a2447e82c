"""Each boot's first trusted moment, kept for central's clock correction.

A row recorded on an untrusted clock is placed later from a (wall, monotonic)
pair its boot took once the clock was trusted (sync/wire/clock_correction.py).
The kiosk keeps that pair per boot in the ``boot`` table; this remembers which
boots are noted already, so a press pays a set lookup, not a statement.
"""
from collections.abc import Callable
from datetime import datetime
from functools import partial

from kiosk.storage.models import Boot


class BootNotes:
    """The boots this process has noted, and which of them with a trusted moment."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._trusted: set[str] = set()

    def is_trusted(self, boot_id: str) -> bool:
        return boot_id in self._trusted

    def note(self, now: datetime, monotonic: float, trusted: bool, boot_id: str) -> list[Callable[[], None]]:
        """Keep this boot (and, if *trusted*, its first trusted pair) inside the caller's transaction.

        Returns what to call once the transaction has committed, so that this remembers the boot
        (a rolled-back note must be written again).
        """
        if boot_id in self._trusted or (boot_id in self._seen and not trusted):
            return []
        Boot.insert(boot_id=boot_id, first_seen_at=now).on_conflict_ignore().execute()
        if not trusted:
            return [partial(self._seen.add, boot_id)]
        Boot.update(trusted_wall=now, trusted_monotonic=monotonic).where(
            (Boot.boot_id == boot_id) & Boot.trusted_wall.is_null()
        ).execute()
        return [partial(self._seen.add, boot_id), partial(self._trusted.add, boot_id)]
