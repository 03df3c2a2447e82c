"""Central's default content, made once when the database is created: the
default question, the quality-model reasons with their labels in every
language the kiosk speaks, and the brand-wide target."""
from datetime import datetime, timezone

from kiosk.config import LANGUAGES
from kiosk.content import DEFAULT_QUESTION_TEXT, DEFAULT_REASONS
from kiosk.i18n import catalog_text

from .models import Question, Reason, Setting

DEFAULT_TARGET = 85


def seed_defaults():
    """Insert the defaults that are missing; never change existing rows."""
    if not Question.select().where(Question.key == "service").exists():
        Question.create(
            key="service",
            version=1,
            texts={lang: catalog_text(DEFAULT_QUESTION_TEXT, lang) for lang in LANGUAGES},
            created_at=datetime.now(timezone.utc),
        )
    for position, reason in enumerate(DEFAULT_REASONS):
        if not Reason.select().where(Reason.key == reason.key).exists():
            labels = {lang: catalog_text(reason.default_label, lang) for lang in LANGUAGES}
            Reason.create(key=reason.key, group=reason.group, labels=labels, position=position)
    if not Setting.select().where(Setting.key == "target").exists():
        Setting.create(key="target", value=DEFAULT_TARGET)
