"""The heartbeat: the kiosk's state, sent to central after every pass whatever the batches did.

Central's answer carries its view of this kiosk's sequence, which the
sequence guard checks; the heartbeat also tells central the verdict of that
check (``gap_error``), so head office sees a kiosk that lost rows.
"""
import logging
import shutil
from pathlib import Path
from typing import Any

from kiosk.storage.models import Outbox
from sync.common.clock import Clock
from sync.common.version import software_version
from sync.uploader.client import CentralClient, CentralError
from sync.uploader.refusal import note_refusal
from sync.wire.protocol import format_time

log = logging.getLogger(__name__)


def heartbeat_document(kiosk_id: str, clock: Clock, data_dir: Path, gap_error: str | None) -> dict[str, Any]:
    """``POST /api/v1/heartbeat``'s body, as the protocol's ``HEARTBEAT_FIELDS`` name it."""
    oldest = Outbox.oldest_pending_time()
    return {
        "kiosk_id": kiosk_id,
        "software_version": software_version(),
        "pending": Outbox.pending_count(),
        "oldest_pending_seconds": (clock.now() - oldest).total_seconds() if oldest else None,
        "quarantined": Outbox.quarantined().count(),
        "boot_id": clock.boot_id(),
        "wall": format_time(clock.now()),
        "monotonic": clock.monotonic(),
        "clock_trusted": clock.trusted(),
        "free_disk_bytes": shutil.disk_usage(data_dir).free,
        "gap_error": gap_error,
    }


def send_heartbeat(client: CentralClient, document: dict[str, Any]) -> dict[str, Any]:
    """Send one heartbeat; central's answer. A refused token is remembered before the error is raised."""
    try:
        return client.heartbeat(document)
    except CentralError as error:
        note_refusal(error)
        raise
