"""Head office's actions: the network-wide Actions page, and recording, editing or withdrawing one.

Every action shows its figure over the 28 local days before it started against the 28 from it
(fewer while it is young), restricted to its target, from the site's rollups (every kiosk of the
site), with the counted responses of each side and a verdict only when the two-proportion z-test
at 95 % says the change is real (sync/wire/effects.py). An admin records for any site, a viewer
for their own sites; the list shows each user only their sites' actions. Rows are never changed:
an edit is a new row that supersedes the one shown, a withdrawal a new row marked withdrawn.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from sync.central import reports
from sync.central.org.actions import (
    ActionConflict,
    ActionError,
    CurrentAction,
    as_wire,
    checked_action,
    current_actions,
    record_action,
    site_rows,
)
from sync.central.reports.effects import action_effect
from sync.central.store.models import Action, Reason, Site
from sync.central.store.timesource import utc_now
from sync.central.web import i18n, parse
from sync.central.web.session import current_viewer, viewer_site_ids, visible_site
from sync.wire import action_form
from sync.wire.effects import TEST_NAME, VERDICTS, WINDOW_DAYS, Effect
from sync.wire.protocol import format_time

bp = Blueprint("actions", __name__)

#: How the list may be ordered: newest start first, largest gain first, or by site.
SORTS = ("start", "effect", "site")


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every action page and form needs a login."""


@dataclass(frozen=True)
class ActionRow:
    """An action as a row of a page shows it: where it stands, its site and its effect as of now."""

    action: CurrentAction
    site: Site
    effect: Effect

    @property
    def latest(self) -> Action:
        return self.action.latest


def action_rows(site_ids: list[int] | None, now: datetime) -> list[ActionRow]:
    """The current actions of *site_ids* (None: every site), newest start first, each with its effect."""
    sites = {site.id: site for site in Site.select()}
    minimum = reports.brand_settings()[1]
    rows = []
    for current in current_actions(site_rows(site_ids)):
        site = sites[current.latest.site_id]
        effect = action_effect(site, current.latest.started_on, current.latest.target, now, minimum)
        rows.append(ActionRow(current, site, effect))
    return rows


def _sorted(rows: list[ActionRow], sort: str) -> list[ActionRow]:
    if sort == "effect":  # the largest gain first; withdrawn and undecided ("too few") last
        return sorted(rows, key=lambda row: (row.action.withdrawn, row.effect.gain is None, -(row.effect.gain or 0)))
    if sort == "site":
        return sorted(rows, key=lambda row: (row.site.name.casefold(), row.site.id))
    return rows


def target_text(target: dict[str, Any], labels: dict[str, dict[str, str]], language: str) -> str:
    """The target in words, in the page's language (a reason by its label, else its key)."""
    message, values = action_form.target_words(target, i18n.weekday_names(),
                                               lambda key: labels.get(key, {}).get(language) or key)
    return gettext(message, **values)


def page_context() -> dict[str, Any]:
    """What every template showing actions needs besides the rows."""
    reasons = list(Reason.select().where(Reason.offered).order_by(Reason.position, Reason.key))
    return {"verdicts": VERDICTS, "test_name": TEST_NAME, "target_text": target_text,
            "window_days": WINDOW_DAYS, "reason_labels": reports.reason_labels(), "offered_reasons": reasons,
            "blank_form": MultiDict(), "default_hours": action_form.DEFAULT_HOURS}


@bp.get("/actions")
def actions_list() -> ResponseReturnValue:
    """Every action the user may see, with its before and after; sortable by effect."""
    sort = parse.arg_choice("sort", SORTS) or "start"
    rows = _sorted(action_rows(viewer_site_ids(), utc_now()), sort)
    return render_template("central/actions.html", title=gettext("Actions"), rows=rows, sort=sort, **page_context())


def _back() -> str:
    """Where the form was opened from: the network-wide list, or (by default) the site page."""
    return "list" if request.values.get("back") == "list" else "site"


def _back_url(site: Site) -> str:
    if _back() == "list":
        return url_for("actions.actions_list")
    return url_for("pages.site", site_id=site.id) + "#actions"


def _form_page(site: Site, form: MultiDict[str, str], held: Action | None) -> str:
    """The page to record an action for *site* (or, with *held*, to change it), filled with *form*."""
    title = gettext("Change the action") if held else gettext("Record an action")
    form_url = (url_for("actions.edit", action_id=held.id) if held
                else url_for("actions.record", site_id=site.id))
    return render_template("central/action_form.html", title=title, site=site, held=held, form=form,
                           form_url=form_url, cancel_url=_back_url(site), back=_back(),
                           site_today=reports.local_today(site, utc_now()), **page_context())


def _save(site: Site, held: Action | None, done: str) -> ResponseReturnValue:
    """Check the posted form and keep it as a new action of *site* (with *held*, a change of it).

    A form the protocol refuses comes back as typed, with one line in the page's language and a
    400; a kept one returns to where the form was opened from."""
    filled = action_form.from_form(request.form)
    action = {**filled, "id": str(uuid.uuid4()), "kiosk_id": None, "supersedes": held.id if held else None,
              "withdrawn": False, "recorded_at": format_time(utc_now())}
    try:
        checked = checked_action(action)
    except ActionError as error:
        _flash_refusal(error, action)
        return _form_page(site, request.form, held), 400
    _keep(site, checked, done)
    return redirect(_back_url(site))


def _flash_refusal(error: ActionError, action: dict[str, Any]) -> None:
    """One line in the page's language saying what to correct (the protocol's own is English)."""
    message, values = action_form.refusal(error, action)
    flash(gettext("The action was not saved: %(why)s", why=gettext(message, **values)), "error")


def _keep(site: Site, action: dict[str, Any], done: str) -> None:
    """Keep the checked *action* for *site*, flashing *done*, or that the action changed meanwhile."""
    try:
        record_action(site, action, utc_now(), recorded_by=current_viewer().name, latest_only=True)
    except ActionConflict:
        flash(gettext("This action changed meanwhile; its latest version is shown."), "error")
    except ActionError as error:  # what it supersedes is not this site's: not a form these pages make
        _flash_refusal(error, action)
    else:
        flash(done, "success")


def _shown(action_id: str) -> tuple[Action, Site]:
    """The kept row *action_id* and its site, if the user may see it (404 otherwise)."""
    held = Action.get_or_none(Action.id == action_id) or abort(404)
    return held, visible_site(held.site_id)


@bp.post("/sites/<id:site_id>/actions")
def record(site_id: int) -> ResponseReturnValue:
    """Record an action of a site the user may see (a viewer: their own)."""
    return _save(visible_site(site_id), None, gettext("Action recorded."))


@bp.get("/actions/<uuid_text:action_id>/edit")
def edit_page(action_id: str) -> ResponseReturnValue:
    """The form filled with an action's latest version, to change it."""
    held, site = _shown(action_id)
    newer = list(Action.select().where(Action.supersedes == held.id))
    if held.withdrawn or any(row.withdrawn for row in newer):
        flash(gettext("This action is withdrawn already."), "warning")
        return redirect(_back_url(site))
    if newer:
        flash(gettext("This action changed meanwhile; its latest version is shown."), "warning")
        return redirect(_back_url(site))
    return _form_page(site, MultiDict(action_form.form_fields(as_wire(held))), held)


@bp.post("/actions/<uuid_text:action_id>/edit")
def edit(action_id: str) -> ResponseReturnValue:
    """Change an action: a new row that supersedes the one shown."""
    held, site = _shown(action_id)
    return _save(site, held, gettext("Action changed."))


@bp.post("/actions/<uuid_text:action_id>/withdraw")
def withdraw(action_id: str) -> ResponseReturnValue:
    """Withdraw an action: a new row, withdrawn, that stays visible as such."""
    held, site = _shown(action_id)
    if held.withdrawn:
        flash(gettext("This action is withdrawn already."), "warning")
        return redirect(_back_url(site))
    withdrawal = {"id": str(uuid.uuid4()), "kiosk_id": None, "title": held.title, "note": held.note,
                  "started_on": held.started_on.isoformat(), "target": held.target, "supersedes": held.id,
                  "withdrawn": True, "recorded_at": format_time(utc_now())}
    _keep(site, checked_action(withdrawal), gettext("Action withdrawn."))
    return redirect(_back_url(site))
