"""The rollups equal a recomputation from the raw rows, whatever arrives and in whatever order.

Generated ingest through real HTTP: two sites in two zones (Helsinki, and St
John's at -3:30, a half-hour zone) across both of their DST change days,
filtered presses, closed hours, untrusted clocks that central corrects or
cannot, clocks whose trusted moment arrives only in a later batch than their
rows (late clock decisions), follow-ups arriving after their ratings, whole
batches sent twice, and re-sent rows whose content changed (conflicts, which
must add nothing). The oracle is plain Python over the stored rows, not the
SQL the rollups use. One network per backend serves every test of the module;
the one test that changes it (a site's zone) puts it back.
"""
import random
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sync.central import reports
from sync.central.store import rollups
from sync.central.store.models import (
    Followup,
    Kiosk,
    Rating,
    RollupDay,
    RollupDayReason,
    RollupHour,
    RollupHourReason,
    central_db,
)
from sync.common.clock import FakeClock
from sync.wire.defaults import DEFAULT_REASONS
from sync.wire.figures import HOUR_COUNTS, REASON_COUNTS
from sync.wire.protocol import format_time
from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.central import RECEIVE_TIME
from tests.helpers.network import hour_specs, start_central

HELSINKI, ST_JOHNS = ZoneInfo("Europe/Helsinki"), ZoneInfo("America/St_Johns")
START = datetime(2026, 3, 5, tzinfo=timezone.utc)  # St John's changes on 8 March, Helsinki on 29 March
DAYS = 27
FACES = ("very_unhappy", "unhappy", "happy", "very_happy")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOURS = {"Kamppi": (HELSINKI, {**{d: "08:00-20:00" for d in _WEEKDAYS}, "sat": "10:00-16:00"}),
         "St Johns": (ST_JOHNS, {d: "07:30-21:30" for d in (*_WEEKDAYS, "sat", "sun")})}
#: A boot's monotonic clock in the late-decision rows: readings this far above the generator's main boot.
LATE_BOOT_BASE = 12345.0


def _organisation(central):
    for name, (zone, hours) in HOURS.items():
        central.add_site(name, zone.key, hours=hour_specs(hours))
    kiosks = {}
    for name, site, service, provider in (("kamppi-1", "Kamppi", "checkout", "Palvelu Oy"),
                                          ("kamppi-2", "Kamppi", "returns", None),
                                          ("stjohns-1", "St Johns", "checkout", "Palvelu Oy")):
        kiosks[name] = central.enrolled_kiosk(name, site=site, service=service, provider=provider)
    return kiosks


def _send(central, token, document, at):
    central.clock.set_wall(at)
    response = central.post_batch(token, document)
    assert response.status_code == 200, response.text
    return response.json()


def _late_monotonic(moment):
    return (moment - START).total_seconds() + LATE_BOOT_BASE


def _generate(central, kiosks, rng):
    """Ingest a month of generated traffic; return how many conflicts were sent, and the real moment and site
    of each row of a boot whose trusted moment the kiosk declared only in a later batch."""
    sent_conflicts, late = 0, {}
    sites = central.query(lambda m: {k.uuid: k.site.name for k in m.Kiosk.select()})
    for token, device_id in kiosks.values():
        seq, earlier, vouch = 0, [], []
        moment = START + timedelta(minutes=rng.randrange(60))
        while moment < START + timedelta(days=DAYS):
            rows, late_boot = [], f"late-{device_id[:8]}-{seq + 1}"
            for _ in range(rng.randrange(5, 25)):
                moment += timedelta(minutes=rng.randrange(5, 240))
                seq += 1
                kind = rng.random()
                fields = {"rating": rng.randint(1, 4), "source": rng.choice(("touch", "button"))}
                if kind < 0.1:
                    fields["filtered"] = "repeat"
                elif kind < 0.2:  # an untrusted clock a day off, which the batch's trusted clock corrects
                    fields.update(filtered="unverified", clock_trusted=False)
                    fields["recorded_at"] = format_time(moment - timedelta(days=1))
                elif kind < 0.25:  # an untrusted clock of an earlier boot nobody vouched for: stays unverified
                    fields.update(filtered="unverified", clock_trusted=False, boot_id="lost-boot")
                elif kind < 0.3:
                    fields["filtered"] = "closed"
                elif kind < 0.36:  # a boot whose clock was set later: this batch does not vouch for it, the next does
                    fields.update(filtered="unverified", clock_trusted=False, boot_id=late_boot,
                                  recorded_at=format_time(moment - timedelta(days=3)))
                monotonic = _late_monotonic(moment) if fields.get("boot_id") == late_boot else \
                    (moment - START).total_seconds()
                rows.append(rating_row(seq, recorded_at=moment, monotonic=monotonic,
                                       **{k: v for k, v in fields.items() if k != "recorded_at"}))
                if "recorded_at" in fields:
                    rows[-1]["recorded_at"] = fields["recorded_at"]
                if fields.get("boot_id") == late_boot:
                    late[rows[-1]["id"]] = (moment, sites[device_id])
            sent_at = moment + timedelta(minutes=rng.randrange(1, 90))
            followups = []
            for rating in rows + earlier:
                if rng.random() < 0.3 and not rating.get("_followed"):
                    reason = rng.choice(DEFAULT_REASONS)
                    followups.append(followup_row(rating, reason=reason.key, reason_group=reason.group,
                                                  comment=rng.choice((None, "ok"))))
                    rating["_followed"] = True
            clean = [{k: v for k, v in row.items() if k != "_followed"} for row in rows]
            document = batch(device_id, clean, followups, sent_at=sent_at,
                             monotonic=(sent_at - START).total_seconds(), boots=vouch)
            # The late boot's clock was set when this batch went: only the next batch says so.
            vouch = [{"boot_id": late_boot, "trusted_wall": format_time(sent_at),
                      "trusted_monotonic": _late_monotonic(sent_at)}] if any(
                row["boot_id"] == late_boot for row in clean) else []
            _send(central, token, document, sent_at)
            if rng.random() < 0.2:  # the answer was lost: the whole batch again
                _send(central, token, dict(document, batch_id=str(uuid.uuid4())), sent_at + timedelta(minutes=1))
            if rng.random() < 0.2 and clean:  # a row re-sent with other content: a conflict, never counted
                changed = dict(clean[0], rating=5 - clean[0]["rating"])
                again = batch(device_id, [changed], sent_at=sent_at, monotonic=(sent_at - START).total_seconds())
                _send(central, token, again, sent_at + timedelta(minutes=2))
                sent_conflicts += 1
            earlier = rows[-5:]  # some of these get their follow-up in the next batch
        if vouch:  # the last batch's late boot: vouched for in a batch of its own
            _send(central, token, batch(device_id, sent_at=moment + timedelta(hours=3), boots=vouch,
                                        monotonic=(moment + timedelta(hours=3) - START).total_seconds()),
                  moment + timedelta(hours=3))
    return sent_conflicts, late


def _oracle(central):
    """Rollups recomputed in plain Python from the stored rows."""
    def read(models):
        zones = {k.id: ZoneInfo(k.site.timezone) for k in Kiosk.select()}
        ratings = {r.id: r for r in Rating.select()}
        followups = list(Followup.select())
        return zones, ratings, followups

    zones, ratings, followups = central.query(read)
    hours, days = defaultdict(Counter), defaultdict(Counter)
    hour_reasons, day_reasons = defaultdict(Counter), defaultdict(Counter)
    for r in ratings.values():
        hour = r.occurred_at.replace(minute=0, second=0, microsecond=0)
        day = r.occurred_at.astimezone(zones[r.kiosk_id]).date()
        column = r.filtered or FACES[r.rating - 1]
        hours[(r.kiosk_id, hour)][column] += 1
        days[(r.kiosk_id, day)][column] += 1
    for f in followups:
        r = ratings[f.rating_id]
        if r.filtered:
            continue
        hour = r.occurred_at.replace(minute=0, second=0, microsecond=0)
        day = r.occurred_at.astimezone(zones[r.kiosk_id]).date()
        hours[(r.kiosk_id, hour)]["followups"] += 1
        days[(r.kiosk_id, day)]["followups"] += 1
        for table, key in ((hour_reasons, (r.kiosk_id, hour, f.reason, f.reason_group)),
                           (day_reasons, (r.kiosk_id, day, f.reason, f.reason_group))):
            table[key]["given"] += 1
            table[key]["unhappy"] += r.rating <= 2
    return hours, days, hour_reasons, day_reasons, ratings, zones


def _held(central):
    def read(models):
        def table(model, keys, columns):
            held = {}
            for row in model.select().dicts():
                key = tuple(row[k] for k in keys)
                held[key] = Counter({c: row[c] for c in columns if row[c]})
            return held

        return (table(RollupHour, ("kiosk", "hour"), HOUR_COUNTS),
                table(RollupDay, ("kiosk", "day"), HOUR_COUNTS),
                table(RollupHourReason, ("kiosk", "hour", "reason", "reason_group"), REASON_COUNTS),
                table(RollupDayReason, ("kiosk", "day", "reason", "reason_group"), REASON_COUNTS))

    return central.query(read)


def _same(held, expected):
    assert {k: v for k, v in held.items() if v} == {k: +v for k, v in expected.items() if +v}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def network(request, tmp_path_factory):
    """The generated month on one backend, built once for the module: ``(central, late rows)``."""
    central = start_central(request, tmp_path_factory, FakeClock(RECEIVE_TIME))
    try:
        kiosks = _organisation(central)
        conflicts, late = _generate(central, kiosks, random.Random(20261124))
        assert conflicts and central.count("Conflict") >= conflicts
        assert len(late) > 20
        yield central, late
    finally:
        central.close()


@pytest.fixture
def generated(network):
    return network[0]


def _auditor(central, name):
    """A logged-in admin of its own (the network outlives a test, so each test names its user)."""
    password, _ = central.add_user(name, "admin")
    return central.log_in(name, password)


def test_rollups_equal_a_recomputation_from_the_raw_rows(generated):
    hours, days, hour_reasons, day_reasons, ratings, _ = _oracle(generated)
    filters = Counter(r.filtered for r in ratings.values())
    assert all(filters[name] for name in (None, "repeat", "closed", "unverified")), filters  # every kind is there
    assert Counter(r.time_basis for r in ratings.values())["corrected"] > 10
    held_hours, held_days, held_hour_reasons, held_day_reasons = _held(generated)
    _same(held_hours, hours)
    _same(held_days, days)
    _same(held_hour_reasons, hour_reasons)
    _same(held_day_reasons, day_reasons)


def test_rebuilding_from_the_raw_rows_gives_the_same_rollups(generated):
    before = _held(generated)

    def rebuild(models):
        with central_db.atomic():
            for model in (RollupHour, RollupDay, RollupHourReason, RollupDayReason):
                model.delete().execute()
            rollups.rebuild_all(central_db.obj)

    generated.query(rebuild)
    assert _held(generated) == before


def test_a_zone_change_recounts_the_sites_days(generated):
    def move(zone):
        def to(models):
            with central_db.atomic():
                models.Site.update(timezone=zone).where(models.Site.name == "Kamppi").execute()
                kiosk_ids = [k.id for k in Kiosk.select().join(models.Site).where(models.Site.name == "Kamppi")]
                rollups.rebuild_days(kiosk_ids)

        return to

    before = _held(generated)
    generated.query(move("Asia/Kolkata"))
    try:
        _, days, _, day_reasons, _, _ = _oracle(generated)
        _, held_days, _, held_day_reasons = _held(generated)
        _same(held_days, days)
        _same(held_day_reasons, day_reasons)
    finally:  # the other tests of the module read Helsinki's days
        generated.query(move("Europe/Helsinki"))
    assert _held(generated) == before


def _site_counts_by_hand(ratings, zones, kiosk_ids, first, last):
    faces, filtered = Counter(), Counter()
    for r in ratings.values():
        if r.kiosk_id in kiosk_ids and first <= r.occurred_at.astimezone(zones[r.kiosk_id]).date() <= last:
            if r.filtered:
                filtered[r.filtered] += 1
            else:
                faces[r.rating] += 1
    return tuple(faces[n] for n in (1, 2, 3, 4)), dict(filtered)


def test_report_counts_equal_the_raw_rows_on_every_day_including_dst_days(generated):
    _, _, _, _, ratings, zones = _oracle(generated)
    sites = generated.query(lambda m: {s.name: (s, [k.id for k in s.kiosks]) for s in m.Site.select()})
    now = START + timedelta(days=DAYS + 1)
    with_rows = 0
    for name, (site, kiosk_ids) in sites.items():
        for offset in range(-1, DAYS + 1):
            day = (START + timedelta(days=offset)).date()
            period = reports.Period.parse("custom", day.isoformat(), day.isoformat())
            counts = generated.query(lambda m, period=period: reports.day_counts("site", reports.Scope(), period, now))
            faces, filtered = _site_counts_by_hand(ratings, zones, set(kiosk_ids), day, day)
            got = counts.get(site.id)
            assert (got.faces if got else (0, 0, 0, 0)) == faces, (name, day)
            assert (got.filtered if got else {}) == filtered, (name, day)
            with_rows += bool(sum(faces))
    assert with_rows > 30


def test_a_dst_day_has_23_hours_and_they_add_up_to_the_day(generated):
    _, _, _, _, ratings, zones = _oracle(generated)
    site, kiosk_ids = generated.query(lambda m: next((s, [k.id for k in s.kiosks])
                                                     for s in m.Site.select() if s.name == "Kamppi"))
    dst_day = date(2026, 3, 29)
    hours = generated.query(lambda m: reports.hours_of_day(site, reports.Scope(), dst_day))
    assert len(hours) == 23
    assert [h.hour for h, _ in hours] == [0, 1, 2, *range(4, 24)]
    summed = tuple(sum(c.faces[i] for _, c in hours) for i in range(4))
    assert summed == _site_counts_by_hand(ratings, zones, set(kiosk_ids), dst_day, dst_day)[0]


def _shown(numerator, denominator):
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_every_day_on_each_sites_page_equals_the_raw_rows(generated):
    """The site page's day table and the overview's range, in both zones and across both DST days."""
    from tests.helpers.head_office import rows_of

    _, _, _, _, ratings, zones = _oracle(generated)
    browser = _auditor(generated, "auditor-days")
    first, last = START.date(), (START + timedelta(days=DAYS)).date()
    sites = generated.query(lambda m: {s.name: (s.id, {k.id for k in s.kiosks}) for s in m.Site.select()})
    overview = rows_of(browser.get(f"/overview?from={first}&to={last}").text, "site")
    for name, (site_id, kiosk_ids) in sites.items():
        faces, _ = _site_counts_by_hand(ratings, zones, kiosk_ids, first, last)
        assert overview[name]["responses"] == str(sum(faces)), name
        assert overview[name]["satisfaction"].startswith(f"{_shown(faces[2] + faces[3], sum(faces))} %"), name
        days = rows_of(browser.get(f"/sites/{site_id}?from={first}&to={last}").text, "day")
        day = first
        while day <= last:
            faces, _ = _site_counts_by_hand(ratings, zones, kiosk_ids, day, day)
            if sum(faces):
                shown = days[day.isoformat()]
                assert shown["responses"] == str(sum(faces)), (name, day)
                if sum(faces) >= 5:
                    assert shown["satisfaction"].startswith(f"{_shown(faces[2] + faces[3], sum(faces))} %"), (name, day)
            else:
                assert day.isoformat() not in days, (name, day)
            day += timedelta(days=1)


def test_services_providers_and_drivers_equal_the_raw_rows(generated):
    """The portfolio pages over the generated month, against plain Python over the stored rows."""
    from tests.helpers.head_office import rows_of

    _, _, _, _, ratings, zones = _oracle(generated)
    browser = _auditor(generated, "auditor-portfolio")
    first, last = START.date(), (START + timedelta(days=DAYS)).date()
    kiosks = generated.query(lambda m: {k.id: (k.service.name, k.provider.name if k.provider else None)
                                        for k in m.Kiosk.select()})
    in_range = [r for r in ratings.values()
                if not r.filtered and first <= r.occurred_at.astimezone(zones[r.kiosk_id]).date() <= last]
    query = f"from={first}&to={last}&lang=en"
    services = rows_of(browser.get(f"/services?{query}").text, "service")
    providers = rows_of(browser.get(f"/providers?{query}").text, "provider")
    for name, shown, position in [(n, services, 0) for n in services] + [(n, providers, 1) for n in providers]:
        mine = [r for r in in_range if kiosks[r.kiosk_id][position] == name]
        assert shown[name]["responses"] == str(len(mine)), name
        happy = sum(r.rating >= 3 for r in mine)
        assert shown[name]["satisfaction"].startswith(f"{_shown(happy, len(mine))} %"), name
    followups = generated.query(lambda m: [(f.rating_id, f.reason) for f in m.Followup.select()])
    unhappy_reasons = Counter(reason for rating_id, reason in followups
                              if ratings[rating_id] in in_range and ratings[rating_id].rating <= 2)
    drivers = browser.get(f"/drivers?{query}").text
    table = drivers[drivers.index("<h2>Reasons</h2>"):drivers.index("By site")]  # the whole network's reasons
    for reason, count in unhappy_reasons.items():
        share = _shown(count, sum(unhappy_reasons.values()))
        row = table[table.index(f'data-reason="{reason}"'):]
        row = row[:row.index("</tr>")]
        assert f">{count}<" in row and f"{share} %" in row, (reason, count, share)


def test_a_boots_pair_that_comes_after_its_rows_does_not_move_them(network):
    """Rows of a boot whose trusted (wall, monotonic) pair reaches central only in a later batch were
    decided when they arrived: ``uncorrectable``, kept at the kiosk's time and left ``unverified``,
    never guessed. Central decides each row once, at ingest, so it enters the rollups once
    (docs/head-office.md, "Rollups"); the kiosk's uploader declares the pair of every earlier boot with the
    rows it sends (tests/sync), so a real kiosk's rows never arrive ahead of their pair. The rollups equal the raw
    rows with these in them (test_rollups_equal_a_recomputation_from_the_raw_rows)."""
    central, late = network
    held = central.query(lambda m: {r.id: (r.occurred_at, r.time_basis, r.filtered)
                                    for r in m.Rating.select().where(m.Rating.id.in_(list(late)))})
    assert set(held) == set(late)
    moved = {row_id: found for row_id, found in held.items() if found[1:] != ("uncorrectable", "unverified")}
    assert not moved, f"{len(moved)} of {len(late)} rows were decided again after they arrived"
    assert all(held[row_id][0] != moment for row_id, (moment, _) in late.items())  # the kiosk's own (wrong) time
