"""Logging in and out of head office's pages: ``/login``, ``/logout``; ``/`` leads to the overview."""
import math
import secrets
from typing import cast
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, Field, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional

from sync.central.org import registry as org
from sync.central.store.models import User
from sync.central.store.timesource import utc_now
from sync.central.web import login_limit
from sync.central.web.session import current_viewer, end_session, start_session
from sync.wire.protocol import text_problem

bp = Blueprint("login", __name__)


class LoginForm(FlaskForm):
    name = StringField(validators=[InputRequired(), Length(max=120)])
    password = PasswordField(validators=[InputRequired(), Length(max=200)])


def _refuse(field: Field, message: str) -> None:
    """Show *message* under *field* (WTForms keeps a field's errors in a list; its stub says a sequence)."""
    cast(list[str], field.errors).append(message)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this server: an open redirect would hand a phishing page our login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("pages.overview") if current_user.is_authenticated else url_for("login.login"))


#: Checked when the name is unknown, so a wrong name takes as long as a wrong password
#: (the time would otherwise tell which names exist).
_NO_SUCH_USER = generate_password_hash(secrets.token_urlsafe(16))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    error, status = None, 200
    valid = form.validate_on_submit()
    name, password = form.name.data or "", form.password.data or ""  # both required once valid
    if valid and (text_problem(name) or text_problem(password)):
        # NUL, lone surrogates, direction overrides: no name or password holds them, and the database
        # would refuse them as text.
        error, status = gettext("Enter your name and password."), 400
    elif valid:
        # The try is counted before the password is checked, in one atomic step (login_limit.py).
        attempt = login_limit.claim(name, request.remote_addr)
        if attempt.refused_until is not None:
            minutes = max(1, math.ceil((attempt.refused_until - utc_now()).total_seconds() / 60))
            error, status = ngettext("Too many failed logins. Try again in %(num)s minute.",
                                     "Too many failed logins. Try again in %(num)s minutes.", minutes), 429
        else:
            user = User.get_or_none(User.name == name.strip())
            matches = check_password_hash(user.password_hash if user else _NO_SUCH_USER, password)
            if user is not None and matches:
                login_limit.succeeded(attempt)
                start_session(user)
                return redirect(_safe_next(request.args.get("next")) or url_for("pages.overview"))
            error, status = gettext("That name and password do not match."), 401
    elif request.method == "POST":
        error, status = gettext("Enter your name and password."), 400
    return render_template("central/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End this session on the server: a copy of its cookie opens nothing afterwards."""
    end_session()
    return redirect(url_for("login.login"))


class PasswordForm(FlaskForm):
    current = PasswordField(validators=[InputRequired(), Length(max=200)])
    new = PasswordField(validators=[InputRequired(), Length(min=10, max=200)])
    again = PasswordField(validators=[InputRequired(), Length(max=200)])


class ContactForm(FlaskForm):
    email = StringField(validators=[Optional(), Length(max=254)])
    digest = BooleanField()
    alert_email = BooleanField()


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    """Change your own password; set where alerts and the daily digest reach you."""
    user = current_viewer()
    password_form = PasswordForm(prefix="password")
    contact_form = ContactForm(prefix="contact", data={"email": user.email, "digest": bool(user.digest),
                                                        "alert_email": bool(user.alert_email)})
    if request.method == "POST" and request.form.get("form") == "password" and password_form.validate_on_submit():
        # All three are required once the form validates.
        current, new, again = (field.data or "" for field in (password_form.current, password_form.new,
                                                               password_form.again))
        if any(text_problem(text) for text in (current, new, again)):
            _refuse(password_form.new, gettext("A password cannot hold control characters."))
        elif not check_password_hash(user.password_hash, current):
            _refuse(password_form.current, gettext("That is not your current password."))
        elif new != again:
            _refuse(password_form.again, gettext("The two new passwords differ."))
        else:
            org.set_password(user.name, new)  # ends every session of the user
            start_session(User.get_by_id(user.id))  # this browser goes on, in a session of its own
            flash(gettext("Your password is changed. Your other sessions have ended."), "success")
            return redirect(url_for("login.account"))
    elif request.method == "POST" and request.form.get("form") == "contact" and contact_form.validate_on_submit():
        email = (contact_form.email.data or "").strip() or None
        if (contact_form.digest.data or contact_form.alert_email.data) and email is None:
            _refuse(contact_form.email, gettext("Alerts and the daily digest need an email address."))
        else:
            try:
                org.set_contact(user.name, email, contact_form.digest.data, contact_form.alert_email.data)
            except org.OrgError:
                _refuse(contact_form.email, gettext("Give one email address, without commas.") if "," in (email or "")
                        else gettext("That is not an email address."))
            else:
                flash(gettext("Saved."), "success")
                return redirect(url_for("login.account"))
    status = 400 if request.method == "POST" else 200
    return render_template("central/account.html", title=gettext("Your account"), user=user,
                           password_form=password_form, contact_form=contact_form), status
