"""Values out of range are refused rows or a 4xx, never a 500; what a token may see stays within its scope."""
import pytest

from sync.central.reports import Scope
from tests.helpers.batches import batch, rating_row


@pytest.fixture
def kiosk(central):
    return central.enrolled_kiosk()


def test_a_batch_defined_question_is_never_published_to_other_kiosks(central, kiosk):
    token, device = kiosk
    other_token, _ = central.enrolled_kiosk("kamppi-2")
    before = central.request("GET", "/api/v1/config", other_token).json()["question"]
    own = {"id": "service", "version": 7, "texts": {"en": "Owned by one kiosk"}}
    answer = central.post_batch(token, batch(device, [rating_row(1, question_version=7)], questions=[own])).json()
    assert answer["accepted"] == 1  # the rows it labels are kept
    assert central.request("GET", "/api/v1/config", other_token).json()["question"] == before
    assert central.request("GET", "/api/v1/config", token).json()["question"] == before


@pytest.mark.parametrize(
    "fields",
    [
        {"recorded_at": "0001-01-01T00:00:00+01:00"},
        {"recorded_at": "9999-12-31T23:59:59-01:00"},
        {"clock_trusted": False, "monotonic": -1e11},
        {"monotonic": 1e12},
    ],
)
def test_out_of_range_times_are_rejected_rows_not_a_500(central, kiosk, fields):
    token, device = kiosk
    good, bad = rating_row(1), rating_row(2)
    bad.update(fields)
    answer = central.post_batch(token, batch(device, [good, bad], monotonic=2000.0)).json()
    assert answer["stored"] == [good["id"]]
    assert [r["id"] for r in answer["rejected"]] == [bad["id"]]


def test_an_envelope_time_out_of_range_is_422(central, kiosk):
    token, device = kiosk
    document = batch(device, [rating_row(1)])
    document["sent_at"] = "9999-12-31T23:59:59-01:00"
    assert central.post_batch(token, document).status_code == 422


@pytest.mark.parametrize("field, value", [("pending", 2**40), ("wall", "9999-12-31T23:59:59-01:00"),
                                          ("monotonic", -5.0)])
def test_heartbeat_values_out_of_range_are_422(central, kiosk, field, value):
    token, device = kiosk
    report = {"kiosk_id": device, "software_version": "1", "pending": 0, "oldest_pending_seconds": None,
              "quarantined": 0, "boot_id": "b", "wall": "2026-01-05T10:00:00Z", "monotonic": 5.0,
              "clock_trusted": True, "free_disk_bytes": None, "gap_error": None}
    report[field] = value
    assert central.request("POST", "/api/v1/heartbeat", token, json=report).status_code == 422


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_export_dates_out_of_range_are_400(central, day):
    _, api_token = central.add_user("boss")
    assert central.export(api_token, from_=day, to=day).status_code == 400


def test_config_needs_an_enrolled_token(central, kiosk):
    token = central.add_kiosk("not-yet")
    assert central.request("GET", "/api/v1/config", token).status_code == 403


def test_a_scope_limited_to_some_sites_never_widens_to_every_site():
    viewer = Scope(site_ids=(1, 2))
    assert viewer.narrowed(site_ids=None).site_ids == (1, 2)
    assert viewer.narrowed(site_ids=(2, 3)).site_ids == (2,)
    assert viewer.narrowed(central_kiosk_id=7) == Scope(site_ids=(1, 2), central_kiosk_id=7)
    assert Scope().narrowed(site_ids=(3,)).site_ids == (3,)  # an admin's scope narrows to any site
