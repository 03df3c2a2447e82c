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
import threading

from sync.common.files import narrow_if_exists, replace_file
from sync.defaults import DEFAULT_REASONS
from sync.errors import ConfigError
from sync.hours import OpeningHours, load_zone
from sync.protocol import text_problem

from .content import GROUPS, Content, Question, Reason

log = logging.getLogger(__name__)

CENTRAL_CONTENT_FILE = "central_content.json"


def content_from_central(document):
    """Build :class:`Content` from central's config document; ConfigError if invalid."""
    if not isinstance(document, dict):
        raise ConfigError("central config: expected a JSON object")
    question = document.get("question")
    if not isinstance(question, dict) or not isinstance(question.get("texts"), dict) or not question["texts"]:
        raise ConfigError("central config: question: expected id, version and texts")
    parsed_question = Question.parse({"id": question.get("id"), "version": question.get("version"),
                                      "text": question["texts"]})
    reasons = document.get("reasons")
    if not isinstance(reasons, list) or not reasons:
        raise ConfigError("central config: reasons: expected a non-empty list")
    parsed_reasons = []
    for reason in reasons:
        key = reason.get("key") if isinstance(reason, dict) else None
        if not isinstance(key, str) or not 0 < len(key) <= 64 or text_problem(key) or reason.get("group") not in GROUPS:
            raise ConfigError(f"central config: reasons: malformed entry {reason!r:.80}")
        labels = reason.get("labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(v, str) and v and not text_problem(v)
                                                   for v in labels.values()):
            raise ConfigError(f"central config: reasons.{reason['key']}.labels: expected language -> text")
        default = next((r.label for r in DEFAULT_REASONS if r.key == reason["key"]), reason["key"])
        parsed_reasons.append(Reason(reason["key"], reason["group"], default, dict(labels)))
    zone = load_zone(document.get("timezone"), key="central config: timezone")
    hours = OpeningHours.parse(document.get("opening_hours") or {}, zone)
    target = document.get("target")
    is_percentage = isinstance(target, (int, float)) and not isinstance(target, bool) and 0 <= target <= 100
    if target is not None and not is_percentage:
        raise ConfigError("central config: target: expected a percentage")
    return Content(parsed_question, tuple(parsed_reasons), hours, target)


class ContentStore:
    """Hands out the current :class:`Content`.

    :param local: the content built from the config file.
    :param data_dir: where central's content is kept; None for a fixed store.
    """

    def __init__(self, local, data_dir=None):
        self.local = local
        self.path = data_dir / CENTRAL_CONTENT_FILE if data_dir else None
        self._lock = threading.Lock()
        self._seen = (None, local)  # (file modification time, content)
        if self.path is not None:
            narrow_if_exists(self.path)  # written 0644 by an older version

    def current(self):
        if self.path is None:
            return self.local
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return self.local
        with self._lock:
            if stamp != self._seen[0]:
                self._seen = (stamp, self._load(self._seen[1]))
            return self._seen[1]

    def _load(self, previous):
        try:
            return content_from_central(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ConfigError) as error:
            log.error("central content in %s unusable, keeping the previous: %s", self.path, error)
            return previous

    def apply(self, document):
        """Validate *document* and make it current; ConfigError leaves all as it was."""
        content = content_from_central(document)
        replace_file(self.path, json.dumps(document, ensure_ascii=False, sort_keys=True))  # 0600
        return content
