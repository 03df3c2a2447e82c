"""The network document on the kiosk: fetched at the end of a pass at most hourly from a real central over
loopback, kept in ``data_dir/network.json``; an older central (404), a malformed document or a damaged
file leave the kiosk's content (question, hours, PIN) untouched and show no network, or the last one."""

import json

from werkzeug.wrappers import Response

from kiosk.storage.network import NETWORK_FILE, NetworkStore


def network_asks(world):
    return [status for _, _, status, _ in world.access_log.of("GET", "/api/v1/network")]


class Answering:
    """WSGI middleware that answers ``GET /api/v1/network`` itself, as an older or broken central would."""

    def __init__(self, app, status, body):
        self.app, self.status, self.body = app, status, body

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/api/v1/network":
            return Response(json.dumps(self.body), status=self.status, mimetype="application/json")(
                environ, start_response)
        return self.app(environ, start_response)


def test_a_pass_keeps_the_document_and_asks_again_only_after_an_hour(world):
    world.record(3)
    world.uploader.run_pass()
    kept = NetworkStore(world.config.data_dir).current()
    assert kept is not None and set(kept.document["periods"]) == {"yesterday", "7d", "30d"}
    assert kept.period("7d")["site"]["counted"] >= 3 and kept.checked_at == world.clock.now()
    assert network_asks(world) == [200]
    world.advance(30 * 60)
    world.uploader.run_pass()
    assert network_asks(world) == [200]  # within the hour: not asked
    world.advance(31 * 60)
    world.uploader.run_pass()
    assert network_asks(world) == [200, 304]  # the same figures: central says so, the kiosk notes when
    assert NetworkStore(world.config.data_dir).current().checked_at == world.clock.now()
    assert world.access_log.of("GET", "/api/v1/network")[-1][3] == f'"{kept.etag}"'


def test_an_older_central_without_the_document_changes_nothing(world):
    world.access_log.app = Answering(world.access_log.app, 404, {"error": "not found", "status": 404})
    world.record(2)
    result = world.uploader.run_pass()
    assert result["sent"] == 2 and network_asks(world) == [404]
    content = world.kiosk.content_store.current()  # central's, from the same pass
    world.uploader.run_pass()
    assert network_asks(world) == [404]  # asked again in an hour, not at every pass
    world.advance(2 * 3600)
    world.uploader.run_pass()
    assert network_asks(world) == [404, 404]
    assert NetworkStore(world.config.data_dir).current() is None
    assert world.kiosk.content_store.current() == content


def test_a_malformed_document_keeps_the_last_good_one_and_the_content(world):
    world.uploader.run_pass()
    good = NetworkStore(world.config.data_dir).current()
    content_before = world.kiosk.content_store.current()  # central's, from the same pass
    app = world.access_log.app
    world.access_log.app = Answering(app, 200, {"generated_at": "2026-01-05T12:00:00Z",
                                                "periods": {"yesterday": {"brand": "lots"}}})
    world.advance(2 * 3600)
    world.uploader.run_pass()
    assert network_asks(world)[-1] == 200
    kept = NetworkStore(world.config.data_dir).current()
    assert kept is not None and kept.document == good.document
    assert world.kiosk.content_store.current() == content_before


def test_a_damaged_file_shows_no_network_and_the_next_pass_replaces_it(world):
    world.uploader.run_pass()
    path = world.config.data_dir / NETWORK_FILE
    path.write_text("{not json", encoding="utf-8")
    assert NetworkStore(world.config.data_dir).current() is None
    world.advance(2 * 3600)
    world.uploader.run_pass()
    assert NetworkStore(world.config.data_dir).current() is not None
    assert path.stat().st_mode & 0o077 == 0  # the kiosk's own writes are its own
