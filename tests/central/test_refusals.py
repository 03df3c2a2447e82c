"""What central refuses, and how: a JSON error, the right 4xx, nothing stored, never a 500.

(``central.request`` fails the test on any 5xx and checks every error is JSON.)
"""

import functools
import gzip
import json

import pytest

from tests.helpers.batches import batch, enrolled_device_id, rating_row

JSON = {"Content-Type": "application/json"}


@functools.cache
def gzip_bomb():
    """A valid-looking JSON document of 50 MB (mostly spaces), gzipped to about 50 KB."""
    return gzip.compress(b'{"batch_id": ' + b" " * (50 * 1024 * 1024) + b'"x"}', compresslevel=9)


def assert_nothing_stored(central):
    assert central.count("Rating") == 0 and central.count("Followup") == 0


@pytest.fixture
def kiosk(central):
    token, device = central.enrolled_kiosk()
    return token, device


def test_no_token_is_401(central, kiosk):
    _, device = kiosk
    response = central.post_batch(None, batch(device, [rating_row(1)]))
    assert response.status_code == 401 and "Bearer" in response.json()["error"]
    assert_nothing_stored(central)


@pytest.mark.parametrize("token", ["hymy_k_not-a-real-token", "hymy_u_a-user-token-prefix", "nonsense"])
def test_a_wrong_token_is_401(central, kiosk, token):
    _, device = kiosk
    assert central.post_batch(token, batch(device, [rating_row(1)])).status_code == 401
    assert_nothing_stored(central)


def test_a_revoked_kiosk_is_403(central, kiosk):
    token, device = kiosk
    central.ok("revoke-kiosk", "kamppi-1")
    response = central.post_batch(token, batch(device, [rating_row(1)]))
    assert response.status_code == 403 and "revoked" in response.json()["error"]
    assert_nothing_stored(central)


def test_a_token_not_yet_enrolled_is_403(central, kiosk):
    fresh = central.add_kiosk("kamppi-2")
    response = central.post_batch(fresh, batch(enrolled_device_id("kamppi-2"), [rating_row(1)]))
    assert response.status_code == 403 and "enroll" in response.json()["error"]
    assert_nothing_stored(central)


def test_a_batch_naming_another_kiosk_is_403(central, kiosk):
    token, _ = kiosk
    other_token, other_device = central.enrolled_kiosk("kamppi-2")
    response = central.post_batch(token, batch(other_device, [rating_row(1)]))
    assert response.status_code == 403 and "another kiosk" in response.json()["error"]
    assert_nothing_stored(central)


def test_malformed_json_is_400(central, kiosk):
    token, _ = kiosk
    response = central.post_raw(token, b'{"batch_id": "unterminated', JSON)
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    assert_nothing_stored(central)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415(central, kiosk, content_type):
    token, device = kiosk
    headers = {"Content-Type": content_type} if content_type else {}
    response = central.post_raw(token, json.dumps(batch(device, [rating_row(1)])).encode(), headers)
    assert response.status_code == 415
    assert_nothing_stored(central)


def test_an_unknown_content_encoding_is_415(central, kiosk):
    token, device = kiosk
    response = central.post_raw(
        token, json.dumps(batch(device, [rating_row(1)])).encode(), {**JSON, "Content-Encoding": "br"}
    )
    assert response.status_code == 415
    assert_nothing_stored(central)


@pytest.mark.parametrize(
    "field, value",
    [
        ("rating", 7),
        ("rating", 0),
        ("rating", "4"),
        ("rating", 4.5),
        ("rating", True),
        ("seq", 0),
        ("seq", "1"),
        ("source", "keyboard"),
        ("clock_trusted", "yes"),
        ("monotonic", "soon"),
        ("id", "not-a-uuid"),
        ("question_version", None),
        ("filtered", "lunch"),
        ("boot_id", ""),
        ("recorded_at", "yesterday"),
        ("recorded_at", "2026-01-05T10:00:00"),
        ("recorded_at", 1767607200),
    ],
)
def test_wrong_types_a_rating_of_7_and_bad_times_are_rejected_rows_and_nothing_is_stored(central, kiosk, field, value):
    token, device = kiosk
    row = dict(rating_row(1), **{field: value})
    response = central.post_batch(token, batch(device, [row]))
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] == 0 and answer["stored"] == []
    assert len(answer["rejected"]) == 1 and answer["rejected"][0]["error"].startswith(f"{field}:")
    assert_nothing_stored(central)


@pytest.mark.parametrize("row", [None, [], "a rating", {"unknown_field": 1}], ids=["null", "list", "string", "unknown"])
def test_a_row_that_is_not_a_rating_object_is_rejected(central, kiosk, row):
    token, device = kiosk
    answer = central.post_batch(token, batch(device, [row])).json()
    assert answer["accepted"] == 0 and len(answer["rejected"]) == 1
    assert_nothing_stored(central)


@pytest.mark.parametrize(
    "change",
    [
        {"batch_id": 12},
        {"kiosk_id": None},
        {"monotonic": "1000"},
        {"clock_trusted": 1},
        {"sent_at": "now"},
        {"ratings": {"not": "a list"}},
        {"followups": "none"},
        {"colour": "blue"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_envelope_with_wrong_types_is_422(central, kiosk, change):
    token, device = kiosk
    document = dict(batch(device, [rating_row(1)]), **change)
    response = central.post_batch(token, document)
    assert response.status_code == 422
    assert_nothing_stored(central)


@pytest.mark.parametrize("document", [[], "batch", 42, None], ids=["list", "string", "number", "null"])
def test_a_json_document_that_is_not_an_object_is_422(central, kiosk, document):
    token, _ = kiosk
    assert central.post_batch(token, document).status_code == 422


def test_more_than_1000_rows_is_422(central, kiosk):
    token, device = kiosk
    response = central.post_batch(token, batch(device, [rating_row(n) for n in range(1, 1002)]))
    assert response.status_code == 422 and "1000" in response.json()["error"]
    assert_nothing_stored(central)


def test_a_body_over_2_mb_is_413(central, kiosk):
    token, device = kiosk
    document = batch(device, [rating_row(1)])
    body = json.dumps(document).encode()
    body = body[:-1] + b" " * (2 * 1024 * 1024) + b"}"
    response = central.post_raw(token, body, JSON)
    assert response.status_code == 413
    assert_nothing_stored(central)


def test_a_gzip_bomb_is_413(central, kiosk):
    token, _ = kiosk
    bomb = gzip_bomb()
    assert len(bomb) < 200 * 1024
    response = central.post_raw(token, bomb, {**JSON, "Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert_nothing_stored(central)


@pytest.mark.parametrize(
    "body", [b"\x1f\x8b\x08\x00garbage-not-deflate", b"plain text, not gzip"], ids=["corrupt", "not-gzip"]
)
def test_a_corrupt_gzip_body_is_400(central, kiosk, body):
    token, _ = kiosk
    response = central.post_raw(token, body, {**JSON, "Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert_nothing_stored(central)


def test_a_truncated_gzip_body_is_400(central, kiosk):
    token, device = kiosk
    body = gzip.compress(json.dumps(batch(device, [rating_row(1)])).encode())
    response = central.post_raw(token, body[: len(body) // 2], {**JSON, "Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert_nothing_stored(central)


def test_a_kiosk_token_on_the_export_and_a_user_token_on_ingest_are_401(central, kiosk):
    token, device = kiosk
    _, user_token = central.add_user("olli", "admin")
    assert central.export(token, from_="2026-01-01", to="2026-01-31").status_code == 401
    assert central.post_batch(user_token, batch(device, [rating_row(1)])).status_code == 401
    assert_nothing_stored(central)
