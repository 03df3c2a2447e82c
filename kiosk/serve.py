"""Run a kiosk app under the production WSGI server (waitress)."""
import logging

import waitress

log = logging.getLogger(__name__)


def configure_logging(level):
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def serve(app, host, port):
    """Serve *app* until interrupted, then release its pins."""
    config = app.config["HYMY"]
    try:
        # Each open Server-Sent Events stream holds one thread for at most
        # stream_max_age seconds; `threads` (at least 8) leaves room for taps.
        waitress.serve(app, host=host, port=port, threads=config.threads, ident="hymy",
                       channel_timeout=120, clear_untrusted_proxy_headers=True)
    finally:
        app.extensions["hymy"].close()
