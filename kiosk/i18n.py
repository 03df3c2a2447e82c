"""Customer-facing languages through gettext catalogs (Flask-Babel).

The screen's language comes from ``?lang=`` when it names an offered language,
otherwise from the ``language`` config key. Catalogs live in
``kiosk/translations/<lang>/LC_MESSAGES/messages.po`` (compiled ``.mo`` beside).
"""
from babel import support
from flask import current_app, request
from flask_babel import Babel

from .resources import TRANSLATIONS_DIR

#: Each language's own name, shown on the switch (never translated).
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}


def select_language():
    config = current_app.config["HYMY"]
    asked = request.args.get("lang") if request else None
    return asked if asked in config.languages else config.language


def init_app(app):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["HYMY"].language)
    Babel(app, locale_selector=select_language)


def catalog_text(lazy, language):
    """A lazy string's text in *language*, outside any request (central's seed).

    flask_babel's LazyString keeps its gettext argument, the English msgid, as
    its first argument; babel reads the same catalogs the screen uses.
    """
    msgid = lazy._args[0]
    return support.Translations.load(str(TRANSLATIONS_DIR), [language]).gettext(msgid)
