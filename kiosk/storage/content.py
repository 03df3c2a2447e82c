"""What the customer is asked: the question, the four faces and the reasons.

The follow-up reasons follow Grönroos's model of perceived service quality:
*technical* quality is the outcome (what the customer got), *functional*
quality is the process (how they got it), split into staff attitude,
accessibility, reliability, communication, environment, trust and recovery.
Every reason carries its group, so a report can say whether unhappy customers
are unhappy with *what* or with *how*. Reason keys never change; labels may.
Once a kiosk is enrolled this content comes from central; until then from the
kiosk's config file and the defaults below.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.resources import TRANSLATIONS_DIR
from sync.common.i18n import catalog_text
from sync.wire.defaults import (
    DEFAULT_MIN_RESPONSES,
    DEFAULT_QUESTION_ID,
    DEFAULT_QUESTION_TEXT,
    DEFAULT_REASON_KEYS,
    DEFAULT_REASONS,
    N_,
)
from sync.wire.errors import ConfigError
from sync.wire.protocol import GROUPS, MAX_QUESTION_VERSION, text_problem

if TYPE_CHECKING:
    from sync.wire.hours import OpeningHours


@dataclass(frozen=True)
class Face:
    rating: int
    slug: str
    label: str  # an English message id, translated where it is shown


#: Four faces, no neutral, as on the field's standard terminals.
FACES = (
    Face(1, "very-unhappy", N_("Very unhappy")),
    Face(2, "unhappy", N_("Unhappy")),
    Face(3, "happy", N_("Happy")),
    Face(4, "very-happy", N_("Very happy")),
)


@dataclass(frozen=True)
class Reason:
    """A follow-up reason. ``labels`` (language -> text) come from central and
    win over the translated default label (an English message id)."""

    key: str
    group: str
    default_label: str
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def dimension(self) -> str:
        return GROUPS[self.group]


_REASONS_BY_KEY = {reason.key: Reason(reason.key, reason.group, reason.label) for reason in DEFAULT_REASONS}


def select_reasons(keys: Any) -> tuple[Reason, ...]:
    """The default reasons named by *keys*, in that order (drop or reorder)."""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ConfigError("reasons: expected a list of reason keys")
    unknown = [k for k in keys if k not in _REASONS_BY_KEY]
    if unknown:
        raise ConfigError(f"reasons: unknown key {unknown[0]!r} (known: {', '.join(DEFAULT_REASON_KEYS)})")
    if len(set(keys)) != len(keys):
        raise ConfigError("reasons: a key is listed twice")
    return tuple(_REASONS_BY_KEY[k] for k in keys)


@dataclass(frozen=True)
class Question:
    """The question on screen. A version never changes once used: new text, new version.

    :param texts: language -> text; a language left out uses the translated default.
    """

    id: str = DEFAULT_QUESTION_ID
    version: int = 1
    texts: dict[str, str] = field(default_factory=dict)

    def all_texts(self, languages: Iterable[str]) -> dict[str, str]:
        """Language -> text for each of *languages*, defaults from the catalogs."""
        return {lang: self.texts.get(lang) or catalog_text(TRANSLATIONS_DIR, DEFAULT_QUESTION_TEXT, lang)
                for lang in languages}

    @classmethod
    def parse(cls, table: Any) -> "Question":
        if not isinstance(table, dict):
            raise ConfigError("question: expected a table with id, version and text")
        unknown = set(table) - {"id", "version", "text"}
        if unknown:
            raise ConfigError(f"question.{sorted(unknown)[0]}: unknown key")
        question_id = table.get("id", DEFAULT_QUESTION_ID)
        version = table.get("version", 1)
        texts = table.get("text", {})
        if not isinstance(question_id, str) or not question_id.strip() or len(question_id) > 64:
            raise ConfigError("question.id: expected a short non-empty string")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ConfigError("question.version: expected a whole number >= 1")
        if not isinstance(texts, dict) or not all(
            isinstance(v, str) and 0 < len(v) <= 200 and not text_problem(v) for v in texts.values()
        ):
            raise ConfigError("question.text: expected a table of language = \"text\" (at most 200 characters, "
                              "no control characters)")
        if version > MAX_QUESTION_VERSION:
            raise ConfigError(f"question.version: at most {MAX_QUESTION_VERSION}")
        return cls(question_id, version, dict(texts))


class ContentSettings(Protocol):
    """The content keys of a config file (the kiosk's :class:`~kiosk.config.KioskConfig`)."""

    @property
    def question(self) -> "Question": ...

    @property
    def reasons(self) -> tuple[Reason, ...]: ...

    @property
    def opening_hours(self) -> "OpeningHours": ...

    @property
    def target(self) -> float: ...

    @property
    def min_responses(self) -> int: ...


@dataclass(frozen=True)
class Content:
    """Everything central will own once enrolled, swapped as one object."""

    question: Question
    reasons: tuple[Reason, ...]
    opening_hours: "OpeningHours"
    target: float
    min_responses: int = DEFAULT_MIN_RESPONSES
    manager_pin_hash: str | None = None  # head office's PIN for the site (a hash); wins over the device's

    @classmethod
    def from_config(cls, config: ContentSettings) -> "Content":
        return cls(config.question, config.reasons, config.opening_hours, config.target, config.min_responses)

    def reason(self, key: str) -> Reason | None:
        """The offered reason with *key*, or None."""
        return next((r for r in self.reasons if r.key == key), None)
