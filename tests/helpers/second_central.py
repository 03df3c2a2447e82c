"""Another central app on the database of the test's central: another worker or another host.

Both apps run in this process, so they share the models' binding: when the second one is done,
the first gets its database back (and the second one's connections are closed).
"""
from contextlib import contextmanager

from sync.central.app import create_central_app
from sync.central.store.models import central_db
from tests.helpers.live import LiveServer


def _close(database):
    if database is None:
        return
    if not database.is_closed():
        database.close()
    if hasattr(database, "close_all"):
        database.close_all()


@contextmanager
def second_central(central, **config):
    """A second central app on *central*'s database and clock, served on loopback; *config* overrides keys."""
    app = create_central_app({"database_url": central.database_url, "data_dir": str(central.data_dir),
                              "secure_cookies": False, **config}, clock=central.clock)
    # Headers pass as gunicorn passes them (waitress would drop X-Forwarded-* of an untrusted peer).
    server = LiveServer(app, clear_untrusted_proxy_headers=False)
    try:
        yield server
    finally:
        server.close()
        if central_db.obj is not central.database:
            _close(central_db.obj)
            central_db.initialize(central.database)
