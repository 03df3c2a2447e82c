"""The kiosk's HTTP contract: what a screen or an integration can rely on."""
import re
import sqlite3

import pytest

from kiosk.storage.db import connection
from kiosk.storage.migrations import LATEST
from kiosk.storage.models import Followup
from tests.helpers.kiosk_db import stored_ratings


def test_tap_is_stored_and_acknowledged(client):
    response = client.post("/api/ratings", json={"rating": 3, "question_version": 1})
    assert response.status_code == 201
    rating_id = stored_ratings()[0].id
    assert response.json == {"id": rating_id, "filtered": None, "followup_key": response.json["followup_key"]}
    assert re.fullmatch(r"[0-9a-f]{64}", response.json["followup_key"])
    assert stored_ratings()[0].source == "touch"


def test_repeat_is_acknowledged_with_its_flag(client, clock):
    client.post("/api/ratings", json={"rating": 3})
    clock.advance(1)
    assert client.post("/api/ratings", json={"rating": 1}).json["filtered"] == "repeat"


def test_stale_question_version_is_409(client):
    response = client.post("/api/ratings", json={"rating": 3, "question_version": 7})
    assert response.status_code == 409
    assert "version" in response.json["error"]
    assert stored_ratings() == []


BAD_RATINGS = [
    ({"rating": 0}, 400),
    ({"rating": 5}, 400),
    ({"rating": "3"}, 400),
    ({"rating": 3.5}, 400),
    ({"rating": True}, 400),
    ({"rating": None}, 400),
    ({}, 400),
    ({"rating": 3, "question_version": "1"}, 400),
    ({"rating": 3, "colour": "red"}, 400),
    ([3], 400),
    ("3", 400),
]


@pytest.mark.parametrize("body, status", BAD_RATINGS)
def test_malformed_rating_bodies_are_refused(client, body, status):
    response = client.post("/api/ratings", json=body)
    assert response.status_code == status
    assert isinstance(response.json["error"], str) and response.json["error"]
    assert stored_ratings() == []


@pytest.mark.parametrize(
    "data, content_type, status",
    [
        ("{not json", "application/json", 400),
        ("", "application/json", 400),
        ("rating=3", "application/x-www-form-urlencoded", 415),
        ('{"rating": 3}', "text/plain", 415),
        ('{"rating": 3, "pad": "' + "x" * 17000 + '"}', "application/json", 413),
        (b'{"rating": 3}\xff\xfe', "application/json", 400),
    ],
)
def test_malformed_requests_get_a_json_4xx(client, data, content_type, status):
    response = client.post("/api/ratings", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.is_json and response.json["error"]
    assert stored_ratings() == []


def test_followup_round_trip(client):
    created = client.post("/api/ratings", json={"rating": 2}).json
    rating_id, key = created["id"], created["followup_key"]
    response = client.post(f"/api/ratings/{rating_id}/followup",
                           json={"reason": "waiting", "comment": "Jono", "followup_key": key})
    assert response.status_code == 201
    assert response.json["rating_id"] == rating_id
    again = client.post(f"/api/ratings/{rating_id}/followup", json={"reason": "staff", "followup_key": key})
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body, status",
    [
        ({"reason": "nonsense"}, 400),
        ({"reason": "staff", "comment": "x" * 501}, 400),
        ({"reason": "staff", "comment": ["x"]}, 400),
        ({"comment": "no reason"}, 400),
        ({"reason": "staff", "extra": 1}, 400),
        ({"reason": 5}, 400),
    ],
)
def test_bad_followups_are_refused(client, body, status):
    created = client.post("/api/ratings", json={"rating": 2}).json
    response = client.post(f"/api/ratings/{created['id']}/followup",
                           json={**body, "followup_key": created["followup_key"]})
    assert response.status_code == status and response.json["error"]
    with connection():
        assert Followup.select().count() == 0


@pytest.mark.parametrize("rating_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "1"])
def test_followup_for_unknown_rating_is_404(client, rating_id):
    key = client.post("/api/ratings", json={"rating": 2}).json["followup_key"]  # another rating's
    for body in ({"reason": "staff"}, {"reason": "staff", "followup_key": key}):
        response = client.post(f"/api/ratings/{rating_id}/followup", json=body)
        assert response.status_code == 404 and response.json["error"]


def test_unknown_api_path_and_wrong_method_are_json(client):
    assert client.get("/api/nothing").json["status"] == 404
    response = client.get("/api/ratings")
    assert response.status_code == 405 and response.json["error"]


def test_healthz_reports_database_and_counts(client, clock):
    client.post("/api/ratings", json={"rating": 4})
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["database"] == {"state": "ok", "schema_version": LATEST}
    assert body["counts"] == {"total": 1, "followups": 0, "pending_sync": 1, "quarantined": 0}
    assert body["sync"] == {"enrolled": False, "last_success_at": None, "last_error": None,
                            "gap_error": None, "central_sequence": None}
    assert body["buttons"] == "MockFactory"


# --- storage failures: 503, nothing half-written -----------------------------


def test_database_locked_past_the_timeout_is_503(make_app):
    app = make_app(busy_timeout_ms=50)
    client = app.test_client()
    client.post("/api/ratings", json={"rating": 4})
    blocker = sqlite3.connect(app.config["HYMY"].database_path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = client.post("/api/ratings", json={"rating": 3})
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503
    assert response.json["error"] == "the rating could not be stored; try again"
    assert len(stored_ratings()) == 1
    assert client.post("/api/ratings", json={"rating": 3}).status_code == 201
    assert [r.seq for r in stored_ratings()] == [1, 2]


def test_full_disk_is_503_and_keeps_what_was_stored(make_app, clock):
    """Cap the database at its current size: SQLite then fails with the same
    SQLITE_FULL that a full SD card gives."""
    app = make_app()
    client = app.test_client()
    first = client.post("/api/ratings", json={"rating": 4}).json["id"]
    with connection() as db:
        pages = db.pragma("page_count")
        db.pragma("max_page_count", pages, permanent=True)  # every new connection too
    statuses = []
    while 503 not in statuses and len(statuses) < 500:
        clock.advance(5)
        statuses.append(client.post("/api/ratings", json={"rating": 3}).status_code)
    assert statuses[-1] == 503
    assert set(statuses[:-1]) <= {201}
    rows = stored_ratings()
    assert rows[0].id == first and len(rows) == len(statuses)  # every 201 is there
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert client.get("/healthz").json["counts"]["total"] == len(rows)
    path = app.config["HYMY"].database_path
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_deeply_nested_json_is_400_not_500(client):
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/ratings", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]


def test_only_plain_application_json_is_accepted(client):
    response = client.post("/api/ratings", data='{"rating": 3}', content_type="application/merge-patch+json")
    assert response.status_code == 415
    assert stored_ratings() == []


@pytest.mark.parametrize("value", ["\u00b2", "-1", "x", "99999999999999999999999"])
def test_odd_last_event_ids_are_ignored(make_app, value):
    app = make_app(stream_heartbeat=0.01, stream_max_age=0.05)
    response = app.test_client().get("/events", headers={"Last-Event-ID": value})
    assert response.status_code == 200
    response.close()


def test_the_state_says_whether_a_manager_paused_the_kiosk(client, kiosk):
    # The state's other fields (open, display) are tested with hymy display (tests/test_display.py).
    assert client.get("/api/state").get_json()["paused"] is False
    kiosk.pause.pause()
    assert client.get("/api/state").get_json()["paused"] is True
    kiosk.pause.resume()
    assert client.get("/api/state").get_json()["paused"] is False
