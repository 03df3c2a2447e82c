"""The one recorder: both inputs (touch and buttons) call :meth:`Recorder.record`.

It validates, applies the filters, commits durably and only then returns, so
the caller acknowledges (LED, screen) only what is on disk. Filters never
delete: a filtered press is stored with its flag and left out of the figures.

- ``repeat``: within ``press_interval`` seconds of the previous stored press at
  this kiosk, on any button, measured on the monotonic clock of the same boot,
  so an NTP jump can neither fake nor hide a repeat.
- ``closed``: outside the opening hours, decided only while the clock is
  trusted; with an untrusted clock the flag is ``unverified`` and central
  decides from the corrected time.
- paused: while a manager has paused the kiosk (kiosk/storage/pause.py) every
  press is ``closed``, whatever the clock says.

Each rating and follow-up is also counted in its local hour (kiosk/storage/hourly.py)
in the same transaction, for the manager's figures beyond raw retention.
"""
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard

from kiosk.errors import ConflictError, NotFoundError, StaleQuestionError, StorageError, ValidationError
from kiosk.storage.boots import BootNotes
from kiosk.storage.db import database, stored
from kiosk.storage.hourly import HourKeys, add_followup, add_to_hour, decide_unverified, rating_for_followup
from kiosk.storage.models import Followup, Outbox, QuestionText, Rating, immediate_transaction
from kiosk.storage.pause import PauseSwitch
from sync.wire.figures import count_name
from sync.wire.protocol import CLOSED, COMMENT_MAX, RATINGS, REPEAT, SOURCES, UNVERIFIED, text_problem

if TYPE_CHECKING:
    from kiosk.storage.content import Content, Question
    from kiosk.storage.content_store import ContentStore
    from sync.common.clock import Clock

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Recorded:
    """What the recorder stored, for the acknowledgement."""

    id: str
    seq: int
    rating: int
    source: str
    filtered: str | None

    def as_event(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "rating": self.rating, "source": self.source, "filtered": self.filtered}


@dataclass(frozen=True)
class StorageFailure:
    """Ratings cannot be stored: since when (UTC), why in a person's words, how many were lost so far."""

    since: datetime
    reason: str
    refused: int


def storage_reason(error: BaseException) -> str:
    """Why SQLite could not commit, as /healthz and the manager screen say it."""
    text = str(error)
    if "full" in text:
        return "the disk is full"
    if "locked" in text or "busy" in text:
        return "the database stayed locked longer than busy_timeout_ms"
    return f"the database failed: {text}"


def _whole_number(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_comment(comment: object) -> str | None:
    """Trim and fold whitespace; None for empty; ValidationError when too long."""
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise ValidationError("comment must be a string")
    problem = text_problem(comment, multiline=True)
    if problem:
        raise ValidationError(f"comment {problem}")
    text = " ".join(comment.split())
    if len(text) > COMMENT_MAX:
        raise ValidationError(f"comment is longer than {COMMENT_MAX} characters")
    return text or None


class Recorder:
    """Stores ratings and follow-ups.

    :param clock: a clock (``SystemClock`` or ``FakeClock``).
    :param kiosk_id: this kiosk's UUID.
    :param content_store: a :class:`~kiosk.storage.content_store.ContentStore`; each
        record reads its current content once, so new content applies atomically.
    :param press_interval: seconds within which a further press is a repeat.
    :param on_recorded: callables given each :class:`Recorded` after commit.
    :param pause_switch: the manager's :class:`~kiosk.storage.pause.PauseSwitch` (read from the database if not given).
    """

    def __init__(
        self,
        clock: "Clock",
        kiosk_id: str,
        content_store: "ContentStore",
        press_interval: float = 3.0,
        on_recorded: Iterable[Callable[[Recorded], None]] = (),
        languages: Sequence[str] = ("fi", "sv", "en"),
        pause_switch: PauseSwitch | None = None,
    ) -> None:
        self.clock = clock
        self.kiosk_id = kiosk_id
        self.content_store = content_store
        self.languages = languages
        self.press_interval = press_interval
        self.on_recorded = list(on_recorded)
        # One writer at a time in this process; BEGIN IMMEDIATE covers others.
        self._lock = threading.Lock()
        self.boots = BootNotes()
        self._questions_noted: set[tuple[str, int]] = set()
        self._hour_keys = HourKeys()
        #: Set while ratings cannot be stored (a full disk, a lock held too long), cleared by the next
        #: rating stored: /healthz and the manager screen say why, and recording resumes by itself.
        self.storage_failure: StorageFailure | None = None
        self.pause_switch = pause_switch or PauseSwitch()

    def note_clock(self) -> int:
        """Note this boot's first trusted moment now, if the clock is trusted, then place the
        ``unverified`` ratings a trusted clock can place (:func:`kiosk.storage.hourly.decide_unverified`,
        with this trusted now as the latest instant). Returns how many were placed.

        A press notes the moment too; doing it when the manager looks lets the
        kiosk decide the boot's ``unverified`` rows although no one pressed since
        the clock was set.
        """
        with stored("clock note"):
            with self._lock:
                now, monotonic, trusted, boot_id = self._moment()
                if not trusted:
                    return 0
                if not self.boots.is_trusted(boot_id):
                    with database.atomic("IMMEDIATE"):
                        noted = self.boots.note(now, monotonic, trusted, boot_id)
                    for remember in noted:
                        remember()
            return decide_unverified(self.content_store.current().opening_hours, now)

    def record(self, rating: object, source: object, question_version: object = None) -> Recorded:
        """Validate, filter and durably store one rating; return :class:`Recorded`.

        Everything before the commit is on the customer's clock: one content
        lookup, one reading of each clock, and plain statements inside one
        ``BEGIN IMMEDIATE`` (see ``bench/press_latency.py --breakdown``).

        :raises ValidationError: rating or source malformed.
        :raises StaleQuestionError: *question_version* is not the one shown now.
        :raises StorageError: the database could not commit.
        """
        if not _whole_number(rating) or rating not in RATINGS:
            raise ValidationError("rating must be a whole number from 1 to 4")
        if source not in SOURCES:
            raise ValidationError(f"source must be one of {', '.join(SOURCES)}")
        content = self.content_store.current()
        question = content.question
        if question_version is not None:
            if not _whole_number(question_version):
                raise ValidationError("question_version must be a whole number")
            if question_version != question.version:
                raise StaleQuestionError(
                    f"question version {question_version} is no longer shown (now {question.version})"
                )
        with self._lock, self._storing("rating"):
            now, monotonic, trusted, boot_id = self._moment()
            with immediate_transaction() as connection:
                last = Rating.last_press()
                filtered = self._filter(content, now, monotonic, trusted, boot_id, last)
                rating_id, seq = str(uuid.uuid4()), last[0] + 1 if last else 1
                Rating.append(
                    id=rating_id,
                    seq=seq,
                    kiosk_id=self.kiosk_id,
                    question_id=question.id,
                    question_version=question.version,
                    rating=rating,
                    source=source,
                    recorded_at=now,
                    clock_trusted=trusted,
                    boot_id=boot_id,
                    monotonic=monotonic,
                    filtered=filtered,
                )
                Outbox.append(kind="rating", item_id=rating_id)
                hour = self._hour_keys.of(now, content.opening_hours.zone)
                add_to_hour(connection, hour, count_name(rating, filtered))
                noted = self.boots.note(now, monotonic, trusted, boot_id) + self._note_question(question)
            for remember in noted:  # only once committed: a rolled-back note must be written again
                remember()
        recorded = Recorded(rating_id, seq, rating, source, filtered)
        for listener in self.on_recorded:
            listener(recorded)
        return recorded

    def record_followup(
        self,
        rating_id: str,
        reason: object,
        comment: object = None,
        authorise: Callable[[str], None] | None = None,
    ) -> str:
        """Store the answer to "what mattered most?" for one rating.

        :param authorise: called with *rating_id* once the rating is found and
            before it is checked for a follow-up; whatever it raises refuses
            this one (the HTTP API's key check).
        :raises ValidationError: unknown reason or comment too long.
        :raises NotFoundError: no such rating.
        :raises ConflictError: the rating already has a follow-up.
        """
        content = self.content_store.current()
        offered = content.reason(reason) if isinstance(reason, str) else None
        if offered is None:
            raise ValidationError("reason is not one of the offered reasons")
        comment = clean_comment(comment)
        with self._lock, self._storing("follow-up"):
            now, monotonic, trusted, boot_id = self._moment()
            with database.atomic("IMMEDIATE"):
                connection = database.connection()
                found = rating_for_followup(connection, rating_id)
                if found is None:
                    raise NotFoundError("no rating with that id")
                if authorise is not None:
                    authorise(rating_id)
                if Followup.select().where(Followup.rating == rating_id).exists():
                    raise ConflictError("that rating already has a follow-up")
                row = Followup.create(
                    id=str(uuid.uuid4()),
                    rating=rating_id,
                    reason=offered.key,
                    reason_group=offered.group,
                    comment=comment,
                    recorded_at=now,
                    clock_trusted=trusted,
                    boot_id=boot_id,
                    monotonic=monotonic,
                )
                Outbox.create(kind="followup", item_id=row.id)
                rating, moment = found
                if moment is not None:  # the follow-up of a counted rating counts in its rating's hour
                    add_followup(connection, self._hour_keys.of(moment, content.opening_hours.zone), rating,
                                 offered.key, offered.group)
        return row.id

    @contextmanager
    def _storing(self, what: str) -> Iterator[None]:
        """:func:`~kiosk.storage.db.stored`, noting a failure in :attr:`storage_failure` and clearing it on success."""
        try:
            with stored(what):
                yield
        except StorageError as error:
            failure = self.storage_failure
            self.storage_failure = StorageFailure(failure.since if failure else self.clock.now(),
                                                  storage_reason(error.__cause__ or error),
                                                  (failure.refused if failure else 0) + 1)
            raise
        self.storage_failure = None

    def _moment(self) -> tuple[datetime, float, bool, str]:
        """One reading of every clock, taken inside the write lock."""
        return self.clock.now(), self.clock.monotonic(), self.clock.trusted(), self.clock.boot_id()

    def _filter(
        self,
        content: "Content",
        now: datetime,
        monotonic: float,
        trusted: bool,
        boot_id: str,
        last: tuple[int, str, float] | None,
    ) -> str | None:
        if self.pause_switch.paused:
            return CLOSED
        if last is not None and last[1] == boot_id and 0 <= monotonic - last[2] < self.press_interval:
            return REPEAT
        if content.opening_hours.always_open:
            return None
        if not trusted:
            return UNVERIFIED
        return None if content.opening_hours.is_open(now) else CLOSED

    def _note_question(self, question: "Question") -> list[Callable[[], None]]:
        """Keep the texts of each question version used, for the batches.

        Returns what to call once the transaction has committed (as :meth:`BootNotes.note`).
        """
        key = (question.id, question.version)
        if key in self._questions_noted:
            return []
        texts = json.dumps(question.all_texts(self.languages), ensure_ascii=False, sort_keys=True)
        QuestionText.insert(id=question.id, version=question.version, texts=texts).on_conflict_ignore().execute()
        return [partial(self._questions_noted.add, key)]
