"""Pruning the kiosk's disk: synced rows older than ``retention_days`` go.

Never pruned: a rating still in the outbox (pending or quarantined), a rating
whose follow-up is, and the newest rating (it carries the sequence forward).
A database trigger refuses the first case as well.
"""
from datetime import datetime, timedelta

from kiosk.storage.db import database
from kiosk.storage.models import Rating

PRUNE_SQL = """
DELETE FROM rating
WHERE recorded_at < ?
  AND seq < (SELECT MAX(seq) FROM rating)
  AND id NOT IN (SELECT item_id FROM outbox)
  AND id NOT IN (SELECT f.rating_id FROM followup f JOIN outbox o ON o.item_id = f.id)
"""


def prune_synced(now: datetime, retention_days: int) -> int:
    """Delete synced ratings (and their follow-ups) older than the retention."""
    cutoff = Rating.recorded_at.db_value(now - timedelta(days=retention_days))
    with database.atomic():
        return database.execute_sql(PRUNE_SQL, (cutoff,)).rowcount
