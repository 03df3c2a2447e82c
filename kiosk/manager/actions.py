"""The manager's Actions page: what the site did to move its figures, and whether they moved.

Lists the site's actions (this kiosk's, sent or waiting, and head office's and the site's other
kiosks' from the last network document), each with its before and after counted from this
kiosk's own hourly tables (kiosk/manager/effects.py), and lets the manager record one or withdraw
one. A new row goes to the action outbox (kiosk/storage/actions.py); the uploader sends it.
"""

from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from kiosk.manager import pages
from kiosk.manager.effects import action_effect
from kiosk.storage import actions
from kiosk.web.parts import current_parts
from sync.wire import action_form
from sync.wire.defaults import DEFAULT_MIN_RESPONSES
from sync.wire.effects import TEST_NAME, VERDICTS, WINDOW_DAYS


def target_text(target: dict[str, Any]) -> str:
    """The target in words, in the screen's language."""
    message, values = action_form.target_words(target, pages.weekday_names(), pages.reason_name)
    return gettext(message, **values)


def _today() -> date:
    parts = current_parts()
    return parts.clock.now().astimezone(parts.content_store.current().opening_hours.zone).date()


def actions_page() -> dict[str, Any]:
    """The site's actions, newest start first, each with its effect at this kiosk."""
    parts = current_parts()
    content = parts.content_store.current()
    minimum = getattr(content, "min_responses", None) or DEFAULT_MIN_RESPONSES
    today = _today()
    states = actions.delivery()
    rows = []
    for current in actions.kept_site_actions(parts.config.data_dir):
        effect = action_effect(current.started_on, current.latest["target"], today, minimum)
        rows.append({"action": current, "effect": effect, "target": target_text(current.latest["target"]),
                     "started": pages.day_label(current.started_on), "delivery": states.get(current.latest["id"]),
                     "mine": current.latest.get("kiosk_id") == parts.kiosk_id})
    return {**pages.common(), "page": "actions", "title": gettext("Actions"), "rows": rows, "verdicts": VERDICTS,
            "test_name": TEST_NAME, "window_days": WINDOW_DAYS}


def new_action_page(form: MultiDict[str, str] | None = None) -> dict[str, Any]:
    """The form to record an action, filled with *form* when it is shown again after a refusal; with a
    ``supersedes`` field in *form*, the form changes that action."""
    content = current_parts().content_store.current()
    form = form or MultiDict()
    title = gettext("Change the action") if form.get("supersedes") else gettext("Record an action")
    return {**pages.common(), "page": "actions", "title": title, "today": _today(),
            "reasons": [(reason.key, pages.reason_name(reason.key)) for reason in content.reasons],
            "weekdays": list(enumerate(pages.weekday_names(), start=1)), "form": form,
            "default_hours": action_form.DEFAULT_HOURS}


def standing(action_id: str) -> dict[str, Any] | None:
    """The latest row of the site's action whose latest row is *action_id*, unless withdrawn; None when
    there is none (unknown, withdrawn, or changed since the page was shown)."""
    for current in actions.kept_site_actions(current_parts().config.data_dir):
        if current.latest["id"] == action_id and not current.withdrawn:
            return current.latest
    return None


def edit_form(latest: dict[str, Any]) -> MultiDict[str, str]:
    """The form filled with the action's latest row, saved as a row that supersedes it."""
    return MultiDict(action_form.form_fields(latest))


def action_from_form() -> dict[str, Any]:
    """The action the posted form describes, checked; ActionRefused naming what is wrong."""
    filled = action_form.from_form(request.form)
    parts = current_parts()
    return actions.new_action(parts.kiosk_id, filled["title"], filled["note"], filled["started_on"],
                              filled["target"], parts.clock.now(), supersedes=filled["supersedes"])


def refusal_text(error: actions.ActionRefused) -> str:
    """What the manager is told of a refused form: one line in the screen's language."""
    message, values = action_form.refusal(error, action_form.from_form(request.form))
    return gettext("The action was not saved: %(why)s", why=gettext(message, **values))


def withdrawal_of(action_id: str) -> dict[str, Any] | None:
    """A new row withdrawing the site's action whose latest row is *action_id*; None when there is none."""
    latest = standing(action_id)
    if latest is None:
        return None
    return actions.new_action(current_parts().kiosk_id, latest["title"], latest["note"], str(latest["started_on"]),
                              latest["target"], current_parts().clock.now(), supersedes=latest["id"], withdrawn=True)
