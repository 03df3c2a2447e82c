"""The network document (``GET /api/v1/network``) against an oracle worked out by hand from the raw rows.

A generated network of five sites in three time zones (one of them half an hour off UTC's hours),
two services and seven kiosks sends five weeks of ratings through real ingest. For each kiosk the
oracle reads the stored ``rating`` rows, places each on its site's local day, and works out every
figure of every period, the rank (ties sharing one) and the best and the median site in plain
Python, on both backends. Two sites are given the same faces, so a tie is always there to share.
"""

import random
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sync.common.clock import FakeClock
from sync.wire.protocol import NETWORK_FIELDS, check_row
from tests.helpers.batches import batch, rating_row
from tests.helpers.network import half_up, read_stored, start_central

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=timezone.utc)
SITES = {"Kamppi": "Europe/Helsinki", "Tampere": "Europe/Helsinki", "Kungsholmen": "Europe/Stockholm",
         "Signal Hill": "America/St_Johns", "Pasila": "Europe/Helsinki"}
#: kiosk -> (site, service, face weights for ratings 1-4, ratings a day)
KIOSKS = {
    "kamppi-1": ("Kamppi", "checkout", (1, 1, 4, 6), 9),
    "kamppi-2": ("Kamppi", "returns", (2, 2, 3, 3), 3),
    "tampere-1": ("Tampere", "checkout", (1, 1, 4, 6), 9),  # Kamppi's twin, in the same zone: a tie to share
    "kungsholmen-1": ("Kungsholmen", "checkout", (2, 3, 4, 3), 7),
    "signal-1": ("Signal Hill", "checkout", (1, 2, 3, 5), 5),
    "signal-2": ("Signal Hill", "returns", (3, 2, 2, 2), 2),
    "pasila-1": ("Pasila", "checkout", (1, 1, 1, 1), 1),  # too few to take part most of the time
}
DAYS = 35
PERIOD_DAYS = {"yesterday": (1, 1), "7d": (7, 0), "30d": (30, 0)}  # (length, days back from today to the last)


def _build(central, rng):
    central.ok("set-target", "80")
    for name, zone in SITES.items():
        central.add_site(name, zone)
    tokens = {}
    for name, (site, service, _, _) in KIOSKS.items():
        tokens[name] = central.enrolled_kiosk(name, site=site, service=service)
    for name, (_, _, faces, per_day) in KIOSKS.items():
        token, device_id = tokens[name]
        # Kamppi's and Tampere's checkouts press the same faces at the same moments: always a tie.
        kiosk_rng = random.Random("twin") if name in ("kamppi-1", "tampere-1") else rng
        rows, seq = [], 0
        for back in range(DAYS, -1, -1):
            day_start = NOW - timedelta(days=back)
            for _ in range(per_day if back else 2):
                moment = day_start - timedelta(seconds=kiosk_rng.randint(60, 86_000))
                seq += 1
                filtered = "repeat" if kiosk_rng.random() < 0.08 else None
                rows.append(rating_row(seq, recorded_at=moment, monotonic=float(seq),
                                       rating=kiosk_rng.choices((1, 2, 3, 4), weights=faces)[0], filtered=filtered))
        for start in range(0, len(rows), 500):
            answer = central.post_batch(token, batch(device_id, rows[start:start + 500], sent_at=NOW,
                                                     monotonic=float(seq + 10)))
            assert answer.status_code == 200, answer.text
    return tokens


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def network(request, tmp_path_factory):
    central = start_central(request, tmp_path_factory, FakeClock(NOW))
    try:
        tokens = _build(central, random.Random(20261203))
        yield central, tokens, read_stored(central)
    finally:
        central.close()


def _figure(faces, min_responses):
    counted = sum(faces.values())
    if counted < max(1, min_responses):
        return {"counted": counted, "satisfaction": None, "happy_index": None}
    points = sum((rating - 1) * n for rating, n in faces.items())
    tenths = half_up(1000 * points, 3 * counted)
    return {"counted": counted, "satisfaction": half_up(100 * (faces[3] + faces[4]), counted),
            "happy_index": tenths / 10}


def _expected(stored, kiosk, share_names):
    """The whole document for *kiosk*, from the raw rows."""
    rules = stored.rules
    facts = stored.kiosks[kiosk]
    periods, names = {}, {}
    for period, (length, back) in PERIOD_DAYS.items():
        def in_period(rating, length=length, back=back):
            today = NOW.astimezone(stored.zone(rating.site)).date()
            last = today - timedelta(days=back)
            return last - timedelta(days=length - 1) <= rating.day <= last

        counted = [r for r in stored.ratings if r.filtered is None and in_period(r)]
        brand = Counter(r.rating for r in counted)
        service = Counter(r.rating for r in counted if stored.kiosks[r.kiosk].service == facts.service)
        site = Counter(r.rating for r in counted if r.site == facts.site)
        per_site = {}
        for r in counted:
            if stored.kiosks[r.kiosk].service == facts.service:
                per_site.setdefault(r.site, Counter())[r.rating] += 1
        taking_part = {name: _figure(faces, rules.min_responses)["satisfaction"] for name, faces in per_site.items()
                       if sum(faces.values()) >= rules.min_responses}
        values = sorted(taking_part.values())
        mine = taking_part.get(facts.site)
        periods[period] = {
            "brand": _figure(brand, rules.min_responses),
            "service": _figure(service, rules.min_responses),
            "site": _figure(site, rules.min_responses),
            "rank": None if mine is None else 1 + sum(1 for v in values if v > mine),
            "of": len(values),
            "best": max(values) if values else None,
            "median": values[(len(values) - 1) // 2] if values else None,
        }
        ranked = sorted(taking_part.items(), key=lambda item: (-item[1], stored.sites[item[0]][0]))
        names[period] = [{"name": name, "rank": 1 + sum(1 for v in values if v > percent), "satisfaction": percent}
                         for name, percent in ranked]
    document = {"periods": periods, "actions": []}
    if share_names:
        document["site_names"] = names
    return document


def _answer(central, token):
    response = central.request("GET", "/api/v1/network", token)
    assert response.status_code == 200, response.text
    document = response.json()
    check_row(document, NETWORK_FIELDS)  # the protocol's own checks take it as it is
    return response, document


@pytest.mark.parametrize("share_names", [False, True], ids=["names-off", "names-on"])
def test_every_kiosks_document_equals_the_raw_rows(network, share_names):
    central, tokens, stored = network
    central.ok("set-network", "--share-site-names", "on" if share_names else "off")
    for kiosk, (token, _) in tokens.items():
        _, document = _answer(central, token)
        assert document.pop("generated_at") == "2026-11-03T09:30:00.000000Z"
        assert document == _expected(stored, kiosk, share_names), kiosk
    # The data has what the test is about: Kamppi and Tampere share a rank among the checkouts,
    # Pasila is too few to take part yesterday, and some other site ranks between or after them.
    checkouts = {s["name"]: s["rank"] for s in _expected(stored, "kamppi-1", True)["site_names"]["30d"]}
    assert checkouts["Kamppi"] == checkouts["Tampere"] and len(set(checkouts.values())) >= 2, checkouts
    assert _expected(stored, "pasila-1", False)["periods"]["yesterday"]["rank"] is None


def test_the_etag_holds_while_the_figures_do_and_a_304_carries_nothing(network):
    central, tokens, _ = network
    token = tokens["tampere-1"][0]
    first, _ = _answer(central, token)
    again = central.request("GET", "/api/v1/network", token, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.content
    central.clock.advance(60)  # a minute later: generated_at moves, the figures (and so the ETag) do not
    later = central.request("GET", "/api/v1/network", token, headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 304
    central.clock.set_wall(NOW)


def test_the_document_speaks_of_the_site_in_its_own_local_days(network):
    """Signal Hill is half an hour off the hours of the UTC day: its yesterday is its own, as the raw rows say."""
    central, tokens, stored = network
    _, document = _answer(central, tokens["signal-1"][0])
    zone = ZoneInfo(SITES["Signal Hill"])
    yesterday = NOW.astimezone(zone).date() - timedelta(days=1)
    own = [r for r in stored.ratings if r.site == "Signal Hill" and r.filtered is None and r.day == yesterday]
    assert document["periods"]["yesterday"]["site"]["counted"] == len(own) > 0
