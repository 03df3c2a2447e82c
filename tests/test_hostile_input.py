"""Hostile input at the kiosk's API: text that could stop sync at central (NUL,
lone surrogates), text that displays as something else (bidirectional
overrides and isolates), control characters, odd keys, huge and deep bodies.
Each gets a 4xx naming what is wrong, never a 500, and nothing is stored."""
import json

import pytest
import requests
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.storage.db import connection
from kiosk.storage.models import Followup, Outbox, Rating

REFUSED_COMMENTS = {
    "nul": "long\u0000queue",
    "rtl override": "refund \u202eredun",
    "lre": "a\u202ab", "rle": "a\u202bb", "pdf": "a\u202cb", "lro": "a\u202db",
    "lri": "a\u2066b", "rli": "a\u2067b", "fsi": "a\u2068b", "pdi": "a\u2069b",
    "escape": "red \u001b[31mtext",
    "bell": "ding\u0007",
    "vertical tab": "a\u000bb",
    "delete": "a\u007fb",
    "c1 nel": "a\u0085b",
    "c1 csi": "a\u009b31mb",
    "lone low surrogate": "a\udc00b",
}


def followups():
    with connection():
        return list(Followup.select())


@pytest.fixture
def rating(client):
    """A stored rating's 201 answer: its id and its follow-up key."""
    return client.post("/api/ratings", json={"rating": 2}).json


@pytest.fixture
def rating_id(rating):
    return rating["id"]


def post_followup(client, rating, body):
    """POST *body* as *rating*'s follow-up; a dict body carries the rating's key, raw bytes go as they are."""
    data = body if isinstance(body, bytes) else json.dumps({**body, "followup_key": rating["followup_key"]})
    return client.post(f"/api/ratings/{rating['id']}/followup", data=data, content_type="application/json")


@pytest.mark.parametrize("comment", REFUSED_COMMENTS.values(), ids=REFUSED_COMMENTS.keys())
def test_a_comment_that_must_not_cross_the_border_is_refused(client, rating, comment):
    response = post_followup(client, rating, {"reason": "staff", "comment": comment})
    assert response.status_code == 400
    assert response.json["error"].startswith("comment ")
    assert followups() == []
    # The rating can still get its follow-up once the comment is fixed.
    assert post_followup(client, rating, {"reason": "staff", "comment": "fine"}).status_code == 201


def test_a_lone_surrogate_sent_as_raw_json_text_is_refused(client, rating):
    body = '{"reason":"staff","comment":"a\\ud800b"}'.encode()  # an escape JSON allows, not valid Unicode
    response = post_followup(client, rating, body)
    assert response.status_code == 400
    assert "comment" in response.json["error"] and "surrogate" in response.json["error"]
    assert followups() == []


def test_a_surrogate_smuggled_as_bytes_is_refused(client, rating):
    body = b'{"reason":"staff","comment":"a\xed\xa0\x80b"}'  # a surrogate encoded as if it were UTF-8
    response = post_followup(client, rating, body)
    assert response.status_code == 400 and response.json["error"]
    assert followups() == []


@pytest.mark.parametrize(("comment", "stored"), [
    ("long\nqueue", "long queue"),
    ("tab\tseparated", "tab separated"),
    ("\u05e9\u05dc\u05d5\u05dd \u200fok\u200e", "\u05e9\u05dc\u05d5\u05dd \u200fok\u200e"),  # the plain marks
    ("Jono oli pitkä, kiitos 😊", "Jono oli pitkä, kiitos 😊"),
])
def test_newline_tab_and_direction_marks_are_accepted(client, rating, comment, stored):
    response = post_followup(client, rating, {"reason": "waiting", "comment": comment})
    assert response.status_code == 201
    assert [f.comment for f in followups()] == [stored]


@pytest.mark.parametrize("reason", ["sta\u0000ff", "staff\u202e", "\ud800", "staff\n", ""])
def test_a_reason_with_forbidden_text_is_refused(client, rating, reason):
    response = post_followup(client, rating, {"reason": reason})
    assert response.status_code == 400
    assert "reason" in response.json["error"]
    assert followups() == []


@pytest.mark.parametrize("body", [
    b'{"reason":"staff","\\u0000":1}',
    b'{"reason":"staff","\\ud800\\u202e":1}',
    '{"reason":"staff","kommentti\u202e":"x"}'.encode(),
    b'{"reason":"staff","\xff\xfe":1}',
    b'{"reason":"staff"}\x00',
])
def test_unknown_keys_and_odd_bytes_get_400_not_500(client, rating, body):
    response = post_followup(client, rating, body)
    assert response.status_code == 400
    assert response.is_json and response.json["error"]
    assert followups() == []


@pytest.mark.parametrize("body", [
    b'{"rating":3,"\\u0000":1}',
    b'{"rating":"3\\u0000"}',
    b'{"rating":3,"question_version":"1\\ud800"}',
])
def test_odd_ratings_get_400_and_store_nothing(client, body):
    response = client.post("/api/ratings", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]
    with connection():
        assert Rating.select().count() == 0 and Outbox.select().count() == 0


@pytest.mark.parametrize(("body", "status"), [
    (b'{"reason":"' + b"a" * 20_000 + b'"}', 413),            # over 16 KB
    (b"[" * 100_000 + b"]" * 100_000, 413),                   # huge and deep
    (b"[" * 5_000 + b"]" * 5_000, 400),                       # deep, under the size limit
    (b'{"reason":' + b"[" * 5_000 + b"]" * 5_000 + b"}", 400),  # deep inside a field
])
def test_huge_and_deeply_nested_bodies_are_refused(client, rating_id, body, status):
    for path in (f"/api/ratings/{rating_id}/followup", "/api/ratings"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == status
        assert response.is_json and response.json["error"]
    assert followups() == []


def test_a_chunked_body_over_the_limit_gets_413(app, serve, rating_id):
    server = serve(app)

    def chunks():  # no Content-Length: requests sends it chunked
        for _ in range(40):
            yield b" " * 1024

    response = requests.post(f"{server.url}/api/ratings/{rating_id}/followup", data=chunks(),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert response.json()["error"]
    assert followups() == []


def test_a_config_file_with_a_nul_in_the_question_text_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[question]\nid = "service"\nversion = 2\n[question.text]\nfi = "Miten\\u0000meni?"\n',
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["kiosk", "--config", str(path)],
                                env={"HYMY_DATA_DIR": str(tmp_path / "data"), "HYMY_CONFIG": None})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hymy: config: question.text"), result.output


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/api/ratings", {"POST", "OPTIONS"}),
    ("DELETE", "/api/ratings", {"POST", "OPTIONS"}),
    ("PUT", "/api/ratings/0b6a0fd8-3f4e-4d2a-9d39-4b1d2f0c1a11/followup", {"POST", "OPTIONS"}),
    ("POST", "/healthz", {"GET", "HEAD", "OPTIONS"}),
    ("POST", "/", {"GET", "HEAD", "OPTIONS"}),
    ("POST", "/events", {"GET", "HEAD", "OPTIONS"}),
])
def test_every_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    assert response.json == {"error": "The method is not allowed for the requested URL.", "status": 405}


@pytest.mark.parametrize("path", ["/nothing-here", "/api/nothing", "/static/none.js", "/manager/x/y"])
def test_every_unknown_path_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json and response.json["status"] == 404 and response.json["error"]
