"""Enrollment, the kiosk's config with an ETag, and the heartbeat."""

import uuid

from tests.helpers.batches import batch, rating_row

HEARTBEAT = {
    "software_version": "1.2.3",
    "pending": 12,
    "oldest_pending_seconds": 340.5,
    "quarantined": 1,
    "boot_id": "boot-a",
    "wall": "2026-01-05T11:59:00Z",
    "monotonic": 4242.0,
    "clock_trusted": True,
    "free_disk_bytes": 8_000_000_000,
    "gap_error": None,
}


def test_enrollment_binds_the_device_and_says_where_the_kiosk_stands(central):
    central.add_site("Kamppi")
    central.ok("add-service", "checkout")
    central.ok("add-provider", "Siisti Oy")
    token = central.add_kiosk("kamppi-1", provider="Siisti Oy")
    device = str(uuid.uuid4())

    answer = central.enroll(token, device).json()

    assert answer == {
        "kiosk": "kamppi-1",
        "site": "Kamppi",
        "service": "checkout",
        "provider": "Siisti Oy",
        "kiosk_id": device,
    }
    assert central.query(lambda m: m.Kiosk.get().uuid) == device


def test_enrolling_again_from_the_same_device_is_fine(central):
    token, device = central.enrolled_kiosk()
    again = central.enroll(token, device)
    assert again.status_code == 200 and again.json()["kiosk_id"] == device


def test_another_device_with_the_same_token_is_409_and_the_binding_stays(central):
    token, device = central.enrolled_kiosk()
    response = central.enroll(token, str(uuid.uuid4()))
    assert response.status_code == 409
    assert central.query(lambda m: m.Kiosk.get().uuid) == device


def test_one_device_cannot_enroll_as_two_kiosks(central):
    _, device = central.enrolled_kiosk("kamppi-1")
    second = central.add_kiosk("kamppi-2")
    assert central.enroll(second, device).status_code == 409


def test_enrollment_with_a_wrong_token_or_body_is_refused(central):
    central.enrolled_kiosk()
    assert central.enroll("hymy_k_wrong", str(uuid.uuid4())).status_code == 401
    fresh = central.add_kiosk("kamppi-2")
    assert central.enroll(fresh, "not-a-uuid").status_code == 422
    assert (
        central.request(
            "POST", "/api/v1/enroll", fresh, data=b"{", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_a_heartbeat_is_kept_and_answered_with_the_sequence(central):
    token, device = central.enrolled_kiosk()
    central.post_batch(token, batch(device, [rating_row(1), rating_row(2), rating_row(4)]))

    response = central.request("POST", "/api/v1/heartbeat", token, json=dict(HEARTBEAT, kiosk_id=device))

    assert response.json() == {"received": True, "sequence": {"contiguous": 2, "highest": 4, "gaps": [[3, 3]]}}
    status = central.query(lambda m: m.KioskStatus.get())
    assert (status.pending, status.quarantined, status.software_version, status.free_disk_bytes) == (
        12,
        1,
        "1.2.3",
        8_000_000_000,
    )
    assert status.reported_at == central.clock.now()

    central.clock.advance(60)
    central.request("POST", "/api/v1/heartbeat", token, json=dict(HEARTBEAT, kiosk_id=device, pending=0))
    assert central.count("KioskStatus") == 1
    assert central.query(lambda m: m.KioskStatus.get().pending) == 0


def test_a_heartbeat_naming_another_kiosk_or_malformed_is_refused(central):
    token, _ = central.enrolled_kiosk()
    assert (
        central.request(
            "POST", "/api/v1/heartbeat", token, json=dict(HEARTBEAT, kiosk_id=str(uuid.uuid4()))
        ).status_code
        == 403
    )
    assert central.request("POST", "/api/v1/heartbeat", token, json={"pending": -1}).status_code == 422
    assert central.count("KioskStatus") == 0


def test_config_comes_with_an_etag_and_304_when_unchanged(central):
    token, _ = central.enrolled_kiosk(hours=["mon=08:00-20:00", "sat=10:00-16:00"])
    central.ok("set-target", "90")

    response = central.request("GET", "/api/v1/config", token)

    content = response.json()
    assert (content["kiosk"], content["site"], content["service"], content["provider"]) == (
        "kamppi-1",
        "Kamppi",
        "checkout",
        None,
    )
    assert content["timezone"] == "Europe/Helsinki"
    assert content["opening_hours"] == {"mon": ["08:00-20:00"], "sat": ["10:00-16:00"]}
    assert content["question"]["id"] == "service" and content["question"]["version"] == 1
    assert set(content["question"]["texts"]) >= {"fi", "sv", "en"}
    assert {"key": "staff", "group": "attitude"} in [{"key": r["key"], "group": r["group"]} for r in content["reasons"]]
    assert content["target"] == 90
    etag = response.headers["ETag"]
    assert etag

    unchanged = central.request("GET", "/api/v1/config", token, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""


def test_a_new_question_text_is_a_new_version_with_a_new_etag(central):
    token, _ = central.enrolled_kiosk()
    before = central.request("GET", "/api/v1/config", token)

    output = central.ok("set-question", "service", "--text", "en=How was your visit?", "--text", "fi=Miten meni?")

    assert "version 2" in output
    after = central.request("GET", "/api/v1/config", token, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert after.json()["question"] == {
        "id": "service",
        "version": 2,
        "texts": {"en": "How was your visit?", "fi": "Miten meni?"},
    }
    assert central.query(lambda m: m.Question.get(key="service", version=1).texts) == before.json()["question"]["texts"]


def test_config_for_a_revoked_kiosk_is_403(central):
    token, _ = central.enrolled_kiosk()
    central.ok("revoke-kiosk", "kamppi-1")
    assert central.request("GET", "/api/v1/config", token).status_code == 403
