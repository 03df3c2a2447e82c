"""Who is logged in to head office's pages, the same on every worker and host.

Central runs as several gunicorn workers, possibly on several hosts, so no
part of a login lives in one process's memory:

- a login is a row of ``login_session`` (sync/central/org/sessions.py); the
  cookie carries its random id, and every request looks it up, so logging
  out, a password change, deleting the user and idle time end it on every
  worker at once: a cookie kept from before gets the login page;
- the cookie is signed with a key made once and kept in the database
  (setting ``session_secret``; the ``secret_key`` config value overrides it),
  so a session one worker opened is taken by every other; it is HttpOnly,
  SameSite=Lax and Secure (config ``secure_cookies``);
- a session ends after ``session_minutes`` without a request, measured on the
  app's clock.

Flask-Login keeps the id in the cookie; :func:`current_viewer` is the user row
and :func:`viewer_site_ids` what they may see.
"""
import secrets
from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.exceptions import Forbidden, NotFound

from sync.central.org import sessions
from sync.central.org.auth import visible_site_ids
from sync.central.store.db import write_transaction
from sync.central.store.models import Setting, Site, User
from sync.central.store.timesource import utc_now

SECRET_SETTING = "session_secret"


class SessionUser(UserMixin):
    """A :class:`~sync.central.store.models.User` in one open session, as Flask-Login sees it: its id
    is the session's, so the cookie names the session, not the user."""

    def __init__(self, user: User, session_id: str) -> None:
        self.user = user
        self.session_id = session_id

    def get_id(self) -> str:
        return self.session_id


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.extensions["hymy_central"].config.session_minutes)


def _load_user(session_id: str) -> SessionUser | None:
    found = sessions.find(session_id, utc_now(), _idle_limit())
    if found.idle:
        g.session_went_idle = True
    return SessionUser(found.user, session_id) if found.user is not None else None


def start_session(user: User) -> None:
    """Log *user* in on this browser: a new session row, a fresh cookie (and CSRF token)."""
    session_id = sessions.open_session(user, utc_now(), _idle_limit())
    session.clear()
    session.permanent = True
    login_user(SessionUser(user, session_id))


def end_session() -> None:
    """Log out on this browser: the row goes, so a copy of the cookie opens nothing either."""
    if current_user.is_authenticated:
        sessions.end(current_user.session_id)
    logout_user()
    session.clear()


def session_secret(configured: str | None = None) -> str:
    """The key that signs sessions: *configured* if given, else the one kept in the database.

    Made on first use by whichever worker comes first; every other worker
    reads the same row (insert-if-missing, then read).
    """
    if configured:
        return configured
    held = Setting.get_or_none(Setting.key == SECRET_SETTING)
    if held is None:
        with write_transaction():
            Setting.insert(key=SECRET_SETTING, value=secrets.token_urlsafe(48)).on_conflict_ignore().execute()
        held = Setting.get(Setting.key == SECRET_SETTING)
    secret: str = held.value
    return secret


def _check_session() -> ResponseReturnValue | None:
    """Look up this browser's session. One that ended leaves the cookie logged out (the page asked
    for then answers as to anyone: the login page); one that went idle says so on the login page."""
    if "_user_id" not in session or current_user.is_authenticated:
        return None
    logout_user()
    if g.pop("session_went_idle", False):
        session.clear()
        flash(gettext("Your session ended after a while without use. Log in again."), "warning")
        return redirect(url_for("login.login", next=request.full_path if request.method == "GET" else None))
    return None


def current_viewer() -> User:
    """The logged-in user's row (pages run behind ``login_required``)."""
    viewer: User = current_user.user
    return viewer


def viewer_site_ids() -> list[int] | None:
    """:func:`~sync.central.org.auth.visible_site_ids` of the logged-in viewer, looked up once per request."""
    if "viewer_site_ids" not in g:
        g.viewer_site_ids = visible_site_ids(current_viewer())
    site_ids: list[int] | None = g.viewer_site_ids
    return site_ids


def visible_site(site_id: int) -> Site:
    """The site *site_id* if the viewer may see it; 404 otherwise (another site's id is not told apart
    from one that does not exist)."""
    site = Site.get_or_none(Site.id == site_id)
    allowed = viewer_site_ids()
    if site is None or (allowed is not None and site.id not in allowed):
        raise NotFound()
    return site


def require_admin() -> None:
    if current_viewer().role != "admin":
        raise Forbidden("only an admin may do this")


def init_app(app: Flask) -> None:
    config = app.extensions["hymy_central"].config
    from sync.central.store.db import connection

    with connection():
        app.secret_key = session_secret(config.secret_key)
    app.config.update(
        SESSION_COOKIE_NAME="hymy_central_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.session_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,  # the cookie's own expiry follows use; the server decides
        REMEMBER_COOKIE_SECURE=config.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
    )
    manager = LoginManager(app)
    manager.login_view = "login.login"
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    app.before_request(_check_session)
    app.jinja_env.globals.update(current_viewer=lambda: current_user.user if current_user.is_authenticated else None)
