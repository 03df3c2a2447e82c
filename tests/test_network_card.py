"""The manager's "The network" card: drawn from the last network document central sent, in each
language, with how long ago central confirmed it; no card without a document or with a damaged one."""

from datetime import timedelta

import pytest

from kiosk.manager.network_card import ordinal
from kiosk.storage.network import NETWORK_FILE, NetworkStore
from tests.helpers.manager import text
from tests.helpers.network import Element, parse_page
from tests.helpers.network_document import network_document


def card(manager, path, language="en"):
    page = parse_page(text(manager.get(f"{path}?lang={language}")))
    found = page.find(tag="section", cls="card--network")
    return found


def rows(section: Element):
    return {row.find(tag="th").text(): [cell.text() for cell in row.find_all(tag="td")]
            for row in section.find(tag="tbody").find_all(tag="tr")}


def test_without_a_document_there_is_no_card(manager):
    assert card(manager, "/manager") is None
    assert card(manager, "/manager/week") is None


@pytest.mark.parametrize("path", ["/manager", "/manager/week"])
def test_the_card_shows_the_site_the_rank_the_brand_and_the_target(manager, kiosk, clock, path):
    NetworkStore(kiosk.config.data_dir).save(network_document(rank=4, of=12, names=["Tampere", "Kamppi"]), "e1",
                                             clock.now() - timedelta(minutes=35))
    section = card(manager, path)
    assert section is not None and "updated 35 minutes ago" in section.text()
    shown = rows(section)
    assert shown["This site"] == ["88 %", "88 %"]
    assert shown["Rank among the sites"] == ["4th of 12", "4th of 12"]
    assert shown["Best site"] == ["95 %"] * 2 and shown["Median site"] == ["84 %"] * 2
    assert shown["This service, all sites"] == ["85 %"] * 2 and shown["The brand"] == ["83 %"] * 2
    assert shown["Target"] == ["85 %"] * 2  # the kiosk's own target, as every figure on the page
    assert "Best over 30 days: Tampere" in section.text()
    if path == "/manager/week":  # the brand's figure marked beside the week's chart
        page = parse_page(text(manager.get(f"{path}?lang=en")))
        assert page.one(cls="legend__item--brand").text() == "◆The brand, 7 days: 83 %"


@pytest.mark.parametrize("language, rank_text", [("fi", "4. / 12"), ("sv", "4:e av 12"), ("en", "4th of 12")])
def test_the_rank_reads_in_each_language(manager, kiosk, clock, language, rank_text):
    NetworkStore(kiosk.config.data_dir).save(network_document(), None, clock.now())
    section = card(manager, "/manager", language)
    assert rank_text in [cell for cells in rows(section).values() for cell in cells]


def test_a_site_too_few_to_take_part_says_so_and_names_stay_private(manager, kiosk, clock):
    NetworkStore(kiosk.config.data_dir).save(network_document(rank=None, of=7), None, clock.now())
    section = card(manager, "/manager")
    assert rows(section)["Rank among the sites"] == ["not ranked", "not ranked"]
    assert "Best over 30 days" not in section.text()


def test_a_damaged_document_shows_no_card_and_the_page_still_answers(manager, kiosk):
    (kiosk.config.data_dir / NETWORK_FILE).write_text('{"document": {"periods": 3}}', encoding="utf-8")
    response = manager.get("/manager")
    assert response.status_code == 200 and card(manager, "/manager") is None


def test_ordinals():
    assert [ordinal(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
    assert [ordinal(n, "sv") for n in (1, 2, 3, 11, 12, 21, 22)] == ["1:a", "2:a", "3:e", "11:e", "12:e", "21:a",
                                                                     "22:a"]
    assert ordinal(7, "fi") == "7."
