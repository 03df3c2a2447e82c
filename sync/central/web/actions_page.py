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
from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, gettext
from flask_login import login_required

from sync.central import reports
from sync.central.org.actions import (
    ActionConflict,
    ActionError,
    CurrentAction,
    checked_action,
    current_actions,
    record_action,
    site_rows,
)
from sync.central.reports.effects import action_effect
from sync.central.store.models import Action, Reason, Site
from sync.central.store.timesource import utc_now
from sync.central.web import parse
from sync.central.web.session import current_viewer, viewer_site_ids, visible_site
from sync.wire.effects import TEST_NAME, VERDICTS, WINDOW_DAYS, Effect
from sync.wire.protocol import format_time

bp = Blueprint("actions", __name__)

#: How the list may be ordered: newest start first, largest gain first, or by site.
SORTS = ("start", "effect", "site")
_A_SUNDAY = date(2026, 1, 4)  # ISO weekday n is _A_SUNDAY + n days


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


def weekday_name(iso_weekday: int) -> str:
    """ISO weekday 1 (Monday) to 7 as the page's language abbreviates it."""
    return format_date(date.fromordinal(_A_SUNDAY.toordinal() + iso_weekday), "EEE")


def target_text(target: dict[str, Any], labels: dict[str, dict[str, str]], language: str) -> str:
    """The target in words: the whole site, an hour range on weekdays, or a reason by its label."""
    if target["kind"] == "site":
        return gettext("The whole site")
    if target["kind"] == "reason":
        label = labels.get(target["reason"], {}).get(language) or target["reason"]
        return gettext("Reason: %(reason)s", reason=label)
    days = ", ".join(weekday_name(day) for day in target["weekdays"])
    first, last = "%02d:00" % target["from_hour"], "%02d:00" % target["to_hour"]
    return gettext("%(days)s, %(first)s–%(last)s", days=days, first=first, last=last)


def page_context() -> dict[str, Any]:
    """What every template showing actions needs besides the rows."""
    reasons = list(Reason.select().where(Reason.offered).order_by(Reason.position, Reason.key))
    return {"verdicts": VERDICTS, "test_name": TEST_NAME, "target_text": target_text, "weekday_name": weekday_name,
            "window_days": WINDOW_DAYS, "reason_labels": reports.reason_labels(), "offered_reasons": reasons}


@bp.get("/actions")
def actions_list() -> ResponseReturnValue:
    """Every action the user may see, with its before and after; sortable by effect."""
    sort = parse.arg_choice("sort", SORTS) or "start"
    rows = _sorted(action_rows(viewer_site_ids(), utc_now()), sort)
    return render_template("central/actions.html", title=gettext("Actions"), rows=rows, sort=sort, **page_context())


def _form_action(supersedes: Action | None) -> dict[str, Any]:
    """The action the form describes, as the protocol takes it (checked by the caller)."""
    form = request.form
    kind = form.get("kind", "site")
    target: dict[str, Any] = {"kind": kind}
    if kind == "hours":
        target.update(weekdays=sorted({parse.whole(day, 1, 7) for day in form.getlist("weekday")}, key=str),
                      from_hour=parse.whole(form.get("from_hour"), 0, 23),
                      to_hour=parse.whole(form.get("to_hour"), 1, 24))
    elif kind == "reason":
        target["reason"] = form.get("reason") or None
    return {"id": str(uuid.uuid4()), "kiosk_id": None, "title": (form.get("title") or "").strip(),
            "note": (form.get("note") or "").strip() or None, "started_on": form.get("started_on"),
            "target": target, "supersedes": supersedes.id if supersedes else None, "withdrawn": False,
            "recorded_at": format_time(utc_now())}


def _keep(site: Site, action: dict[str, Any], done: str) -> None:
    """Check and keep *action* for *site*, flashing *done* or what was wrong with it."""
    try:
        record_action(site, checked_action(action), utc_now(), recorded_by=current_viewer().name, latest_only=True)
    except ActionConflict:
        flash(gettext("This action changed meanwhile; its latest version is shown."), "error")
    except ActionError as error:
        flash(gettext("The action was not saved: %(why)s", why=str(error)), "error")
    else:
        flash(done, "success")


def _shown(action_id: str) -> tuple[Action, Site]:
    """The kept row *action_id* and its site, if the user may see it (404 otherwise)."""
    held = Action.get_or_none(Action.id == action_id) or abort(404)
    return held, visible_site(held.site_id)


def _back_to(site: Site) -> ResponseReturnValue:
    if request.form.get("back") == "list":
        return redirect(url_for("actions.actions_list"))
    return redirect(url_for("pages.site", site_id=site.id) + "#actions")


@bp.post("/sites/<id:site_id>/actions")
def record(site_id: int) -> ResponseReturnValue:
    """Record an action of a site the user may see (a viewer: their own)."""
    site = visible_site(site_id)
    _keep(site, _form_action(None), gettext("Action recorded."))
    return _back_to(site)


@bp.post("/actions/<uuid_text:action_id>/edit")
def edit(action_id: str) -> ResponseReturnValue:
    """Change an action: a new row that supersedes the one shown."""
    held, site = _shown(action_id)
    _keep(site, _form_action(held), gettext("Action changed."))
    return _back_to(site)


@bp.post("/actions/<uuid_text:action_id>/withdraw")
def withdraw(action_id: str) -> ResponseReturnValue:
    """Withdraw an action: a new row, withdrawn, that stays visible as such."""
    held, site = _shown(action_id)
    if held.withdrawn:
        flash(gettext("This action is withdrawn already."), "warning")
        return _back_to(site)
    withdrawal = {"id": str(uuid.uuid4()), "kiosk_id": None, "title": held.title, "note": held.note,
                  "started_on": held.started_on.isoformat(), "target": held.target, "supersedes": held.id,
                  "withdrawn": True, "recorded_at": format_time(utc_now())}
    _keep(site, withdrawal, gettext("Action withdrawn."))
    return _back_to(site)
