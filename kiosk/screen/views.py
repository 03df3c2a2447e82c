"""The customer's touchscreen: the question, four faces and the follow-up.

The page is one HTML document with its own script (no CDN, works offline).
A press on a physical button reaches the open page over Server-Sent Events
from ``/events``: the stream sends a heartbeat at least every
``stream_heartbeat`` seconds and ends after ``stream_max_age`` seconds; the
browser's EventSource reopens it. Bounded streams keep the server's threads
free: each open stream holds one of them. Each event carries the rating's
``seq`` as its SSE id, so a reopened stream (EventSource sends it back as
``Last-Event-ID``) first replays the presses made while it was closed.
At most ``max_streams`` streams are open at once (never more than the threads
less four), at most ``max_streams_per_client`` from any address but the
kiosk's own screen (the first of ``screen_clients``), and the last free one is
kept for that screen; one more gets 503 with ``Retry-After``, and the page
tries again. A press's event carries its follow-up key (kiosk/storage/followup_keys.py):
the screens are who answers for a button's customer.
"""
import json
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from flask_babel import get_locale

from kiosk.screen.events import Event, Subscription, TooManyStreams
from kiosk.storage.content import FACES
from kiosk.storage.followup_keys import FollowupKeys
from kiosk.storage.recorder import COMMENT_MAX, Recorded
from kiosk.web.client_lists import client_address
from kiosk.web.i18n import LANGUAGE_NAMES
from kiosk.web.parts import current_parts

bp = Blueprint("screen", __name__)

SECURITY_HEADERS = {
    # Everything the page needs is served from here; nothing inline, nothing remote.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@bp.get("/")
def question() -> str:
    """The question and four faces, in the selected language."""
    kiosk = current_parts()
    config, content = kiosk.config, kiosk.content_store.current()
    language = str(get_locale())
    return render_template(
        "kiosk/screen.html",
        language=language,
        default_language=config.language,
        languages=[(code, LANGUAGE_NAMES[code]) for code in config.languages],
        question=content.question,
        faces=FACES,
        reasons=content.reasons,
        followup_timeout=config.followup_timeout,
        idle_timeout=config.idle_timeout,
        comment_max=COMMENT_MAX,
        paused=kiosk.pause.paused,
    )


def screen_event(recorded: Recorded, keys: FollowupKeys) -> Event:
    """The ``rating`` event of *recorded* for the open screens; a button's carries its follow-up key.

    A tap's key goes only to the screen that was tapped, in the answer to its POST.
    """
    event = recorded.as_event()
    if recorded.source == "button":
        event["followup_key"] = keys.key_for(recorded.id)
    return event


def sse(event: str, data: Mapping[str, Any]) -> str:
    """One SSE message; a rating's ``seq`` becomes the id the browser echoes on reconnect."""
    ident = f"id: {data['seq']}\n" if "seq" in data else ""
    return f"{ident}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def last_event_seq() -> int | None:
    """The ``Last-Event-ID`` a reconnecting EventSource sends, or None."""
    value = request.headers.get("Last-Event-ID", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class RoutineStreamEnds(logging.Filter):
    """waitress logs at info each response whose client went away before it ended; for ``/events``
    that is a screen changing page or a kiosk browser restarting, many times a day: debug, not info."""

    MESSAGE = "Client disconnected while serving /events"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and record.getMessage() == self.MESSAGE:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


#: One filter on waitress's logger for every app of the process (adding it again is a no-op).
ROUTINE_STREAM_ENDS = RoutineStreamEnds()

#: Seconds a screen refused for want of a stream slot is asked to wait.
STREAM_RETRY_AFTER = 5


def event_stream(subscription: Subscription, heartbeat: float, max_age: float) -> Iterator[str]:
    """Yield *subscription*'s ratings as SSE until *max_age* seconds have passed
    or the kiosk stops (the subscription has ended).

    Real time, not the kiosk's injectable clock: this bounds how long a
    server thread is held, which is a property of the server, not of kiosk time.
    """
    deadline = time.monotonic() + max_age
    try:
        yield "retry: 1000\n: open\n\n"
        while not subscription.ended and (remaining := deadline - time.monotonic()) > 0:
            event = subscription.get(timeout=min(heartbeat, remaining))
            if subscription.ended:
                break
            yield ": heartbeat\n\n" if event is None else sse("rating", event)
    finally:
        subscription.close()


@bp.get("/events")
def events() -> Response:
    """Server-Sent Events: one ``rating`` event per stored press or tap."""
    kiosk = current_parts()
    # The slot is taken here, before the answer's status is decided, and given
    # back when the server closes the response, even if the body never started.
    try:
        subscription = kiosk.events.subscribe(last_event_seq(), client=str(client_address(request.remote_addr)))
    except TooManyStreams as refused:
        response = jsonify(error=f"too many screens are open ({refused}); try again in a few seconds", status=503)
        response.status_code = 503
        response.headers["Retry-After"] = str(STREAM_RETRY_AFTER)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = Response(
        event_stream(subscription, kiosk.config.stream_heartbeat, kiosk.config.stream_max_age),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    response.call_on_close(subscription.close)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    logging.getLogger("waitress").addFilter(ROUTINE_STREAM_ENDS)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
