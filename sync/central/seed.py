"""Central's default content, made once when the database is created: the
default question, the quality-model reasons with their labels in every
language, and the brand-wide target (sync/defaults.py), translated from
central's own catalogs."""
from datetime import datetime, timezone

from ..common.i18n import catalog_text
from ..defaults import (
    DEFAULT_MIN_RESPONSES,
    DEFAULT_QUESTION_ID,
    DEFAULT_QUESTION_TEXT,
    DEFAULT_REASONS,
    DEFAULT_TARGET,
    LANGUAGES,
)
from .models import Question, Reason, Setting
from .resources import TRANSLATIONS_DIR


def translated(msgid):
    """Language -> *msgid* in that language, for every language of the screens."""
    return {language: catalog_text(TRANSLATIONS_DIR, msgid, language) for language in LANGUAGES}


def seed_defaults():
    """Insert the defaults that are missing; never change existing rows."""
    if not Question.select().where(Question.key == DEFAULT_QUESTION_ID).exists():
        Question.create(key=DEFAULT_QUESTION_ID, version=1, texts=translated(DEFAULT_QUESTION_TEXT),
                        created_at=datetime.now(timezone.utc))
    for position, reason in enumerate(DEFAULT_REASONS):
        if not Reason.select().where(Reason.key == reason.key).exists():
            Reason.create(key=reason.key, group=reason.group, labels=translated(reason.label), position=position)
    if not Setting.select().where(Setting.key == "target").exists():
        Setting.create(key="target", value=DEFAULT_TARGET)
    if not Setting.select().where(Setting.key == "min_responses").exists():
        Setting.create(key="min_responses", value=DEFAULT_MIN_RESPONSES)
