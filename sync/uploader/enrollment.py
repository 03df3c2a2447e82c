"""Enrollment: bind this kiosk to central with the token ``hymy central add-kiosk`` printed.

Central checks the token and binds the kiosk's own UUID (made on its first
start) to its kiosk record; the answer names the kiosk and its site, and the
record is kept on the kiosk's disk (kiosk/storage/enrollment.py). Ratings recorded
before enrollment ship like any other.
"""
from pathlib import Path
from typing import Any

from kiosk.storage.enrollment import Enrollment, EnrollmentError, save_enrollment
from kiosk.storage.state import sync_state
from sync.common.clock import Clock
from sync.uploader.client import CentralClient, CentralError
from sync.wire.protocol import format_time


def enroll(
    data_dir: Path,
    kiosk_id: str,
    url: str,
    token: str,
    clock: Clock,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    ca_bundle: str | None = None,
) -> dict[str, Any]:
    """Ask central to bind *kiosk_id* to *token*'s kiosk; keep the record; return central's answer.

    :raises EnrollmentError: central refused the token, or could not be reached.
    """
    enrollment = Enrollment(url.rstrip("/"), token.strip())
    client = CentralClient(enrollment, connect_timeout, read_timeout, ca_bundle, retries=0)
    try:
        answer = client.enroll(kiosk_id)
    except CentralError as error:
        if error.status in (401, 403):
            raise EnrollmentError(f"central refused the token: {error}") from None
        if error.status is None:  # nothing answered: name where central was looked for
            raise EnrollmentError(f"{url}: {error}") from None
        raise EnrollmentError(str(error)) from None
    finally:
        client.close()
    save_enrollment(data_dir, Enrollment(enrollment.url, enrollment.token, answer["kiosk"], answer["site"]))
    # Health counts a stale sync from here until the first success; a new token is not refused (yet).
    sync_state.update(enrolled_at=format_time(clock.now()), token_refused=None)
    return answer
