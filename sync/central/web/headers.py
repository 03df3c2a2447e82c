"""Security headers on every answer central gives: pages, error pages, JSON, exports, static files.

- A page may load scripts, styles, images and fonts from central itself and nothing else: no inline
  script, no inline style, no ``eval``, no plugin, no ``<base>``, forms only to central. Its pages keep
  every script and style in sync/central/static/ (their settings reach central.js as data attributes),
  so the policy costs them nothing.
- Anything else (JSON, CSV, a static file opened on its own) may load nothing at all.
- No other site may frame any of it (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for
  browsers that predate it): an admin's revoke or delete button cannot be clicked through a
  disguised frame.
- ``nosniff`` everywhere, so a browser never runs a JSON or CSV answer as a script or a page.
- Links to other sites carry no address (``Referrer-Policy: same-origin``): a report's address
  names sites, periods and searches.
- Over HTTPS (directly, or behind the ``proxy_hops`` proxies that say so in ``X-Forwarded-Proto``,
  see sync/central/app.py), ``Strict-Transport-Security`` keeps the browser on HTTPS for a year.
"""
from flask import Flask, Response, request

PAGE_POLICY = ("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
               "object-src 'none'")
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"
ALWAYS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


def add_security_headers(response: Response, secure: bool) -> Response:
    """Set the headers on *response*; *secure*: the request came over HTTPS."""
    response.headers.update(ALWAYS)
    response.headers["Content-Security-Policy"] = PAGE_POLICY if response.mimetype == "text/html" else OTHER_POLICY
    if secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    """Every answer of *app*, whichever blueprint or error handler made it."""
    app.after_request(lambda response: add_security_headers(response, request.is_secure))
