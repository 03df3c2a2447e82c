"""The kiosk's binding to central: URL and token, kept in the data dir (0600).

``hymy enroll URL TOKEN`` checks the token against central, which binds this
kiosk's own UUID (made on its first start) to its kiosk record. Ratings
recorded before enrolment ship like any other.
"""
import json
from dataclasses import dataclass

from .common.files import replace_file
from .errors import HymyError

ENROLLMENT_FILE = "enrollment.json"


class EnrollmentError(HymyError):
    """Enrolment was refused or could not reach central."""


@dataclass(frozen=True)
class Enrollment:
    url: str
    token: str
    kiosk: str = ""  # central's name for this kiosk
    site: str = ""

    def endpoint(self, path):
        return self.url.rstrip("/") + path


def load_enrollment(data_dir):
    """The saved enrolment, or None when this kiosk is not enrolled."""
    try:
        data = json.loads((data_dir / ENROLLMENT_FILE).read_text(encoding="utf-8"))
        return Enrollment(data["url"], data["token"], data.get("kiosk", ""), data.get("site", ""))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EnrollmentError(f"{data_dir / ENROLLMENT_FILE}: unreadable ({error}); enrol again") from None


def save_enrollment(data_dir, enrollment):
    """Write the enrolment readable by the kiosk's user only, atomically."""
    replace_file(data_dir / ENROLLMENT_FILE, json.dumps(enrollment.__dict__), mode=0o600)
