"""The content in force: central's once enrolled, else the config file's.

Central's content (question, reasons, opening hours, time zone, target) is
kept in ``data_dir/central_content.json``. :meth:`ContentStore.apply`
validates a document completely before it replaces the file atomically, so an
invalid config from central is refused and the old one kept. The kiosk process
picks up a new file by its modification time, whichever process wrote it (the
kiosk's own uploader thread or ``hymy sync``).
"""
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from kiosk.storage.content import Content, Question, Reason
from sync.common.files import narrow_if_exists, replace_file
from sync.wire.defaults import DEFAULT_MIN_RESPONSES, DEFAULT_REASONS
from sync.wire.errors import ConfigError
from sync.wire.hours import OpeningHours, load_zone
from sync.wire.protocol import CONFIG_FIELDS, RowError, check_row

log = logging.getLogger(__name__)

CENTRAL_CONTENT_FILE = "central_content.json"


def content_from_central(document: Any) -> Content:
    """Build :class:`Content` from central's config document; ConfigError if invalid.

    The document's shape is the protocol's (``CONFIG_FIELDS``); fields a newer
    central adds are dropped. The meaning is checked here: a question to ask,
    reasons to offer, a time zone and opening hours that work.
    """
    try:
        checked = check_row(document, CONFIG_FIELDS, ignore_unknown=True)
    except RowError as error:
        raise ConfigError(f"central config: {error}") from None
    question = checked["question"]
    if question is None:
        raise ConfigError("central config: question: central publishes none for this kiosk")
    if not checked["reasons"]:
        raise ConfigError("central config: reasons: expected at least one")
    parsed_question = Question.parse({"id": question["id"], "version": question["version"], "text": question["texts"]})
    defaults = {reason.key: reason.label for reason in DEFAULT_REASONS}
    reasons = tuple(Reason(r["key"], r["group"], defaults.get(r["key"], r["key"]), dict(r["labels"]))
                    for r in checked["reasons"])
    zone = load_zone(checked["timezone"], key="central config: timezone")
    hours = OpeningHours.parse(checked["opening_hours"], zone)
    return Content(parsed_question, reasons, hours, checked["target"],
                   checked["min_responses"] or DEFAULT_MIN_RESPONSES, checked["manager_pin_hash"])


class ContentStore:
    """Hands out the current :class:`Content`.

    :param local: the content built from the config file.
    :param data_dir: where central's content is kept; None for a fixed store.
    """

    def __init__(self, local: Content, data_dir: Path | None = None) -> None:
        self.local = local
        self.path = data_dir / CENTRAL_CONTENT_FILE if data_dir else None
        self._path_text = str(self.path) if self.path is not None else None
        self._lock = threading.Lock()
        self._seen: tuple[int | None, Content] = (None, local)  # (file modification time, content)
        if self.path is not None:
            narrow_if_exists(self.path)  # written 0644 by an older version

    def current(self) -> Content:
        """The content in force. Every press asks, so this is one stat() of the file
        (another process, ``hymy sync``, may have replaced it) and no more."""
        if self._path_text is None:
            return self.local
        try:
            stamp = os.stat(self._path_text).st_mtime_ns
        except FileNotFoundError:
            return self.local
        with self._lock:
            if stamp != self._seen[0]:
                self._seen = (stamp, self._load(self._seen[1]))
            return self._seen[1]

    def _load(self, previous: Content) -> Content:
        if self.path is None:
            return previous
        try:
            return content_from_central(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ConfigError) as error:
            log.error("central content in %s unusable, keeping the previous: %s", self.path, error)
            return previous

    def apply(self, document: Any) -> Content:
        """Validate *document* and make it current; ConfigError leaves all as it was."""
        if self.path is None:
            raise ConfigError("central content: this kiosk keeps no content of central's (no data dir)")
        content = content_from_central(document)
        replace_file(self.path, json.dumps(document, ensure_ascii=False, sort_keys=True))  # 0600
        return content
