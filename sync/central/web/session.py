"""Who is logged in to head office's pages, the same on every worker and host.

Central runs as several gunicorn workers, possibly on several hosts, so no
part of a login lives in one process's memory:

- the session cookie is signed with a key made once and kept in the database
  (setting ``session_secret``); the ``secret_key`` config value overrides it;
- the cookie is HttpOnly, SameSite=Lax and Secure (config ``secure_cookies``),
  and the session ends after ``session_minutes`` without a request, measured
  on the app's clock (the last request's time travels in the signed cookie);
- the cookie carries the user's id and a fingerprint of their password hash,
  so a password change ends every other session of that user.

Flask-Login keeps the session; :func:`current_viewer` is the user row and
:func:`visible_site_ids` what they may see.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import LoginManager, UserMixin, current_user, logout_user
from werkzeug.exceptions import Forbidden

from ..auth import visible_site_ids as sites_of
from ..db import write_transaction
from ..models import Setting, User
from ..timesource import utc_now

SECRET_SETTING = "session_secret"


class SessionUser(UserMixin):
    """A :class:`~sync.central.models.User` as Flask-Login sees it."""

    def __init__(self, user):
        self.user = user

    def get_id(self):
        return f"{self.user.id}:{password_fingerprint(self.user)}"


def password_fingerprint(user):
    """A short digest of the user's password hash: a new password makes old cookies unusable."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def _load_user(session_id):
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = User.get_or_none(User.id == int(user_id))
    if user is None or password_fingerprint(user) != fingerprint:
        return None
    return SessionUser(user)


def session_secret(configured=None):
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
    return held.value


_SEEN = "seen"


def mark_seen():
    """Note this request's time in the session: the idle limit counts from it."""
    session[_SEEN] = utc_now().timestamp()


def _end_idle_sessions():
    """Log out a session idle longer than ``session_minutes``; note the time of any other."""
    if not current_user.is_authenticated:
        return None
    limit = current_app.extensions["hymy_central"].config.session_minutes * 60
    seen = session.get(_SEEN)
    if not isinstance(seen, (int, float)) or utc_now().timestamp() - seen > limit:
        logout_user()
        session.clear()
        flash(gettext("Your session ended after a while without use. Log in again."), "warning")
        return redirect(url_for("login.login", next=request.full_path if request.method == "GET" else None))
    mark_seen()
    return None


def current_viewer():
    """The logged-in user's row (pages run behind ``login_required``)."""
    return current_user.user


def visible_site_ids():
    """None for an admin (every site), else the ids of the viewer's sites; kept for the request."""
    if "visible_site_ids" not in g:
        g.visible_site_ids = sites_of(current_viewer())
    return g.visible_site_ids


def require_admin():
    if current_viewer().role != "admin":
        raise Forbidden("only an admin may do this")


def init_app(app):
    config = app.extensions["hymy_central"].config
    from ..db import connection

    with connection():
        app.secret_key = session_secret(config.secret_key)
    app.config.update(
        SESSION_COOKIE_NAME="hymy_central_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.session_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        REMEMBER_COOKIE_SECURE=config.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
    )
    manager = LoginManager(app)
    manager.login_view = "login.login"
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    app.before_request(_end_idle_sessions)
    app.jinja_env.globals.update(current_viewer=lambda: current_user.user if current_user.is_authenticated else None)
