"""Ids, days and query values as every head-office view takes them: parsed once, here, one way.

- An id is ASCII digits (``"²"`` and ``"١"`` pass :meth:`str.isdigit` and even :func:`int`, and are
  not ids) up to :data:`MAX_ID`, the widest id column either backend has; an id past a narrower
  column (PostgreSQL's ``serial``) is well formed and simply names nothing.
- A day is ``YYYY-MM-DD`` within the years central keeps ratings for
  (:data:`sync.wire.protocol.EARLIEST_YEAR` to :data:`~sync.wire.protocol.LATEST_YEAR`), so a report can
  step a period back or a day forward without leaving the calendar.
- A follow-up is named by its canonical UUID, as the kiosk sent it.

In a path, anything else is a 404: the address names nothing (the URL converters below refuse it
before a view runs). In the query string, a value that is not what its name takes is a 400 that
names the parameter and what it takes, shown on the error page in the reader's language. The
query string never reaches ``url_for``: links are built from the parsed values
(:meth:`sync.central.web.pages.ReportArgs.link`), so no parameter can pose as one of ``url_for``'s
own (``_method``, ``_external``, ``endpoint``).
"""
import re
from datetime import date

from flask import Flask, abort, request
from flask_babel import gettext
from werkzeug.routing import BaseConverter, ValidationError

from sync.wire.protocol import EARLIEST_YEAR, LATEST_YEAR, text_problem

#: The largest id: a 64-bit signed integer (SQLite's INTEGER, PostgreSQL's bigint).
MAX_ID = 2**63 - 1
FIRST_DAY, LAST_DAY = date(EARLIEST_YEAR, 1, 1), date(LATEST_YEAR, 12, 31)
#: The longest query value any page takes (a search); a longer one is a 400, not cut silently.
MAX_VALUE = 200

_DIGITS = re.compile(r"[0-9]{1,19}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def row_id(text: object) -> int | None:
    """*text* as a row id, or None when it is not one."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def whole(text: object, low: int, high: int) -> int | None:
    """*text* as a whole number from *low* to *high* (ASCII digits, no sign), or None."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def day(text: object) -> date | None:
    """*text* (``YYYY-MM-DD``) as a date within :data:`FIRST_DAY` .. :data:`LAST_DAY`, or None."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return None
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        return None
    return parsed if FIRST_DAY <= parsed <= LAST_DAY else None


def uuid_text(text: str) -> str | None:
    """*text* as the lower-case canonical UUID a follow-up is stored under, or None."""
    if not isinstance(text, str) or not _UUID.fullmatch(text):
        return None
    return text.lower()


# -- path arguments ----------------------------------------------------------------------------

class IdConverter(BaseConverter):
    """``<id:name>``: a row id (:func:`row_id`); anything else matches no route (404)."""

    regex = r"[0-9]+"
    weight = 50  # as werkzeug's own number converters: before a catch-all string

    def to_python(self, value: str) -> int:
        number = row_id(value)
        if number is None:
            raise ValidationError()
        return number


class DayConverter(BaseConverter):
    """``<day:name>``: a day (:func:`day`) as a :class:`datetime.date`; anything else is a 404."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value: str) -> date:
        parsed = day(value)
        if parsed is None:
            raise ValidationError()
        return parsed

    def to_url(self, value: object) -> str:
        return super().to_url(value.isoformat() if isinstance(value, date) else value)


class UuidTextConverter(BaseConverter):
    """``<uuid_text:name>``: a canonical UUID as lower-case text (werkzeug's ``uuid`` gives an object)."""

    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> str:
        parsed = uuid_text(value)
        if parsed is None:  # the regex lets only a UUID through: never, but a 404 if so
            raise ValidationError()
        return parsed


CONVERTERS = {"id": IdConverter, "day": DayConverter, "uuid_text": UuidTextConverter}


def init_app(app: Flask) -> None:
    """Register the converters; before any blueprint whose routes use them."""
    app.url_map.converters.update(CONVERTERS)


# -- the query string --------------------------------------------------------------------------

def _refuse(name: str, expected: str) -> None:
    abort(400, gettext("The address has a value for %(name)s that this page cannot use: it takes %(expected)s.",
                       name=name, expected=expected))


def arg(name: str) -> str | None:
    """The query value *name* as given, None when absent or empty; 400 when no page could use it
    (longer than :data:`MAX_VALUE`, or holding NUL, a lone surrogate or a direction override)."""
    value = request.args.get(name, "")
    if not value:
        return None
    if len(value) > MAX_VALUE:
        _refuse(name, gettext("at most %(n)s characters", n=MAX_VALUE))
    if text_problem(value):
        _refuse(name, gettext("plain text"))
    return value


def arg_id(name: str) -> int | None:
    """The query value *name* as a row id; None when absent or empty; 400 when malformed."""
    value = arg(name)
    if value is None:
        return None
    number = row_id(value)
    if number is None:
        _refuse(name, gettext("an id (digits 0-9)"))
    return number


def arg_whole(name: str, low: int, high: int) -> int | None:
    """The query value *name* as a whole number from *low* to *high*; None when absent; 400 otherwise."""
    value = arg(name)
    if value is None:
        return None
    number = whole(value, low, high)
    if number is None:
        _refuse(name, gettext("a whole number from %(low)s to %(high)s", low=low, high=high))
    return number


def arg_choice(name: str, choices: tuple[str, ...]) -> str | None:
    """The query value *name*, one of *choices*; None when absent; 400 otherwise."""
    value = arg(name)
    if value is not None and value not in choices:
        _refuse(name, gettext("one of %(choices)s", choices=", ".join(choices)))
    return value

