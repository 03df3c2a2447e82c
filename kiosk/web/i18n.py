"""Customer-facing languages through gettext catalogs (Flask-Babel).

The screen's language comes from ``?lang=`` when it names an offered language,
otherwise from the ``language`` config key. Catalogs live in
``kiosk/translations/<lang>/LC_MESSAGES/messages.po`` (compiled ``.mo`` beside).
"""
from flask import Flask, current_app, request
from flask_babel import Babel, get_locale, gettext

from kiosk.resources import TRANSLATIONS_DIR
from kiosk.storage.content import Question, Reason
from sync.wire.defaults import DEFAULT_QUESTION_TEXT

#: Each language's own name, shown on the switch (never translated).
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}


def select_language() -> str:
    config = current_app.config["HYMY"]
    asked = request.args.get("lang") if request else None
    return asked if asked is not None and asked in config.languages else config.language


def reason_label(reason: Reason) -> str:
    """A reason's label in the request's language: central's own label if it
    sent one for that language, else the translated default."""
    language = str(get_locale())
    return reason.labels.get(language) or gettext(reason.default_label)


def question_text(question: Question) -> str:
    """The question in the request's language: its own text, else the translated default."""
    return question.texts.get(str(get_locale())) or gettext(DEFAULT_QUESTION_TEXT)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["HYMY"].language)
    Babel(app, locale_selector=select_language)
    # Message ids kept in data (faces, reasons) are translated where the page shows them.
    app.jinja_env.globals.update(reason_label=reason_label, question_text=question_text)
