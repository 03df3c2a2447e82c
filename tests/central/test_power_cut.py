"""Power cut at central: ``hymy central serve`` (gunicorn's master and workers) SIGKILLed while a
kiosk's uploader streams batches into it, three times, on SQLite and on PostgreSQL.

After each cut central starts again on its port. Every row it acknowledged before the cut (a 200
whose ``stored`` named it: the uploader takes exactly those rows out of the kiosk's outbox) is still
there, the database passes the engine's integrity check, and the rollups still count every raw
row once: a batch cut off mid-transaction left nothing half-stored. The kiosk keeps recording
while central is down, resends what was not acknowledged, and in the end central holds every row
exactly once.
"""
import random
import threading
import uuid
from contextlib import closing

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.storage.db import connection
from kiosk.storage.state import sync_state
from sync.uploader.client import CentralError
from sync.uploader.loop import Uploader
from tests.helpers.live import wait_for
from tests.helpers.served import CentralDatabase, ServedCentral
from tests.helpers.stored import append_backlog, assert_database_intact, assert_held_once, central_ids, kiosk_outbox

pytestmark = pytest.mark.slow

CUTS = 3


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    data_dir = tmp_path / "central"
    if request.param == "sqlite":
        return CentralDatabase(f"sqlite:///{data_dir / 'central.sqlite3'}", data_dir)
    cluster = request.getfixturevalue("postgres_cluster")
    return CentralDatabase(cluster.create_database(f"cut_{uuid.uuid4().hex[:12]}"), data_dir)


class Stream:
    """The kiosk's uploader, pass after pass on a thread, retrying at once while central is down."""

    def __init__(self, uploader):
        self.uploader = uploader
        self.done = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        pause = threading.Event()  # never set: a short wait between passes, not a timing assumption
        while not self.done.is_set():
            try:
                self.uploader.run_pass()
            except CentralError:
                pause.wait(0.1)  # central is down or restarting: the uploader's backoff, without its clock
            except BaseException as error:  # noqa: B036 - anything else ends the stream and fails the test
                self.errors.append(error)
                return

    def stop(self):
        self.done.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive() and self.errors == []


def test_acknowledged_rows_survive_sigkill_of_central_and_the_kiosk_ends_exactly_once(database, make_app,
                                                                                       tmp_path):
    database.cli("add-site", "Kamppi", "--timezone", "Europe/Helsinki")
    database.cli("add-service", "checkout")
    token = database.add_kiosk("kamppi-1", "Kamppi")
    central = ServedCentral(database, tmp_path).start()

    app = make_app(sync_in_kiosk=False, clock_trusted="always", sync_batch_size=50, retention_days=3650)
    parts = app.extensions["hymy"]
    kiosk_env = {"HYMY_DATA_DIR": str(parts.config.data_dir), "HYMY_CONFIG": None, "HYMY_CLOCK_TRUSTED": "always",
                 "HYMY_PIN_FACTORY": "mock"}
    enrolled = CliRunner().invoke(main, ["enroll", central.url, token], env=kiosk_env, catch_exceptions=False)
    assert enrolled.exit_code == 0, enrolled.output
    rng = random.Random(31)
    recorded = append_backlog(parts, [rng.randint(1, 4) for _ in range(2400)], followup_every=4)
    outbox_path = parts.config.database_path

    def acknowledged():
        return set(recorded) - kiosk_outbox(outbox_path)[0]

    stream = Stream(Uploader(parts.config, parts.kiosk_id, parts.clock, parts.content_store, rng=rng))
    try:
        for cut in range(CUTS):
            # Somewhere in the middle of the backlog, a different place each time.
            target = int(len(recorded) * (cut + rng.uniform(0.3, 0.7)) / (CUTS + 1))
            wait_for(lambda target=target: len(acknowledged()) >= target, 120,
                     f"cut {cut + 1}: the uploader did not get {target} rows acknowledged", central.process,
                     central.log)
            central.power_cut()
            for _ in range(5):  # the customers keep answering while central is down
                parts.clock.advance(5)
                recorded.append(parts.recorder.record(rng.randint(1, 4), "touch").id)
            assert kiosk_outbox(outbox_path)[1] == set(), "the uploader set rows aside"
            before_restart = acknowledged()
            central.start()  # again, on the port the kiosk knows
            with closing(database.connect()) as db:
                lost = before_restart - set(central_ids(db))
            assert not lost, f"cut {cut + 1}: {len(lost)} acknowledged rows are gone, e.g. {sorted(lost)[:3]}"
            assert_database_intact(database)

        wait_for(lambda: not kiosk_outbox(outbox_path)[0], 120, "the backlog did not drain",
                 central.process, central.log)
        stream.stop()
    finally:
        stream.done.set()
        central.stop()
    assert kiosk_outbox(outbox_path) == (set(), set())
    with connection():
        assert sync_state.gap_error is None
    with closing(database.connect()) as db:
        assert_held_once(db, recorded)
    assert_database_intact(database)
    assert "Traceback" not in central.log_path.read_text(), central.log()
