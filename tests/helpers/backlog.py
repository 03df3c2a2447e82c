"""A long backlog written straight into a kiosk's database, as the recorder writes each row.

A month offline at a busy gate is tens of thousands of rows: recording them one
by one through the recorder would take minutes, so the tests that need such a
backlog insert them in one transaction, right after one real recording (which
sets up the question and the boot the rows refer to).
"""
import sqlite3
import uuid
from contextlib import closing
from datetime import timedelta

WALL_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def insert_backlog(parts, faces, followup_every=5, step=5.0, reason=("waiting", "accessibility")):
    """Append one rating per value of *faces* after the newest in the database of *parts*
    (``app.extensions["hymy"]``), *step* seconds apart from its clock's now, every
    *followup_every*-th with a follow-up of *reason* ``(reason, group)``; return
    ``(rating ids, follow-up ids)``. The clock is not advanced."""
    clock, question = parts.clock, parts.content_store.current().question
    with closing(sqlite3.connect(parts.config.database_path, timeout=30)) as db:
        (last_seq, last_monotonic), = db.execute("SELECT seq, monotonic FROM rating ORDER BY seq DESC LIMIT 1")
        ratings, followups, outbox = [], [], []
        for i, face in enumerate(faces, start=1):
            rating_id, moment = str(uuid.uuid4()), clock.now() + timedelta(seconds=step * i)
            ratings.append((rating_id, last_seq + i, parts.kiosk_id, question.id, question.version, face, "button",
                            moment.strftime(WALL_FORMAT), 1, clock.boot_id(), last_monotonic + step * i, None))
            outbox.append(("rating", rating_id))
            if followup_every and i % followup_every == 0:
                followup_id = str(uuid.uuid4())
                followups.append((followup_id, rating_id, *reason, None,
                                  (moment + timedelta(seconds=2)).strftime(WALL_FORMAT), 1, clock.boot_id(),
                                  last_monotonic + step * i + 2))
                outbox.append(("followup", followup_id))
        with db:
            db.executemany("INSERT INTO rating (id, seq, kiosk_id, question_id, question_version, rating, source,"
                           " recorded_at, clock_trusted, boot_id, monotonic, filtered)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ratings)
            db.executemany("INSERT INTO followup (id, rating_id, reason, reason_group, comment, recorded_at,"
                           " clock_trusted, boot_id, monotonic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", followups)
            db.executemany("INSERT INTO outbox (kind, item_id) VALUES (?, ?)", outbox)
    return [r[0] for r in ratings], [f[0] for f in followups]
