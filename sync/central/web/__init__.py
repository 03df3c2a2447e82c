"""Head office's pages on central, beside the token APIs.

One place wires the browser side: templates and static files of the
``central`` part, languages (fi/sv/en), sessions and logins, CSRF on every
form (the kiosk, export and OpenAPI endpoints take tokens and are exempt),
and each group of pages as its own blueprint.
"""
from urllib.parse import urlencode

from flask import Flask, request, url_for
from flask_babel import format_date, format_decimal, get_locale, gettext
from flask_wtf.csrf import CSRFProtect

from sync.central.resources import CHECKOUT_TEMPLATES, PACKAGE_DIR, TEMPLATE_FOLDERS
from sync.central.web import actions_page, admin, alerts_page, errors, i18n, login, pages, parse, session
from sync.common.templates import part_templates
from sync.wire.defaults import N_

#: The top bar's sections: (endpoint, name, admins only). A section shows once its blueprint is registered.
SECTIONS = (
    ("pages.overview", N_("Overview"), False),
    ("pages.services", N_("Services"), False),
    ("pages.providers", N_("Providers"), False),
    ("pages.drivers", N_("Drivers"), False),
    ("pages.comments", N_("Comments"), False),
    ("actions.actions_list", N_("Actions"), False),
    ("pages.fleet", N_("Fleet"), False),
    ("alerts.alerts_list", N_("Alerts"), False),
    ("admin.index", N_("Admin"), True),
)

#: The quality model's groups as the pages name them (the keys are the wire's, sync/wire/protocol/).
GROUP_NAMES = {
    "outcome": N_("Outcome"),
    "attitude": N_("Staff attitude"),
    "accessibility": N_("Accessibility"),
    "reliability": N_("Reliability"),
    "communication": N_("Communication"),
    "environment": N_("Environment"),
    "trust": N_("Trust"),
    "recovery": N_("Recovery"),
}

#: The blueprints that answer tokens, not sessions: no CSRF token is asked of them.
TOKEN_BLUEPRINTS = ("ingest", "kiosk_api", "export", "openapi")


#: Head office's pages; their errors answer as pages (registered once: blueprints are shared by apps).
PAGE_BLUEPRINTS = (login.bp, pages.bp, alerts_page.bp, actions_page.bp, admin.bp)
for _blueprint in PAGE_BLUEPRINTS:
    errors.init_blueprint(_blueprint)


def language_link(code: str) -> str:
    """This page in language *code*: the same address and query; after a form, the overview (a form's
    answer has no address of its own to come back to)."""
    if request.method != "GET":
        return url_for("login.home", lang=code)
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


def init_app(app: Flask) -> None:
    app.jinja_loader = part_templates(PACKAGE_DIR, CHECKOUT_TEMPLATES, TEMPLATE_FOLDERS)
    parse.init_app(app)  # the pages' routes take its converters
    i18n.init_app(app)
    session.init_app(app)
    csrf = CSRFProtect(app)
    for name in TOKEN_BLUEPRINTS:
        csrf.exempt(app.blueprints[name])
    for blueprint in PAGE_BLUEPRINTS:
        app.register_blueprint(blueprint)

    def nav_sections():
        viewer = session.current_viewer()
        return [(endpoint, gettext(name)) for endpoint, name, admin_only in SECTIONS
                if endpoint in app.view_functions and (viewer.role == "admin" or not admin_only)]

    app.jinja_env.globals.update(
        nav_sections=nav_sections, current_language=lambda: str(get_locale()), format_date=format_date,
        format_decimal=format_decimal, language_link=language_link,
        group_name=lambda key: gettext(GROUP_NAMES[key]) if key in GROUP_NAMES else key,
        weekday_names=i18n.weekday_names)
