"""``/admin``: what the commands manage, in the browser, through the same functions; admins only."""
import re

import pytest
from werkzeug.security import check_password_hash

from sync.central.store.models import RollupDay
from tests.helpers.batches import batch, rating_row
from tests.helpers.central import WebSession


@pytest.fixture
def admin(central):
    password, _ = central.add_user("hanna", "admin")
    return central.log_in("hanna", password)


def test_viewers_get_403_and_anonymous_the_login(central, admin):
    central.add_site("Kamppi")
    password, _ = central.add_user("ville", "viewer", sites=["Kamppi"])
    viewer = central.log_in("ville", password)
    assert viewer.get("/admin").status_code == 403
    assert viewer.post("/admin/services", data={"name": "x"}, csrf_from="/overview").status_code == 403
    assert "/login" in WebSession(central.url).get("/admin").url
    assert central.count("Service") == 0


def test_an_admin_builds_the_organisation_in_the_browser(central, admin):
    assert admin.post("/admin/sites", data={"name": "Kamppi", "timezone": "Europe/Helsinki",
                                            "hours": "mon=08:00-20:00\nsat=10:00-16:00"},
                      csrf_from="/admin").status_code == 200
    admin.post("/admin/services", data={"name": "checkout"}, csrf_from="/admin")
    admin.post("/admin/providers", data={"name": "Palvelu Oy"}, csrf_from="/admin")
    made = admin.post("/admin/kiosks", data={"name": "kamppi-1", "site": "Kamppi", "service": "checkout",
                                             "provider": "Palvelu Oy"}, csrf_from="/admin")
    token = re.search(r"data-secret>(hymy_k_[^<]+)<", made.text).group(1)
    assert central.enroll(token, "6f1c2c36-0000-4000-8000-000000000001").status_code == 200
    assert "hymy_k_" not in admin.get("/admin").text  # shown once only
    user = admin.post("/admin/users", data={"name": "ville", "role": "viewer", "sites": ["Kamppi"],
                                            "email": "ville@example.com"}, csrf_from="/admin")
    password = re.findall(r"data-secret>([^<]+)<", user.text)[0]
    central.log_in("ville", password)
    site_id = central.query(lambda m: m.Site.get().id)
    admin.post(f"/admin/sites/{site_id}/pin", data={"pin": "135790"}, csrf_from="/admin")
    assert check_password_hash(central.query(lambda m: m.Site.get().manager_pin_hash), "135790")
    admin.post("/admin/target", data={"target": "90"}, csrf_from="/admin")
    assert central.query(lambda m: m.Setting.get(m.Setting.key == "target").value) == 90
    kiosk_id = central.query(lambda m: m.Kiosk.get().id)
    admin.post(f"/admin/kiosks/{kiosk_id}/revoke", csrf_from="/admin")
    assert central.request("GET", "/api/v1/config", token).status_code == 403


@pytest.mark.parametrize("form, says", [
    ({"name": "x\u202e", "timezone": "Europe/Helsinki"}, ""),
    ({"name": "Kamppi2", "timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"name": "Kamppi3", "timezone": "Europe/Helsinki", "hours": "mon=25:00-26:00"}, ""),
    ({"name": "", "timezone": "Europe/Helsinki"}, "Fill in"),
    ({"name": "x" * 5000, "timezone": "Europe/Helsinki"}, ""),
    ({"name": "nul\x00", "timezone": "Europe/Helsinki"}, ""),
])
def test_hostile_site_forms_are_a_clear_400_and_change_nothing(central, admin, form, says):
    response = admin.post("/admin/sites", data=form, csrf_from="/admin")
    assert response.status_code == 400 and says in response.text
    assert central.count("Site") == 0


def test_a_bad_pin_or_target_is_refused(central, admin):
    central.add_site("Kamppi")
    site_id = central.query(lambda m: m.Site.get().id)
    for pin in ("12", "1357", "13579", "123456789"):  # a site's PIN is 6 to 8 digits
        refused = admin.post(f"/admin/sites/{site_id}/pin", data={"pin": pin}, csrf_from="/admin")
        assert refused.status_code == 400 and "the PIN must be 6 to 8 digits" in refused.text
    assert admin.post("/admin/target", data={"target": "150"}, csrf_from="/admin").status_code == 400
    assert admin.post("/admin/target", data={"target": "-1"}, csrf_from="/admin").status_code == 400
    assert central.query(lambda m: m.Site.get().manager_pin_hash) is None


def test_forms_without_the_csrf_token_are_refused(central, admin):
    assert admin.post("/admin/services", data={"name": "checkout"}).status_code == 400
    assert central.count("Service") == 0


def test_a_zone_change_recounts_the_sites_days(central, admin):
    token, device_id = central.enrolled_kiosk()
    late = rating_row(1, rating=4)
    late["recorded_at"] = "2026-01-04T22:30:00.000000Z"  # 00:30 on 5 January in Helsinki, 4 January in Lisbon
    assert central.post_batch(token, batch(device_id, [late])).status_code == 200
    assert [str(d) for d in central.query(lambda m: [r.day for r in RollupDay.select()])] == ["2026-01-05"]
    site_id = central.query(lambda m: m.Site.get().id)
    admin.post(f"/admin/sites/{site_id}", data={"timezone": "Europe/Lisbon", "hours": ""}, csrf_from="/admin")
    assert [str(d) for d in central.query(lambda m: [r.day for r in RollupDay.select()])] == ["2026-01-04"]


def test_an_admin_cannot_delete_themselves_but_can_delete_others(central, admin):
    central.add_user("ville", "viewer")
    ids = central.query(lambda m: {u.name: u.id for u in m.User.select()})
    assert admin.post(f"/admin/users/{ids['hanna']}/delete", csrf_from="/admin").status_code == 400
    assert admin.post(f"/admin/users/{ids['ville']}/delete", csrf_from="/admin").status_code == 200
    assert central.count("User") == 1


def test_an_admin_adds_and_pauses_an_alert_rule(central, admin):
    central.add_site("Kamppi")
    made = admin.post("/admin/alerts", data={"covers": "site:Kamppi", "unhappy_share": "40",
                                             "emails": "ops@example.com, boss@example.com",
                                             "webhook": "https://hooks.example.com/hymy"}, csrf_from="/admin")
    assert made.status_code == 200 and "data-secret>" in made.text
    rule = central.query(lambda m: m.AlertRule.get())
    assert (rule.unhappy_share, rule.window_minutes, rule.emails) == (40, 15, ["ops@example.com", "boss@example.com"])
    assert re.search(r"data-secret>([^<]+)<", made.text).group(1) == rule.secret
    admin.post(f"/admin/alerts/{rule.id}/active", csrf_from="/admin")
    assert central.query(lambda m: m.AlertRule.get().active) is False
    for bad in ({"covers": "site:Nowhere", "emails": "a@b.example"}, {"covers": "site:Kamppi"},
                {"covers": "site:Kamppi", "emails": "a@b.example", "window": "x"},
                {"covers": "planet:Mars", "emails": "a@b.example"}):
        assert admin.post("/admin/alerts", data=bad, csrf_from="/admin").status_code == 400, bad
    assert central.count("AlertRule") == 1
