"""What the kiosk under test has stored, read straight from its database."""



from kiosk.storage.db import connection
from kiosk.storage.models import Followup, Rating


def stored_ratings():
    """Every stored rating, in sequence order."""
    with connection():
        return list(Rating.select().order_by(Rating.seq))


def stored_followups():
    """Every stored follow-up, oldest first."""
    with connection():
        return list(Followup.select().order_by(Followup.recorded_at, Followup.id))
