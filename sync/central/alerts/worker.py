"""``hymy central worker``: evaluates alert rules and delivers alerts, one process at a time.

Web workers answer requests; this one process runs the clock-driven work. It
holds a lock for as long as it runs, so a second worker (another host, a
restart overlapping the old one) waits instead of sending the same alert
twice: PostgreSQL's session advisory lock on a connection of its own, or on
SQLite an exclusive flock beside the database file. The episodes themselves
are also claimed one by one before sending (sync/central/alerts/episodes.py), so even
a lock lost mid-round cannot send one twice.
"""
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import peewee

from sync.central.alerts import digest
from sync.central.alerts import episodes as alerts
from sync.central.alerts.delivery import SmtpSettings
from sync.central.alerts.outbound import WebhookPolicy
from sync.central.store.models import central_db
from sync.common.files import exclusive_lock

log = logging.getLogger(__name__)
_WORKER_LOCK = 72_201_302  # any fixed number shared by every worker; beside the schema lock's


class LockHeld(Exception):
    """Another worker holds the worker lock."""


@contextmanager
def worker_lock() -> Iterator[None]:
    """Hold the worker lock for the block; LockHeld at once when another worker has it."""
    database = central_db.obj
    if isinstance(database, peewee.SqliteDatabase):
        try:
            with exclusive_lock(Path(f"{database.database}.worker.lock"), wait=False):
                yield
        except BlockingIOError:
            raise LockHeld() from None
        return
    connection = database._connect()  # a connection of its own: the lock lives as long as it does
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (_WORKER_LOCK,))
            if not cursor.fetchone()[0]:
                raise LockHeld()
        connection.commit()
        yield
    finally:
        connection.close()  # ends the session, and with it the lock


def run_once(
    smtp: SmtpSettings | None, now: datetime | None = None, webhooks: WebhookPolicy | None = None
) -> tuple[int, int, int]:
    """One round: evaluate the rules, deliver what is due, send the digests that are due; return
    ``(alerts opened, alerts sent, alerts to retry)``.

    :param webhooks: where webhooks may go (:class:`~sync.central.alerts.outbound.WebhookPolicy` from
        central's config; default: https to public addresses only).
    """
    opened = alerts.evaluate(now)
    sent, failed = alerts.deliver(smtp, now, webhooks=webhooks)
    digests = digest.send_due(smtp, now)
    if digests:
        log.info("worker: %d daily digests sent", digests)
    return len(opened), sent, failed


def run(
    smtp: SmtpSettings | None,
    interval: float = 60.0,
    stop: threading.Event | None = None,
    rounds: int | None = None,
    webhooks: WebhookPolicy | None = None,
) -> None:
    """Run rounds every *interval* seconds until *stop* is set, holding the worker lock.

    While another worker holds the lock this one waits, saying so once, and
    takes over when it can.
    """
    stop = stop or threading.Event()
    said_waiting = False
    done = 0
    while not stop.is_set() and (rounds is None or done < rounds):
        try:
            with worker_lock():
                log.info("worker: holding the worker lock; a round every %g s", interval)
                said_waiting = False
                while not stop.is_set() and (rounds is None or done < rounds):
                    opened, sent, failed = run_once(smtp, webhooks=webhooks)
                    done += 1
                    if opened or sent or failed:
                        log.info("worker: %d alerts opened, %d sent, %d to retry", opened, sent, failed)
                    stop.wait(interval)
        except LockHeld:
            if not said_waiting:
                log.info("worker: another worker holds the lock; waiting to take over")
                said_waiting = True
            stop.wait(interval)
