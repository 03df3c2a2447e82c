"""The kiosk's binding to central, as kept on its disk: URL and token in
``data_dir/enrollment.json`` (0600).

Kiosk storage owns the record: the uploader writes it (sync/uploader/enrollment.py,
after central accepted the token) and reads it to ship; the faces and the
health verdict read it here. Ratings recorded before enrollment ship like any other.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from sync.common.files import replace_file
from sync.wire.errors import HymyError

ENROLLMENT_FILE = "enrollment.json"


class EnrollmentError(HymyError):
    """Enrollment was refused, could not reach central, or its record is unreadable."""


@dataclass(frozen=True)
class Enrollment:
    url: str
    token: str
    kiosk: str = ""  # central's name for this kiosk
    site: str = ""

    def endpoint(self, path: str) -> str:
        return self.url.rstrip("/") + path


def load_enrollment(data_dir: Path) -> Enrollment | None:
    """The saved enrollment, or None when this kiosk is not enrolled."""
    try:
        data = json.loads((data_dir / ENROLLMENT_FILE).read_text(encoding="utf-8"))
        return Enrollment(data["url"], data["token"], data.get("kiosk", ""), data.get("site", ""))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EnrollmentError(f"{data_dir / ENROLLMENT_FILE}: unreadable ({error}); enroll again") from None


def save_enrollment(data_dir: Path, enrollment: Enrollment) -> None:
    """Write the enrollment readable by the kiosk's user only, atomically."""
    replace_file(data_dir / ENROLLMENT_FILE, json.dumps(enrollment.__dict__), mode=0o600)
