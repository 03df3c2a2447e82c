"""hymy central add-*: the organisation, managed from the command line."""
import hashlib
import re

from werkzeug.security import check_password_hash


def test_adding_a_site_service_provider_and_kiosk(central):
    assert "added" in central.ok("add-site", "Kamppi", "--timezone", "Europe/Helsinki",
                                 "--hours", "mon=08:00-20:00,21:00-22:00", "--hours", "sun=12:00-18:00")
    central.ok("add-service", "pharmacy counter")
    central.ok("add-provider", "Siisti Oy")
    central.ok("add-kiosk", "kamppi-1", "--site", "Kamppi", "--service", "pharmacy counter", "--provider", "Siisti Oy")

    site = central.query(lambda m: m.Site.get(name="Kamppi"))
    assert site.opening_hours == {"mon": ["08:00-20:00", "21:00-22:00"], "sun": ["12:00-18:00"]}
    kiosk = central.query(lambda m: m.Kiosk.select(m.Kiosk, m.Site, m.Service, m.Provider)
                          .join(m.Site).switch(m.Kiosk).join(m.Service).switch(m.Kiosk).join(m.Provider).get())
    assert (kiosk.name, kiosk.site.name, kiosk.service.name, kiosk.provider.name) == (
        "kamppi-1", "Kamppi", "pharmacy counter", "Siisti Oy")
    assert kiosk.uuid is None and not kiosk.revoked


def test_add_kiosk_prints_its_token_once_and_central_keeps_only_the_hash(central):
    central.add_site("Kamppi")
    central.ok("add-service", "checkout")

    output = central.ok("add-kiosk", "kamppi-1", "--site", "Kamppi", "--service", "checkout")

    tokens = re.findall(r"hymy_k_[A-Za-z0-9_-]+", output)
    assert len(tokens) == 1
    token = tokens[0]
    kiosk = central.query(lambda m: m.Kiosk.get())
    assert kiosk.token_hash == hashlib.sha256(token.encode()).hexdigest()
    everything = central.query(lambda m: [str(v) for row in m.Kiosk.select().tuples() for v in row])
    assert not any(token in value for value in everything)


def test_add_user_prints_a_password_and_a_token_once(central):
    central.add_site("Kamppi")

    output = central.ok("add-user", "ville", "--role", "viewer", "--site", "Kamppi")

    password = re.search(r"password: (\S+)", output)[1]
    token = re.search(r"api token: (hymy_u_\S+)", output)[1]
    assert output.count(password) == 1 and output.count(token) == 1
    user = central.query(lambda m: m.User.get(name="ville"))
    assert check_password_hash(user.password_hash, password) and password not in user.password_hash
    assert user.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert central.query(lambda m: [link.site.name for link in m.UserSite.select()]) == ["Kamppi"]
    assert central.export(token, from_="2026-01-01", to="2026-01-31").status_code == 200


def test_duplicate_names_are_one_line_and_exit_1(central):
    central.add_site("Kamppi")
    central.ok("add-service", "checkout")
    central.ok("add-provider", "Siisti Oy")
    central.ok("add-kiosk", "kamppi-1", "--site", "Kamppi", "--service", "checkout")
    central.ok("add-user", "ville", "--role", "admin")
    for args in (["add-site", "Kamppi"], ["add-service", "checkout"], ["add-provider", "Siisti Oy"],
                 ["add-kiosk", "kamppi-1", "--site", "Kamppi", "--service", "checkout"],
                 ["add-user", "ville", "--role", "admin"]):
        result = central.cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1 and "exists already" in result.output
    assert central.count("Kiosk") == 1 and central.count("User") == 1 and central.count("Site") == 1


def test_unknown_names_are_one_line_and_exit_1(central):
    central.add_site("Kamppi")
    result = central.cli("add-kiosk", "kamppi-1", "--site", "Kamppi", "--service", "no such service")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    result = central.cli("add-user", "ville", "--role", "viewer", "--site", "Nowhere")
    assert result.exit_code == 1 and central.count("User") == 0


def test_bad_opening_hours_are_exit_2_and_add_nothing(central):
    for hours in ("monday=08:00-20:00", "mon=8-20", "mon=25:00-26:00", "mon=10:00-10:00"):
        result = central.cli("add-site", "Kamppi", "--hours", hours)
        assert result.exit_code == 2, (hours, result.output)
        assert len(result.output.strip().splitlines()) == 1
    assert central.count("Site") == 0


def test_a_bad_role_is_a_usage_error(central):
    assert central.cli("add-user", "ville", "--role", "boss").exit_code == 2


def test_set_target_and_revoke_kiosk(central):
    token, device = central.enrolled_kiosk()
    assert "target set to 87.5 %" in central.ok("set-target", "87.5")
    assert central.request("GET", "/api/v1/config", token).json()["target"] == 87.5
    assert central.cli("set-target", "101").exit_code == 2
    central.ok("revoke-kiosk", "kamppi-1")
    assert central.query(lambda m: m.Kiosk.get().revoked)
    assert central.cli("revoke-kiosk", "nobody").exit_code == 1
