"""The pass's first step: take central's content for this kiosk when it changed (ETag).

Content can wait, ratings cannot: a failure here is logged and the pass goes on.
Content that does not pass the kiosk's checks is refused whole, and the kiosk
keeps what it has (``config_error`` says why).
"""
import logging

from kiosk.storage.content_store import ContentStore
from kiosk.storage.state import sync_state
from sync.uploader.client import CentralClient, CentralError
from sync.uploader.refusal import note_refusal
from sync.wire.errors import ConfigError

log = logging.getLogger(__name__)


def pull_content(client: CentralClient, content_store: ContentStore | None) -> None:
    """Fetch the content if central has a newer one and apply it to *content_store* (None: skip)."""
    if content_store is None:
        return
    try:
        document, etag = client.fetch_config(sync_state.config_etag)
    except CentralError as error:
        note_refusal(error)
        log.warning("could not fetch the config from central: %s", error)
        return
    if document is None:
        return
    try:
        content_store.apply(document)
    except ConfigError as error:
        log.error("refused the config from central, keeping the current one: %s", error)
        sync_state.config_error = str(error)
        return
    sync_state.update(config_etag=etag, config_error=None)
    log.info("applied config from central (question %s v%s)", document["question"]["id"],
             document["question"]["version"])
