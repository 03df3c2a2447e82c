"""The sequence guard: nothing recorded after a restore is sent before central says where the
sequence continues, and after a full sync every number central lacks must be explained.

Both read central's view of this kiosk's gap-free sequence (``contiguous``,
``highest``, ``gaps``), from a heartbeat's or a batch's answer; the shift they
place rows with is the outbox's (:class:`~kiosk.storage.outbox.SequenceShift`).
"""
import logging
from collections.abc import Callable
from typing import Any

import peewee

from kiosk.storage.db import database
from kiosk.storage.models import Outbox, Rating
from kiosk.storage.outbox import SequenceShift
from kiosk.storage.state import sync_state
from sync.uploader.client import CentralClient, CentralError
from sync.uploader.heartbeat import send_heartbeat

log = logging.getLogger(__name__)


def missing_at_central(sequence: dict[str, Any], highest: int) -> list[int]:
    """Sequence numbers central lacks (up to 1,000), from its answer; *highest* is
    the kiosk's highest in central's numbering (kiosk/storage/outbox.py)."""
    missing: list[int] = []
    for first, last in sequence.get("gaps", []):
        missing.extend(range(first, min(last, first + 1000) + 1))
    missing.extend(range(sequence.get("highest", 0) + 1, highest + 1))
    return missing[:1000]


def continue_sequence(
    client: CentralClient, heartbeat: Callable[[str | None], dict[str, Any]]
) -> SequenceShift:
    """The shift in force; after a restore, first learned from central's heartbeat answer (the
    highest seq it holds), so rows recorded since go above it. Raises CentralError while central
    cannot say: then nothing is sent."""
    shift = SequenceShift.load()
    if shift.known:
        return shift
    reply = send_heartbeat(client, heartbeat(sync_state.gap_error))
    sequence = reply["sequence"]
    highest = sequence.get("highest") if isinstance(sequence, dict) else None
    if not isinstance(highest, int) or isinstance(highest, bool) or highest < 0:
        raise CentralError("HTTP 200: not central's answer (no highest seq)", 200)
    shift = shift.learned(highest)
    with database.atomic():
        shift.save()
        sync_state.central_sequence = sequence
    log.info("ratings continue above seq %d, the highest central holds for this kiosk", highest)
    return shift


def check_sequence(sequence: dict[str, Any], shift: SequenceShift) -> str | None:
    """Record central's view; after a full sync, a gap not explained by quarantine is an error
    (remembered as ``gap_error`` and returned; None when all is accounted for)."""
    sync_state.central_sequence = sequence
    if Outbox.pending_count():
        return sync_state.gap_error
    local_highest = Rating.select(peewee.fn.MAX(Rating.seq)).scalar() or 0
    # In central's numbering; numbers no local row has are ratings a restore lost, not this kiosk's to send.
    missing = {wire: shift.local(wire) for wire in missing_at_central(sequence, shift.wire(local_highest))}
    quarantined = Rating.quarantined_seqs([seq for seq in missing.values() if seq is not None])
    unexplained = [wire for wire, seq in missing.items() if seq is not None and seq not in quarantined]
    gap_error = None
    if unexplained:
        gap_error = f"central lacks {len(unexplained)} rating(s) after a full sync, first seq {unexplained[0]}"
        log.error(gap_error)
    sync_state.gap_error = gap_error
    return gap_error
