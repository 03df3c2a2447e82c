"""A pass's last step: the network document (where the site stands in the brand), at most hourly.

It comes after the ratings and the heartbeat and can never fail the pass: an unreachable central,
an older central without the document (404) or a malformed document leaves the kept one as it
was (kiosk/storage/network.py) and is said in the log. Every ask counts towards the hour, so a
central that fails is not asked again at every pass.
"""

import logging
from datetime import datetime, timedelta

from kiosk.storage.network import NetworkStore
from kiosk.storage.state import sync_state
from sync.uploader.client import CentralClient, CentralError
from sync.wire.errors import ConfigError
from sync.wire.protocol import format_time, parse_time

log = logging.getLogger(__name__)

#: The document changes with the figures of whole days: once an hour is often enough.
NETWORK_EVERY = timedelta(hours=1)


def _due(now: datetime) -> bool:
    last = sync_state.network_checked_at
    if last is None:
        return True
    try:
        asked = parse_time(last)
    except ValueError:
        return True
    return not asked <= now < asked + NETWORK_EVERY  # a clock set back asks again at once


def pull_network(client: CentralClient, store: NetworkStore, now: datetime) -> None:
    """Ask central for the network document when an hour has passed since the last ask, and keep it."""
    if not _due(now):
        return
    sync_state.network_checked_at = format_time(now)
    try:
        document, etag = client.fetch_network(store.etag)
    except CentralError as error:
        if error.status == 404:
            log.info("central has no network document (an older central): the manager screen shows none")
        else:
            log.warning("could not fetch the network document from central: %s", error)
        return
    if document is None:
        store.confirm(now)
        return
    try:
        store.save(document, etag, now)
    except ConfigError as error:
        log.error("refused the network document from central, keeping the last one: %s", error)
