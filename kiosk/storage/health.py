"""Is the kiosk's data flowing? One verdict for ``/healthz`` and ``hymy sync --status``.

The verdict reads only what the uploader left in the database (``sync_state``,
the outbox) and the enrollment file, so every process that asks gets the same
answer without calling central. ``degraded`` comes with reasons a person can
act on; ``ok`` means none holds. A kiosk that is not enrolled is ``ok``:
recording before enrollment is normal, its rows ship once it is enrolled.
"""
import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.storage.enrollment import ENROLLMENT_FILE
from kiosk.storage.models import Outbox
from kiosk.storage.state import sync_state
from sync.wire.protocol import TIME_FORMAT

if TYPE_CHECKING:
    from kiosk.storage.recorder import StorageFailure

#: What ``/healthz`` has always shown of the uploader's state.
SYNC_KEYS = ("last_success_at", "last_error", "gap_error", "central_sequence")
ENROLL_AGAIN = "enroll again with hymy enroll"
#: Below this much free space in the data dir the kiosk says so before a rating fails (as hymy doctor).
LOW_DISK_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Health:
    """``status`` is ``"ok"`` or ``"degraded"``; ``reasons`` say why, one sentence each."""

    status: str
    reasons: list[str]
    sync: dict[str, Any]  # the uploader's state: enrolled, last success, last error, gap, central's sequence


def sync_health(data_dir: Path, now: datetime, stale_after: float) -> Health:
    """The kiosk's sync verdict at *now* (the kiosk's clock). A database
    failure propagates: the caller reports the database, not the sync."""
    state = sync_state.read(*SYNC_KEYS)
    enrollment = _enrollment(data_dir)
    sync = {"enrolled": enrollment is not None, **state}
    if enrollment is None:
        return Health("ok", [], sync)
    reasons = []
    if enrollment == "unreadable":
        reasons.append(f"the enrollment file {data_dir / ENROLLMENT_FILE} is unreadable: {ENROLL_AGAIN}")
    if sync_state.token_refused:
        reasons.append(f"central refused this kiosk's token (revoked?): {ENROLL_AGAIN}")
    stale = _stale(data_dir, state, now, stale_after)
    if stale:
        reasons.append(stale)
    quarantined = Outbox.quarantined().count()
    if quarantined:
        rows = "1 row" if quarantined == 1 else f"{quarantined} rows"
        reasons.append(f"{rows} quarantined: see hymy sync --status (hymy sync --requeue once central is fixed)")
    if state["gap_error"]:
        reasons.append(f"{state['gap_error']}: see hymy sync --status and central's database")
    return Health("degraded" if reasons else "ok", reasons, sync)


def _enrollment(data_dir: Path) -> str | None:
    """``"enrolled"``, ``"unreadable"`` or None (not enrolled)."""
    try:
        data = json.loads((data_dir / ENROLLMENT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "unreadable"
    return "enrolled" if isinstance(data, dict) and {"url", "token"} <= set(data) else "unreadable"


def _stale(data_dir: Path, state: dict[str, Any], now: datetime, stale_after: float) -> str | None:
    """The reason when no sync succeeded for longer than *stale_after* seconds
    (counted from enrollment when none ever did), else None."""
    since = _time(state["last_success_at"])
    never = since is None
    if never:
        since = _time(sync_state.enrolled_at) or _file_time(data_dir / ENROLLMENT_FILE)
    if since is None or (now - since).total_seconds() <= stale_after:
        return None
    quiet = _duration((now - since).total_seconds())
    what = f"no successful sync in the {quiet} since enrollment" if never else f"no successful sync for {quiet}"
    if state["last_error"]:
        return f"{what} (last error: {state['last_error']})"
    return f"{what} and no failed pass either: is the uploader running (sync_in_kiosk, or hymy sync --loop)?"


def _time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def _file_time(path: Path) -> datetime | None:
    """When an enrollment made before ``enrolled_at`` was kept was written."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except OSError:
        return None


def _duration(seconds: float) -> str:
    """``3 h 12 min``, ``2 d 4 h``, ``45 min``: as a person reads it."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def disk_space(data_dir: Path) -> tuple[int, int] | None:
    """``(free, total)`` bytes of the data dir's file system, or None when it cannot be read."""
    try:
        usage = shutil.disk_usage(data_dir)
    except OSError:
        return None
    return usage.free, usage.total


def storage_reasons(failure: "StorageFailure | None", data_dir: Path) -> list[str]:
    """Reasons to be ``degraded`` about storing ratings: a failure the recorder noted
    (:class:`kiosk.storage.recorder.StorageFailure`), or too little space left for the next ones."""
    space = disk_space(data_dir)
    free = f"{space[0] / 1e6:.1f} MB free in data_dir {data_dir}" if space else f"data_dir {data_dir} unreadable"
    if failure is not None:
        refused = "1 rating" if failure.refused == 1 else f"{failure.refused} ratings"
        return [f"ratings cannot be stored since {failure.since.strftime('%Y-%m-%d %H:%M')} UTC ({refused} not "
                f"stored, customers still thanked): {failure.reason}; {free}: free space there and recording "
                "resumes by itself"]
    if space and space[0] < LOW_DISK_BYTES:
        return [f"only {free}: free space there before ratings can no longer be stored"]
    return []
