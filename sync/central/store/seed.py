"""Central's default content, made once when the database is created: the
default question, the quality-model reasons with their labels in every
language, and the brand-wide target (sync/wire/defaults.py), translated from
central's own catalogs."""
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sync.central.resources import TRANSLATIONS_DIR
from sync.central.store.models import Question, Reason, Setting
from sync.common.i18n import catalog_text

if TYPE_CHECKING:
    from sync.central.store.models import Kiosk
from sync.wire.defaults import (
    DEFAULT_MIN_RESPONSES,
    DEFAULT_QUESTION_ID,
    DEFAULT_QUESTION_TEXT,
    DEFAULT_REASONS,
    DEFAULT_TARGET,
    LANGUAGES,
)


def translated(msgid: str) -> dict[str, str]:
    """Language -> *msgid* in that language, for every language of the screens."""
    return {language: catalog_text(TRANSLATIONS_DIR, msgid, language) for language in LANGUAGES}


def seed_defaults() -> None:
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


def store_history(kiosk: "Kiosk", ratings: list[dict[str, Any]], followups: list[dict[str, Any]]) -> int:
    """Store a kiosk's past rows at once, as ingest would have stored them batch by batch; return
    how many ratings were stored.

    For the demo's year and for load tests: the rows are already in central's stored shape (a
    checked row with its real time and final filter decided, a follow-up's ``_rating`` carrying
    its rating's ``(occurred_at, rating, filtered)``). They go through ingest's own insert and
    rollups and move the kiosk's sequence marks, inside the caller's write transaction, so the
    reports, the export and the fleet see them as they see any kiosk's. Rows central holds
    already are left as they are.
    """
    from sync.central.ingest.reconcile import reconcile
    from sync.central.store import rollups
    from sync.central.store.db import insert_new
    from sync.central.store.models import Followup, Kiosk, Rating

    inserted = insert_new(Rating, ratings)
    stored_followups = insert_new(Followup, followups)
    tally, zone = rollups.Tally(), rollups.site_zone(kiosk.site)
    for row in ratings:
        if row["id"] in inserted:
            tally.add_rating(kiosk.id, row["occurred_at"], zone, row["rating"], row["filtered"])
    for row in followups:
        if row["id"] in stored_followups:
            occurred_at, rating, filtered = row["_rating"]
            tally.add_followup(kiosk.id, occurred_at, zone, rating, filtered, row["reason"], row["reason_group"])
    tally.write()
    reconcile(kiosk)
    if ratings:
        last = max(row["received_at"] for row in ratings)
        Kiosk.update(last_batch_at=last).where(
            (Kiosk.id == kiosk.id) & (Kiosk.last_batch_at.is_null() | (Kiosk.last_batch_at < last))).execute()
    return len(inserted)
