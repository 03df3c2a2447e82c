"""Head office's PIN for a site: set on central, carried to the site's kiosks as a hash in their
config, and then the PIN of the manager screen, over one set on the device."""
import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.manager.pin import check_pin, pin_is_set, set_pin
from kiosk.storage.content_store import ContentStore
from sync.wire.errors import ConfigError
from tests.helpers.manager import sign_in, signed_in


def test_set_site_pin_sends_only_a_hash_to_the_sites_kiosks(central):
    token, _ = central.enrolled_kiosk()
    assert central.request("GET", "/api/v1/config", token).json()["manager_pin_hash"] is None
    result = central.cli("set-site-pin", "Kamppi", input="135790\n135790\n")
    assert result.exit_code == 0, result.output
    assert "(6-8 digits)" in result.output  # the prompt
    sent = central.request("GET", "/api/v1/config", token).json()["manager_pin_hash"]
    assert sent.startswith("scrypt:") and "135790" not in sent.split("$") and check_password_hash(sent, "135790")
    cleared = central.cli("set-site-pin", "Kamppi", "--clear")
    assert cleared.exit_code == 0
    assert central.request("GET", "/api/v1/config", token).json()["manager_pin_hash"] is None


@pytest.mark.parametrize("typed", ["12\n12\n", "1357\n1357\n", "13579\n13579\n", "123456789\n123456789\n",
                                   "12ab56\n12ab56\n", "١٢٣٤٥٦\n١٢٣٤٥٦\n"])
def test_a_bad_site_pin_is_one_line_and_changes_nothing(central, typed):
    """Head office's PIN is 6 to 8 digits: its hash reaches every kiosk of the site, so it must hold
    out against a search offline (docs/manager.md); a device's own PIN stays 4 to 8."""
    central.enrolled_kiosk()
    result = central.cli("set-site-pin", "Kamppi", input=typed)
    assert result.exit_code != 0 and "the PIN must be 6 to 8 digits" in result.output
    assert central.query(lambda m: m.Site.get(m.Site.name == "Kamppi").manager_pin_hash) is None


def test_a_shorter_site_pin_set_before_keeps_working(central, make_app):
    """A site PIN of 4 digits set before the rule changed is still sent, and still opens the screen."""
    token, _ = central.enrolled_kiosk()
    central.query(lambda m: m.Site.update(manager_pin_hash=generate_password_hash("1357")).execute())
    document = central.request("GET", "/api/v1/config", token).json()
    assert check_password_hash(document["manager_pin_hash"], "1357")
    assert check_pin(make_app().config["HYMY"].data_dir, "1357", document["manager_pin_hash"])


def test_head_offices_pin_wins_over_the_devices(tmp_path):
    set_pin(tmp_path, "2468")
    central_hash = generate_password_hash("1357")
    assert check_pin(tmp_path, "1357", central_hash) and not check_pin(tmp_path, "2468", central_hash)
    assert check_pin(tmp_path, "2468") and pin_is_set(tmp_path / "nowhere", central_hash)


def test_the_manager_screen_takes_the_pin_central_sent(make_app, kiosk_document):
    app = make_app(language="en")
    kiosk = app.extensions["hymy"]
    set_pin(kiosk.config.data_dir, "2468")
    kiosk.content_store.path = kiosk.config.data_dir / "central_content.json"
    kiosk.content_store._path_text = str(kiosk.content_store.path)
    kiosk.content_store.apply(dict(kiosk_document, manager_pin_hash=generate_password_hash("1357")))
    client = app.test_client()
    sign_in(client, "2468")
    assert not signed_in(client)
    sign_in(client, "1357")
    assert signed_in(client)


@pytest.mark.parametrize("planted", ["1357", "plain$text$x", "scrypt:1$salt$" + "z" * 40, "x" * 300, 1357])
def test_a_config_whose_pin_is_not_a_hash_is_refused_and_the_old_one_kept(tmp_path, kiosk_document, planted):
    store = ContentStore(None, tmp_path)
    with pytest.raises(ConfigError, match="manager_pin_hash"):
        store.apply(dict(kiosk_document, manager_pin_hash=planted))
    assert not (tmp_path / "central_content.json").exists()


@pytest.fixture
def kiosk_document():
    """A valid config document as central sends it."""
    return {"kiosk": "k", "site": "s", "service": "v", "provider": None, "timezone": "Europe/Helsinki",
            "opening_hours": {}, "question": {"id": "service", "version": 1, "texts": {"en": "How did we do?"}},
            "reasons": [{"key": "staff", "group": "attitude", "labels": {"en": "Staff"}}], "target": 85,
            "min_responses": 5}
