"""The action form: the fields the manager's form on a kiosk and head office's on central share,
read the same way on both, what the person filling it in is told when the protocol refuses it, and
an action's target in words.

The protocol's own messages (:mod:`sync.wire.protocol.actions`) name a field in English, for the
log and for API clients. A person at a form gets one sentence in their language instead, chosen by
the field that failed (:attr:`~sync.wire.protocol.RowError.path`); each surface translates the
message ids returned here from its own catalog.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sync.wire.defaults import N_
from sync.wire.protocol import COMMENT_MAX, TITLE_MAX, RowError

#: An hours target's range on an empty form, 11:00–14:00 (lunch): a starting point to adjust.
DEFAULT_HOURS = (11, 14)


class Form(Protocol):
    """A posted form as Flask gives it (a werkzeug ``MultiDict``), or a plain stand-in."""

    def get(self, key: str) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


def _whole(text: str | None) -> int | None:
    """A form's number as ASCII digits (two at most), else None for the protocol to refuse: other
    scripts' digits, signs and spaces that ``int()`` would take are not an hour or a weekday."""
    return int(text) if text is not None and text.isascii() and text.isdigit() and len(text) <= 2 else None


def from_form(form: Form) -> dict[str, Any]:
    """The part of an action the form fills in (title, note, started_on, target and supersedes), as
    the protocol takes it, unchecked: the caller adds the id, who sent it and when, and checks it."""
    kind = form.get("kind") or "site"
    target: dict[str, Any] = {"kind": kind}
    if kind == "hours":
        target.update(weekdays=sorted({_whole(day) for day in form.getlist("weekday")}, key=str),
                      from_hour=_whole(form.get("from_hour")), to_hour=_whole(form.get("to_hour")))
    elif kind == "reason":
        target["reason"] = form.get("reason") or None
    return {"title": (form.get("title") or "").strip(), "note": (form.get("note") or "").strip() or None,
            "started_on": form.get("started_on") or "", "target": target,
            "supersedes": form.get("supersedes") or None}


def form_fields(action: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form's fields filled with the kept *action*, to change it: the change supersedes it."""
    target = action["target"]
    fields = [("supersedes", str(action["id"])), ("title", action["title"]), ("note", action["note"] or ""),
              ("started_on", str(action["started_on"])), ("kind", target["kind"])]
    if target["kind"] == "hours":
        fields += [("weekday", str(day)) for day in target["weekdays"]]
        fields += [("from_hour", str(target["from_hour"])), ("to_hour", str(target["to_hour"]))]
    elif target["kind"] == "reason":
        fields.append(("reason", target["reason"]))
    return fields


_TITLE = N_("Give the action a title of 1 to %(most)s characters, without control or text-direction characters.")
_NOTE = N_("The note takes at most %(most)s characters, without control or text-direction characters.")
_DAY = N_("The start day must be a real day of the years 2000 to 2100.")
_HOURS = N_("Choose at least one weekday, and an end hour after the start hour.")
_REASON = N_("Choose the reason the action should move.")
_KIND = N_("Choose what the action should move: the whole site, some hours or one reason.")
_UNREADABLE = N_("The form could not be read. Please fill it in again.")


def refusal(error: RowError, action: Mapping[str, Any]) -> tuple[str, dict[str, int]]:
    """What to tell the person whose *action* the protocol refused with *error*: a message id and its
    values, for the surface to translate (``gettext(message, **values)``)."""
    field = error.path[0] if error.path else None
    if field == "title":
        return _TITLE, {"most": TITLE_MAX}
    if field == "note":
        return _NOTE, {"most": COMMENT_MAX}
    if field == "started_on":
        return _DAY, {}
    if field == "target":
        kind = action["target"]["kind"] if isinstance(action.get("target"), dict) else None
        return {"hours": _HOURS, "reason": _REASON}.get(str(kind), _KIND), {}
    return _UNREADABLE, {}


_WHOLE_SITE = N_("The whole site")
_A_REASON = N_("Reason: %(reason)s")
_SOME_HOURS = N_("%(days)s, %(first)s–%(last)s")


def target_words(target: Mapping[str, Any], weekday_names: Sequence[str],
                 reason_name: Callable[[str], str]) -> tuple[str, dict[str, str]]:
    """*target* in words, as a message id and its values for the surface to translate: the whole
    site, a reason by *reason_name*, or the hours on weekdays named by *weekday_names* (the page's
    language, Monday first)."""
    if target["kind"] == "site":
        return _WHOLE_SITE, {}
    if target["kind"] == "reason":
        return _A_REASON, {"reason": reason_name(target["reason"])}
    days = ", ".join(weekday_names[day - 1] for day in target["weekdays"])
    return _SOME_HOURS, {"days": days, "first": "%02d:00" % target["from_hour"],
                         "last": "%02d:00" % target["to_hour"]}
