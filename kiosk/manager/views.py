"""The store manager's screens on the kiosk: ``/manager``, behind a PIN.

The kiosk stands in a public place, so getting in is deliberately narrow:

- a PIN of 4-8 digits, kept only as a password hash (``hymy set-pin``,
  kiosk/manager/access.py); with no PIN set the page says how to set one and
  shows nothing else;
- five PIN tries within five minutes lock the manager screen for the whole
  device, in every browser (the lock-out lives in the database); each try is
  counted before its PIN is checked, so parallel tries cannot slip past it;
- the session is kept on the kiosk (kiosk/manager/access.py's OpenSessions):
  it ends after three minutes without a touch, measured on the kiosk's
  injectable clock, on "Back to customers", and at every restart, on the
  server, so a copy of the cookie opens nothing afterwards (the cookie is also
  signed with a secret made when the process starts and kept nowhere; it is
  scoped to ``/manager``, HttpOnly and SameSite=Strict);
- every form carries a CSRF token (Flask-WTF, set up in kiosk/app.py).

The pages only read figures (kiosk/manager/reports.py) and write through storage
functions (the recorder's pause, manager_access); the charts are SVG drawn by
the templates from kiosk/manager/charts.py's geometry.
"""
import functools
import logging
import secrets
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ParamSpec

import peewee
from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from kiosk.errors import StorageError
from kiosk.manager import actions as manager_actions
from kiosk.manager import pages as manager_pages
from kiosk.manager import pin
from kiosk.manager.access import LockOut, OpenSessions
from kiosk.storage import actions as kept_actions
from kiosk.storage.actions import ActionRefused
from kiosk.web.lan_guard import NotAManagerClient
from kiosk.web.parts import current_parts

log = logging.getLogger(__name__)

bp = Blueprint("manager", __name__, url_prefix="/manager")

#: Seconds without a touch after which the manager's session ends.
IDLE_SECONDS = 180
_SESSION = "manager"


# -- getting in ---------------------------------------------------------------------------------

def _data_dir() -> Path:
    return current_parts().config.data_dir


def _central_pin_hash() -> str | None:
    """Head office's PIN for this site, when central's config carries one."""
    return current_parts().content_store.current().manager_pin_hash


def _lockout() -> LockOut:
    return LockOut()


def _open_sessions() -> OpenSessions:
    sessions: OpenSessions = current_app.extensions["hymy_manager_sessions"]
    return sessions


def session_alive() -> bool:
    """True while this browser's manager session is open; each call counts as a touch."""
    state = _open_sessions().touch(session.get(_SESSION))
    if state == "open":
        return True
    if session.pop(_SESSION, None) is not None and state == "idle":
        flash(gettext("The manager screen closed after three minutes without a touch."))
    return False


def _open_session() -> None:
    session.clear()  # a fresh session (and CSRF token) for the signed-in manager
    session[_SESSION] = _open_sessions().open()


P = ParamSpec("P")


def signed_in(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Only for a signed-in manager: otherwise back to ``/manager`` (PIN, or how to set one)."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not pin.pin_is_set(_data_dir(), _central_pin_hash()) or not session_alive():
            return redirect(url_for("manager.today", **manager_pages.language_args()))
        return view(*args, **kwargs)

    return guarded


def _login_page(wrong: bool = False, locked_until: datetime | None = None) -> ResponseReturnValue:
    """The PIN pad: 403 after a wrong PIN (which may have locked the screen: the page says until when),
    429 while locked, else 200."""
    locked_until = locked_until or _lockout().locked_until(current_parts().clock.now())
    status = 403 if wrong else 429 if locked_until else 200
    return render_template("manager/login.html", wrong=wrong, locked_until=locked_until,
                           locked_until_text=manager_pages.local_time(locked_until) if locked_until else "",
                           **manager_pages.common()), status


@bp.post("/login")
def login() -> ResponseReturnValue:
    """Check the PIN; five tries within five minutes lock the manager screen device-wide.

    The try is claimed (counted, or refused under the lock) in one transaction before the
    PIN's hash is checked outside it: parallel requests are counted one after another.
    """
    if not pin.pin_is_set(_data_dir(), _central_pin_hash()):
        return redirect(url_for("manager.today", **manager_pages.language_args()))
    lockout = _lockout()
    refused_until = lockout.claim(current_parts().clock.now())
    if refused_until is not None:
        return _login_page(locked_until=refused_until)
    if pin.check_pin(_data_dir(), request.form.get("pin", ""), _central_pin_hash()):
        lockout.success()
        _open_session()
        return redirect(url_for("manager.today", **manager_pages.language_args()))
    return _login_page(wrong=True)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """"Back to customers": end the session on the kiosk and show the customer screen."""
    _open_sessions().end(session.pop(_SESSION, None))
    return redirect(url_for("screen.question"))


@bp.post("/alive")
def alive() -> ResponseReturnValue:
    """A touch on a page that needed no request (the script reports it): the session goes on."""
    return ("", 204) if session_alive() else ("", 401)


# -- the pages ----------------------------------------------------------------------------------

@bp.get("")
def today() -> ResponseReturnValue:
    """Today (or ``?day=YYYY-MM-DD``); the PIN pad when not signed in; how to set a PIN when none is."""
    if not pin.pin_is_set(_data_dir(), _central_pin_hash()):
        return render_template("manager/no_pin.html", **manager_pages.common())
    if not session_alive():
        return _login_page()
    return render_template("manager/today.html", **manager_pages.day_page(request.args.get("day")))


@bp.get("/week")
@signed_in
def week() -> ResponseReturnValue:
    """The seven days ending on ``?end=YYYY-MM-DD`` (today by default): heat map and day bars."""
    return render_template("manager/week.html", **manager_pages.week_page(request.args.get("end")))


@bp.get("/calendar")
@signed_in
def calendar() -> ResponseReturnValue:
    """A month of days to pick from; only days the kiosk can show in full are offered."""
    return render_template("manager/calendar.html", **manager_pages.calendar_page(request.args.get("month")))


@bp.get("/kiosk")
@signed_in
def state() -> ResponseReturnValue:
    """The kiosk's state in plain words: syncing, clock, disk, version."""
    return render_template("manager/state.html", **manager_pages.state_page())


@bp.get("/actions")
@signed_in
def actions_list() -> ResponseReturnValue:
    """The site's actions with their before and after at this kiosk."""
    return render_template("manager/actions.html", **manager_actions.actions_page())


@bp.get("/actions/new")
@signed_in
def new_action() -> ResponseReturnValue:
    """The form to record an action."""
    return render_template("manager/action_new.html", **manager_actions.new_action_page())


@bp.get("/actions/<action_id>/edit")
@signed_in
def edit_action(action_id: str) -> ResponseReturnValue:
    """The form filled with the action, saved as a new row that supersedes the one shown."""
    latest = manager_actions.standing(action_id)
    if latest is None:
        flash(gettext("This action changed meanwhile; its latest version is shown."))
        return redirect(url_for("manager.actions_list", **manager_pages.language_args()))
    return render_template("manager/action_new.html",
                           **manager_actions.new_action_page(manager_actions.edit_form(latest)))


@bp.post("/actions")
@signed_in
def record_action() -> ResponseReturnValue:
    """Keep the action (or a change of one) for central, by its own outbox; the form again, with the
    reason, when it is refused."""
    supersedes = request.form.get("supersedes")
    if supersedes and manager_actions.standing(supersedes) is None:
        flash(gettext("This action changed meanwhile; its latest version is shown."))
        return redirect(url_for("manager.actions_list", **manager_pages.language_args()))
    try:
        action = manager_actions.action_from_form()
    except ActionRefused as error:
        flash(manager_actions.refusal_text(error), "error")
        return render_template("manager/action_new.html", **manager_actions.new_action_page(request.form)), 400
    kept_actions.keep(action, current_parts().clock.now())
    flash(gettext("Action changed. It goes to head office with the next sync.") if supersedes
          else gettext("Action recorded. It goes to head office with the next sync."))
    return redirect(url_for("manager.actions_list", **manager_pages.language_args()))


@bp.post("/actions/<action_id>/withdraw")
@signed_in
def withdraw_action(action_id: str) -> ResponseReturnValue:
    """Withdraw an action: a new row, withdrawn, that stays listed as such."""
    withdrawal = manager_actions.withdrawal_of(action_id)
    if withdrawal is None:
        flash(gettext("This action changed meanwhile; its latest version is shown."))
    else:
        kept_actions.keep(withdrawal, current_parts().clock.now())
        flash(gettext("Action withdrawn."))
    return redirect(url_for("manager.actions_list", **manager_pages.language_args()))


@bp.get("/pause")
@signed_in
def pause_page() -> ResponseReturnValue:
    """Pause or resume taking ratings."""
    return render_template("manager/pause.html", **manager_pages.pause_page())


@bp.post("/pause")
@signed_in
def pause() -> ResponseReturnValue:
    """Pause (presses are stored as ``closed``, the screen says closed) or resume; survives a restart."""
    switch = current_parts().pause
    action = request.form.get("action")
    if action == "pause":
        switch.pause()
        flash(gettext("The kiosk is paused: customers see that it is closed."))
    elif action == "resume":
        switch.resume()
        flash(gettext("The kiosk takes ratings again."))
    else:
        return render_template("manager/error.html", message=gettext("Choose pause or resume."),
                               **manager_pages.common()), 400
    return redirect(url_for("manager.pause_page", **manager_pages.language_args()))


@bp.after_request
def _private(response: Response) -> Response:
    # Figures and PIN pages are never kept by the browser: Back after
    # "Back to customers" must not show them again.
    response.headers["Cache-Control"] = "no-store"
    return response


# -- errors as pages ----------------------------------------------------------------------------

@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> ResponseReturnValue:
    return render_template("manager/error.html", message=gettext(
        "This page was open too long or came from elsewhere. Nothing was changed; please try again."),
        **manager_pages.common()), 400


@bp.errorhandler(StorageError)
@bp.errorhandler(peewee.DatabaseError)
@bp.errorhandler(sqlite3.DatabaseError)
def _storage_failed(error: Exception) -> ResponseReturnValue:
    log.error("manager screen: the database failed: %s", error)
    return render_template("manager/error.html", message=gettext(
        "The kiosk's storage is not answering, so the figures cannot be shown now. Try again in a moment; "
        "if it persists, ask IT to look at the kiosk's health page."), **manager_pages.common()), 503


@bp.app_errorhandler(NotAManagerClient)
def _not_a_manager_client(error: NotAManagerClient) -> ResponseReturnValue:
    # Raised by the LAN guard before any view runs, so registered on the app.
    return render_template("manager/error.html", message=gettext(
        "The manager screen does not open on this device. Open it on the kiosk's own screen."),
        **manager_pages.common()), 403


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500  # every werkzeug error sets one
    messages = {404: gettext("There are no figures for that day."), 400: gettext("That address is not valid.")}
    return render_template("manager/error.html", message=messages.get(code, error.name),
                           **manager_pages.common()), code


def init_app(app: Flask) -> None:
    """The manager's screens, with sessions kept in this process (none outlives it)."""
    app.extensions["hymy_manager_sessions"] = OpenSessions(app.extensions["hymy"].clock, IDLE_SECONDS)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_NAME="hymy_manager",
        SESSION_COOKIE_PATH=bp.url_prefix,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    app.register_blueprint(bp)
    app.add_template_filter(manager_pages.keep_percent, "keep_percent")
