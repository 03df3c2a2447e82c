"""Where the kiosk's site stands in the brand's network, as central last said (``GET /api/v1/network``).

The uploader fetches the document at most hourly (sync/uploader/network_pull.py) and keeps it here,
in ``data_dir/network.json`` (0600), beside central's content but apart from it: a malformed or
missing document never touches the question, the hours or the PIN. The manager screen shows the
last one received, offline too, with how long ago central confirmed it; with none, it shows no
network at all (a kiosk enrolled with an older central, or not enrolled).
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.common.files import narrow_if_exists, replace_file
from sync.wire.errors import ConfigError
from sync.wire.protocol import NETWORK_FIELDS, RowError, check_row, format_time, parse_time

log = logging.getLogger(__name__)

NETWORK_FILE = "network.json"


@dataclass(frozen=True)
class NetworkView:
    """The document as the kiosk keeps it: the checked document, its ETag, and when central last
    confirmed it (a 200 with it, or a 304 for it)."""

    document: dict[str, Any]
    etag: str | None
    checked_at: datetime

    def period(self, name: str) -> dict[str, Any]:
        """One period's figures (``yesterday``, ``7d`` or ``30d``)."""
        period: dict[str, Any] = self.document["periods"][name]
        return period


def checked_document(document: Any) -> dict[str, Any]:
    """*document* as the protocol takes it (unknown fields dropped); ConfigError naming the field."""
    try:
        return check_row(document, NETWORK_FIELDS, ignore_unknown=True)
    except RowError as error:
        raise ConfigError(f"network document: {error}") from None


class NetworkStore:
    """``data_dir/network.json``: the last network document central sent."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / NETWORK_FILE
        narrow_if_exists(self.path)

    def current(self) -> NetworkView | None:
        """The kept document, or None (none yet, or a file this kiosk cannot read: said in the log)."""
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
            return NetworkView(checked_document(kept["document"]), kept.get("etag"), parse_time(kept["checked_at"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, ConfigError, RowError) as error:
            log.error("the network document in %s is unusable, showing none: %s", self.path, error)
            return None

    @property
    def etag(self) -> str | None:
        kept = self.current()
        return kept.etag if kept is not None else None

    def save(self, document: Any, etag: str | None, now: datetime) -> NetworkView:
        """Keep *document* (checked first: ConfigError leaves the kept one as it was)."""
        checked = checked_document(document)
        self._write(document, etag, now)
        return NetworkView(checked, etag, now)

    def confirm(self, now: datetime) -> None:
        """Central answered 304: the kept document is still current at *now*."""
        if self.current() is None:
            return
        kept = json.loads(self.path.read_text(encoding="utf-8"))  # as central sent it: written back as it was
        self._write(kept["document"], kept.get("etag"), now)

    def _write(self, document: Any, etag: str | None, now: datetime) -> None:
        kept = {"document": document, "etag": etag, "checked_at": format_time(now)}
        replace_file(self.path, json.dumps(kept, ensure_ascii=False, sort_keys=True))
