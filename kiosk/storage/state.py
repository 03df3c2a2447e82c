"""What the uploader remembers between passes and restarts, one named attribute per key.

The values live in the ``sync_state`` table (:class:`~kiosk.storage.models.SyncState`, JSON per
key) so that ``hymy sync`` runs, restarts and ``hymy doctor`` all see them. Reading and writing
them by attribute keeps the key names in one place: a typo is an ``AttributeError``, not a key
silently never read.
"""
from typing import Any, Generic, TypeVar

from kiosk.storage.models import SyncState

T = TypeVar("T")


class _Entry(Generic[T]):
    """One key of the table, read and written as an attribute (``None`` when never written)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    def __get__(self, state: "UploaderState | None", owner: type | None = None) -> T | None:
        return SyncState.read(self.key)

    def __set__(self, state: "UploaderState", value: T | None) -> None:
        SyncState.write(**{self.key: value})


class UploaderState:
    """The uploader's memory. Times are the wire's UTC text (``format_time``)."""

    #: When a pass last shipped everything waiting and central answered its heartbeat.
    last_success_at: _Entry[str] = _Entry()
    #: What made the last pass fail, and when (cleared by a successful pass).
    last_error: _Entry[str] = _Entry()
    last_error_at: _Entry[str] = _Entry()
    #: Central's view of this kiosk's sequence from its last answer: contiguous, highest, missing.
    central_sequence: _Entry[dict] = _Entry()
    #: Why central's sequence does not match the outbox's (rows central should hold and does not).
    gap_error: _Entry[str] = _Entry()
    #: Central refused the kiosk's token: what it said (cleared once the token works again).
    token_refused: _Entry[str] = _Entry()
    #: The content's ETag from central, and why the last content fetch failed.
    config_etag: _Entry[str] = _Entry()
    config_error: _Entry[str] = _Entry()
    #: When the uploader last asked central for the network document (at most hourly).
    network_checked_at: _Entry[str] = _Entry()
    #: When this kiosk enrolled with central.
    enrolled_at: _Entry[str] = _Entry()
    #: The batch central keeps failing on (sync/uploader/poison.py's ``FailingBatch`` as a dict).
    failing_batch: _Entry[dict] = _Entry()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(name for name, value in vars(cls).items() if isinstance(value, _Entry))

    def update(self, **values: Any) -> None:
        """Write several keys at once (each must be one of :meth:`names`)."""
        unknown = set(values) - set(self.names())
        if unknown:
            raise AttributeError(f"the uploader keeps no {', '.join(sorted(unknown))}")
        SyncState.write(**values)

    def read(self, *names: str) -> dict[str, Any]:
        """The named keys' values, by name."""
        return {name: getattr(self, name) for name in names}


#: The one instance: the values are the database's, the object only names them.
sync_state = UploaderState()
