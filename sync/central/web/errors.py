"""Errors answered as a page in central's look, in the reader's language, with a way back.

A page blueprint's errors are always pages. Anywhere else — an address no route matches, an
exception nobody expected — a browser (``Accept`` preferring ``text/html``) gets the same page and
any other client the APIs' JSON; everything under ``/api/`` is JSON whatever the client asks
(:func:`sync.common.web.answer_errors_as_json`).
"""
import logging

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from sync.common.web import prefers_html
from sync.wire.defaults import N_

log = logging.getLogger(__name__)

#: status -> (heading, what it means for the reader); any other status reads as its class's (4xx or 5xx).
EXPLAINED = {
    400: (N_("The request was not understood"),
          N_("The address or the form holds something this page cannot use. Go back and try again.")),
    403: (N_("No access"), N_("This page is for admins.")),
    404: (N_("Page not found"), N_("There is nothing here, or it is not one of your sites.")),
    405: (N_("Not possible here"), N_("This address does not take that kind of request.")),
    413: (N_("Too much at once"), N_("The form sent more than the server takes at once.")),
    429: (N_("Too many requests"), N_("Too many requests in a short time. Wait a moment and try again.")),
    500: (N_("Something went wrong"),
          N_("The server could not show this page. The error is logged; try again, and if it keeps happening, "
             "tell your administrator.")),
    503: (N_("Not available just now"), N_("The server is busy or its database is not answering. Try again in a "
                                           "moment.")),
}
#: Shown when the page itself cannot be drawn (the database down, a template failing): no database, no catalog.
_BARE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{code} · Hymy</title><link rel="stylesheet" href="/static/css/central.css"></head>
<body><main class="page"><section class="card login"><h1>{code}</h1><p>{message}</p>
<p><a class="button button--secondary" href="/">Hymy</a></p></section></main></body></html>
"""


def wants_json() -> bool:
    """JSON for the APIs whatever the client asks, and for any client that does not prefer a page."""
    return request.path.startswith("/api/") or not prefers_html()


def _words(error: HTTPException) -> tuple[str, str, str | None]:
    """``(heading, message, detail)``, translated; *detail* is the reason the code gave for a 400, if any."""
    code = error.code or 500
    if isinstance(error, CSRFError):
        return (gettext(EXPLAINED[400][0]),
                gettext("The form expired or did not come from this page. Reload the page and try again."), None)
    heading, message = EXPLAINED.get(code) or EXPLAINED[500 if code >= 500 else 400]
    own = error.description != type(error).description
    detail = error.description if code == 400 and own else None  # e.g. "search: …" names what to change
    return gettext(heading), gettext(message), detail


def html_error(error: HTTPException) -> tuple[str, int, list[tuple[str, str]]]:
    """*error* (an :class:`HTTPException`) as central's error page; the bare page if that cannot be drawn."""
    code = error.code or 500
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    try:
        heading, message, detail = _words(error)
        page = render_template("central/error.html", title=heading, code=code, message=message, detail=detail)
    except Exception:  # the page needs the database (who is logged in) and the templates: either may be the fault
        log.exception("the error page for %s could not be drawn", code)
        page = _BARE_PAGE.format(code=code, message=escape(error.description or error.name))
    return page, code, headers


def init_blueprint(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(HTTPException, html_error)
