"""Central's notion of now: the app's injectable clock inside a request,
the system clock elsewhere (commands)."""
from datetime import datetime, timezone

from flask import current_app, has_app_context


def utc_now() -> datetime:
    if has_app_context() and "hymy_central" in current_app.extensions:
        now: datetime = current_app.extensions["hymy_central"].clock.now()
        return now
    return datetime.now(timezone.utc)
