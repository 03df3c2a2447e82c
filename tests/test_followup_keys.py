"""A follow-up needs its key: the 201 answer to a tap (or a press's stream event) carries it, and
only whoever holds it may answer for that rating's customer. Checked in a fixed order (the body,
then the rating, then the key, then whether it is answered), so a stranger learns nothing about a
rating from the answers; the secret behind the keys is the kiosk's own, private and never sent."""
import json
import logging
import os
import sqlite3
import stat

import pytest

from kiosk.storage.db import connection
from kiosk.storage.followup_keys import SECRET_FILE, FollowupKeys
from kiosk.storage.models import Followup
from kiosk.storage.outbox import build_batch

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def followup_count():
    with connection():
        return Followup.select().count()


def tap(client, rating=2):
    response = client.post("/api/ratings", json={"rating": rating})
    assert response.status_code == 201
    return response.json


def post_followup(client, rating_id, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(f"/api/ratings/{rating_id}/followup", data=data, content_type=content_type)


def test_each_check_in_its_order(client):
    answered, other = tap(client), tap(client)
    key = answered["followup_key"]
    assert post_followup(client, answered["id"], {"reason": "staff", "followup_key": key}).status_code == 201
    assert answered["followup_key"] != other["followup_key"]

    cases = [
        # The body first, as before keys existed: whatever the key, the rating or its answer.
        ("not JSON", answered["id"], '{"reason": "staff"}', "text/plain", 415),
        ("too large", answered["id"], json.dumps({"reason": "staff", "comment": "x" * 17000}), None, 413),
        ("bad JSON", UNKNOWN, "{nope", None, 400),
        ("no reason", answered["id"], {"followup_key": key}, None, 400),
        ("unknown reason", UNKNOWN, {"reason": "nonsense"}, None, 400),
        ("unknown field", answered["id"], {"reason": "staff", "followup_key": key, "colour": 1}, None, 400),
        ("long comment", answered["id"], {"reason": "staff", "comment": "x" * 501}, None, 400),
        # Then the rating: no key needed to learn it does not exist.
        ("unknown rating", UNKNOWN, {"reason": "staff"}, None, 404),
        ("not an id", "not-a-uuid", {"reason": "staff", "followup_key": key}, None, 404),
        # Then the key, before whether it was answered: a stranger cannot tell.
        ("no key", answered["id"], {"reason": "staff"}, None, 403),
        ("another rating's key", answered["id"], {"reason": "staff", "followup_key": other["followup_key"]}, None,
         403),
        ("key of the wrong case", answered["id"], {"reason": "staff", "followup_key": key.upper()}, None, 403),
        ("a number", answered["id"], {"reason": "staff", "followup_key": 7}, None, 403),
        ("null", answered["id"], {"reason": "staff", "followup_key": None}, None, 403),
        ("a list", answered["id"], {"reason": "staff", "followup_key": [key]}, None, 403),
        ("not ASCII", answered["id"], {"reason": "staff", "followup_key": "ä" * 64}, None, 403),
        ("a lone surrogate", answered["id"], '{"reason": "staff", "followup_key": "\\ud800"}', None, 403),
        # Last: the right key on an answered rating.
        ("already answered", answered["id"], {"reason": "staff", "followup_key": key}, None, 409),
    ]
    for name, rating_id, body, content_type, status in cases:
        response = post_followup(client, rating_id, body, content_type or "application/json")
        assert response.status_code == status, (name, response.json)
        assert response.is_json and response.json["error"], name
    refused = post_followup(client, answered["id"], {"reason": "staff", "followup_key": other["followup_key"]})
    assert "followup_key" in refused.json["error"]
    assert followup_count() == 1

    # The other rating is still the one its key answers.
    assert post_followup(client, other["id"], {"reason": "waiting", "followup_key": other["followup_key"]}
                         ).status_code == 201
    assert followup_count() == 2


def test_a_press_carries_its_key_on_the_stream_and_a_tap_only_in_its_answer(make_app, clock):
    app = make_app(press_interval=0)
    kiosk = app.extensions["hymy"]
    client = app.test_client()
    stream = kiosk.events.subscribe()
    try:
        kiosk.buttons.press(4)
        pressed = stream.get(timeout=5)
        assert pressed["source"] == "button"
        assert pressed["followup_key"] == kiosk.followup_keys.key_for(pressed["id"])

        tapped = tap(client, 1)
        event = stream.get(timeout=5)
        assert event["id"] == tapped["id"] and event["source"] == "touch"
        assert "followup_key" not in event
    finally:
        stream.close()
    # The screen answers for the button's customer with the key from the event.
    assert post_followup(client, pressed["id"], {"reason": "outcome", "followup_key": pressed["followup_key"]}
                         ).status_code == 201
    assert post_followup(client, tapped["id"], {"reason": "staff", "followup_key": tapped["followup_key"]}
                         ).status_code == 201


def test_the_stream_sends_a_press_key_to_the_screen_over_sse(make_app):
    app = make_app(stream_heartbeat=0.01, stream_max_age=0.2)
    kiosk = app.extensions["hymy"]
    kiosk.buttons.press(3)
    response = app.test_client().get("/events", headers={"Last-Event-ID": "0"})  # replays the press
    text = response.get_data(as_text=True)  # the stream ends by itself
    response.close()
    data = json.loads(next(line for line in text.splitlines() if line.startswith("data: "))[len("data: "):])
    assert data["source"] == "button" and data["followup_key"] == kiosk.followup_keys.key_for(data["id"])


def test_the_secret_is_private_made_once_and_kept_across_restarts(make_app, tmp_path):
    previous = os.umask(0o022)
    try:
        first = make_app()
    finally:
        os.umask(previous)
    path = first.config["HYMY"].data_dir / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text()
    created = tap(first.test_client())
    first.extensions["hymy"].close()

    again = make_app()  # a restart on the same data dir: the same secret, the same keys
    assert path.read_text() == secret
    assert again.extensions["hymy"].followup_keys.key_for(created["id"]) == created["followup_key"]
    assert post_followup(again.test_client(), created["id"],
                         {"reason": "staff", "followup_key": created["followup_key"]}).status_code == 201

    other = FollowupKeys.load(tmp_path / "another-kiosk")  # another kiosk has a secret of its own
    assert other.key_for(created["id"]) != created["followup_key"]


def test_a_secret_file_left_readable_is_narrowed_and_a_broken_one_replaced(make_app, caplog):
    app = make_app()
    path = app.config["HYMY"].data_dir / SECRET_FILE
    app.extensions["hymy"].close()
    os.chmod(path, 0o644)
    make_app().extensions["hymy"].close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    path.write_text("not a secret\n")
    with caplog.at_level(logging.WARNING):
        keys = make_app().extensions["hymy"].followup_keys
    assert any("follow-up secret" in record.getMessage() for record in caplog.records)
    assert len(path.read_text().strip()) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.matches("x", FollowupKeys.load(path.parent).key_for("x"))


def test_the_key_is_never_stored_nor_sent_to_central(app, client):
    kiosk = app.extensions["hymy"]
    created = tap(client)
    key = created["followup_key"]
    assert post_followup(client, created["id"], {"reason": "staff", "comment": "Hyvä", "followup_key": key}
                         ).status_code == 201
    with connection():
        document = build_batch(kiosk.kiosk_id, kiosk.clock, 100, kiosk.content_store.current()).document
    wire = json.dumps(document, ensure_ascii=False)
    assert created["id"] in wire and "Hyvä" in wire
    assert key not in wire and "followup_key" not in wire

    database = sqlite3.connect(app.config["HYMY"].database_path)
    try:
        dump = "\n".join(database.iterdump())
    finally:
        database.close()
    assert created["id"] in dump and key not in dump and "followup_key" not in dump


@pytest.mark.parametrize("key", [None, 7, "", "0" * 64, "a" * 63, "\ud800"])
def test_keys_that_are_not_the_rating_s_never_match(key):
    keys = FollowupKeys(bytes(range(32)))
    assert not keys.matches("rating", key)
    assert keys.matches("rating", keys.key_for("rating"))
