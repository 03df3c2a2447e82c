"""Logging in and out of head office's pages: ``/login``, ``/logout``; ``/`` leads to the overview."""
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from ..models import User
from .session import SessionUser

bp = Blueprint("login", __name__)


class LoginForm(FlaskForm):
    name = StringField(validators=[InputRequired(), Length(max=120)])
    password = PasswordField(validators=[InputRequired(), Length(max=200)])


def _safe_next(target):
    """Only a path on this server: an open redirect would hand a phishing page our login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.get("/")
def home():
    return redirect(url_for("pages.overview") if current_user.is_authenticated else url_for("login.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = User.get_or_none(User.name == form.name.data.strip())
        if user is not None and check_password_hash(user.password_hash, form.password.data):
            session.clear()
            session.permanent = True
            login_user(SessionUser(user))
            return redirect(_safe_next(request.args.get("next")) or url_for("pages.overview"))
        error = gettext("That name and password do not match.")
    elif request.method == "POST":
        error = gettext("Enter your name and password.")
    status = 401 if error else 200
    return render_template("central/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("login.login"))


@bp.get("/account")
@login_required
def account():
    return render_template("central/account.html", title=gettext("Your account"))
