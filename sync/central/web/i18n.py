"""The pages' language: ``?lang=`` (remembered in a cookie), else the browser's, else Finnish."""
from datetime import date, timedelta

from flask import Flask, Response, request
from flask_babel import Babel, format_date

from sync.central.resources import TRANSLATIONS_DIR
from sync.wire.defaults import LANGUAGES

LANGUAGE_COOKIE = "hymy_lang"
#: Each language's own name, shown on the switch (never translated).
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}


_A_MONDAY = date(2026, 1, 5)


def weekday_names() -> list[str]:
    """Monday to Sunday, abbreviated in the page's language."""
    return [format_date(_A_MONDAY + timedelta(days=n), "EEE") for n in range(7)]


def select_language() -> str:
    asked = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if asked is not None and asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def _remember_language(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked is not None and asked in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != asked:
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[0])
    Babel(app, locale_selector=select_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(language_names=LANGUAGE_NAMES)
