"""Errors on head office's pages answer as a page in central's look, not as the APIs' JSON."""
from flask import render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def html_error(error):
    if isinstance(error, CSRFError):
        message = gettext("The form expired or did not come from this page. Reload the page and try again.")
    elif error.code == 403:
        message = gettext("This page is for admins.")
    elif error.code == 404:
        message = gettext("There is nothing here, or it is not one of your sites.")
    else:
        message = error.description
    return render_template("central/error.html", title=f"{error.code} {error.name}", message=message), error.code


def init_blueprint(blueprint):
    blueprint.register_error_handler(HTTPException, html_error)
