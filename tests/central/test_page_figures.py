"""Every figure on head office's pages equals a recomputation by hand from the stored rows.

One generated network per backend, sent through real HTTP ingest as kiosks
would send it: two sites in two zones (Helsinki, and St John's at -3:30, a
half-hour zone) over both DST change days of each, in spring and in autumn;
presses filtered as repeats, outside the opening hours or during a pause;
clocks that start untrusted and are corrected by central (from the batch's
own boot, or from an earlier boot's trusted moment the batch declares), or
that nobody ever vouched for; follow-ups in a later batch than their rating,
whole batches sent twice and rows re-sent with other content. A probe kiosk
holds figures that are exact halves, so rounding half up shows.

The pages are fetched over HTTP as a logged-in admin and read like a browser
reads them; what they should say comes from tests/helpers/network.py: plain
Python over the raw ``rating`` and ``followup`` rows, each placed on its
site's local day, with the definitions of docs/manager.md done in whole numbers.
"""
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sync.common.clock import FakeClock
from sync.wire.protocol import format_time
from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.network import (
    DIMENSION_NAMES,
    REASON_GROUPS,
    Period,
    Tally,
    change,
    dimension_of,
    figure_rows,
    half_up,
    hour_specs,
    key_figures,
    next_cells,
    open_at,
    ordered,
    parse_page,
    points_text,
    read_stored,
    start_central,
    unhappy_reasons,
)

#: Central's clock while the pages are read: 03:00 on 3 November in Helsinki, 21:30 on 2 November in St John's,
#: so "today" and "the last 7 days" are different days at the two sites.
NOW = datetime(2026, 11, 3, 1, 0, tzinfo=timezone.utc)
WINDOWS = (  # (first, end, press rate factor): a sparse stretch across the twelve months' first border, spring, autumn
    (datetime(2025, 11, 26, tzinfo=timezone.utc), datetime(2025, 12, 4, tzinfo=timezone.utc), 0.25),
    (datetime(2026, 2, 24, tzinfo=timezone.utc), datetime(2026, 4, 4, tzinfo=timezone.utc), 1.0),
    (datetime(2026, 10, 19, tzinfo=timezone.utc), datetime(2026, 11, 3, 0, 30, tzinfo=timezone.utc), 1.0),
)
SPRING = Period.custom(date(2026, 3, 2), date(2026, 4, 3))  # St John's changes on 8 March, Helsinki on 29 March
AUTUMN = Period.custom(date(2026, 10, 21), date(2026, 11, 2))  # Helsinki on 25 October, St John's on 1 November
PERIODS = (Period.relative("today"), Period.relative("7d"), SPRING, AUTUMN)
TARGET = 70

SITES = {
    "Kamppi": ("Europe/Helsinki", {**{d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri")},
                                   "sat": "10:00-16:00"}),
    "St Johns": ("America/St_Johns", {d: "07:30-21:30" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}),
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class Plan:
    """One kiosk of the network and how its customers answer."""

    name: str
    site: str
    service: str
    provider: str | None
    faces: tuple  # weights of ratings 1..4
    reasons: dict  # reason key -> weight
    per_hour: float  # presses per open hour


PLANS = (
    Plan("kamppi-1", "Kamppi", "checkout", "Palvelu Oy", (1, 1, 3, 6),
         {"staff": 3, "waiting": 4, "outcome": 1, "premises": 1}, 2.2),
    Plan("kamppi-2", "Kamppi", "returns", None, (2, 2, 3, 3),
         {"waiting": 2, "problem_handling": 3, "information": 2, "outcome": 2}, 1.8),
    Plan("stjohns-1", "St Johns", "checkout", "Palvelu Oy", (1, 2, 3, 4),
         {"outcome": 5, "reliability": 2, "staff": 1, "trust": 1}, 1.6),
    Plan("stjohns-2", "St Johns", "information", "Outra Lda", (1, 1, 1, 2),
         {"information": 3, "opening_hours": 2, "outcome": 1}, 0.08),  # a few a week: too few to say
)
#: The probe kiosk: its own service, with exact halves in the spring (2 happy of 16: 12.5 %; Happy Index
#: 100 x 15 / 48 = 31.25; 1 of 8 unhappy reasons the outcome: 12.5 %, 7 of 8 staff: 87.5 %).
PROBE = Plan("kamppi-3", "Kamppi", "lockers", "Outra Lda", (1, 1, 1, 1), {}, 0)
PROBE_SPRING = (datetime(2026, 3, 17, 8, 0, tzinfo=timezone.utc), (3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1),
                ("outcome", "staff", "staff", "staff", "staff", "staff", "staff", "staff"))
PROBE_BEFORE = (datetime(2026, 2, 25, 8, 0, tzinfo=timezone.utc), (1, 2, 4), ("outcome", "staff"))
PROBE_AUTUMN = (datetime(2026, 10, 30, 9, 0, tzinfo=timezone.utc), (4, 2), ("waiting",))


@dataclass
class Boot:
    boot_id: str
    start: datetime
    base: int  # the monotonic reading at start
    trusted_from: datetime | None  # when NTP set the clock (None: never in this boot)
    offset: timedelta  # the wall clock's error until then

    def monotonic(self, moment):
        return float(self.base + int((moment - self.start).total_seconds()))

    def trusted(self, moment):
        return self.trusted_from is not None and moment >= self.trusted_from


@dataclass
class Expected:
    """How central should hold a rating, known from how it was made and sent."""

    occurred_at: datetime
    time_basis: str
    filtered: str | None
    via: str = ""  # for a corrected row: "batch" (its own boot sent it) or "declared" (an earlier boot's pair)


@dataclass
class Sent:
    """What the generator knows about the rows it sent."""

    truth: dict = field(default_factory=dict)  # rating id -> (real moment, boot, kiosk filter, recorded_at)
    expected: dict = field(default_factory=dict)  # rating id -> Expected (from its first delivery)
    conflicts: int = 0
    duplicates: int = 0


class SimulatedKiosk:
    """A kiosk as the uploader behaves: rows pending in seq order, batches from the current boot,
    declaring the trusted moments of the boots its rows come from."""

    def __init__(self, central, plan, token, device_id, rng, sent):
        self.central, self.plan, self.token, self.device_id, self.rng, self.sent = (central, plan, token, device_id,
                                                                                   rng, sent)
        self.zone_hours = SITES[plan.site][1]
        self.zone = ZoneInfo(SITES[plan.site][0])
        self.seq, self.boots, self.boot = 0, [], None
        self.ratings, self.followups, self.later_followups = [], [], []

    def reboot(self, moment):
        """A new boot: its clock trusted at once, set by NTP some hours later, or never set."""
        if self.boot is not None and self.boot.trusted_from is not None and self.boot.trusted_from > moment:
            self.boot.trusted_from = None  # switched off before the clock was ever set
        roll = self.rng.random()
        if roll < 0.6:
            trusted_from = moment
        elif roll < 0.93:
            trusted_from = moment + timedelta(seconds=self.rng.randint(3600, 8 * 3600))
        else:
            trusted_from = None
        self.boot = Boot(f"{self.plan.name}-boot-{len(self.boots) + 1}", moment, self.rng.randint(20, 90),
                         trusted_from, timedelta(days=-self.rng.randint(1, 40), seconds=self.rng.randint(0, 86399)))
        self.boots.append(self.boot)

    def press(self, moment, rating=None, reason=None, kiosk_filter="decide"):
        """One rating at real *moment*, filtered as the recorder would (*kiosk_filter* given: as told), and
        perhaps its follow-up (*reason* False: none)."""
        boot, self.seq = self.boot, self.seq + 1
        trusted = boot.trusted(moment)
        rating = rating or self.rng.choices((1, 2, 3, 4), weights=self.plan.faces)[0]
        if kiosk_filter == "decide":
            roll = self.rng.random()
            if roll < 0.07:
                kiosk_filter = "repeat"
            elif roll < 0.09:
                kiosk_filter = "closed"  # the manager paused the kiosk: closed whatever the clock says
            elif not trusted:
                kiosk_filter = "unverified"
            else:
                kiosk_filter = None if open_at(self.zone_hours, self.zone, moment) else "closed"
        recorded_at = moment if trusted else moment + boot.offset
        row = rating_row(self.seq, recorded_at=recorded_at, monotonic=boot.monotonic(moment), rating=rating,
                         source=self.rng.choice(("touch", "button")), clock_trusted=trusted, boot_id=boot.boot_id,
                         filtered=kiosk_filter)
        self.sent.truth[row["id"]] = (moment, boot, kiosk_filter, recorded_at)
        self.ratings.append(row)
        if reason is None and self.plan.reasons and self.rng.random() < (0.55 if rating <= 2 else 0.2):
            reason = self.rng.choices(list(self.plan.reasons), weights=list(self.plan.reasons.values()))[0]
        if reason:
            followup = followup_row(row, reason=reason, reason_group=REASON_GROUPS[reason],
                                    comment=self.rng.choice((None, None, "kiitos")))
            # Some answers reach the outbox after the batch their rating went in.
            (self.later_followups if self.rng.random() < 0.3 else self.followups).append(followup)

    def send(self, moment):
        """Post what is pending as sent at *moment* (real time); then, at times, the same again."""
        if not self.ratings and not self.followups:
            self.followups, self.later_followups = self.later_followups, []
            return
        boot = self.boot
        cited = {row["boot_id"] for row in self.ratings + self.followups}
        declared = [{"boot_id": b.boot_id, "trusted_wall": format_time(b.trusted_from),
                     "trusted_monotonic": b.monotonic(b.trusted_from)}
                    for b in self.boots if b.boot_id in cited and b.trusted(moment)]
        trusted = boot.trusted(moment)
        document = batch(self.device_id, self.ratings, self.followups,
                         sent_at=moment if trusted else moment + boot.offset, monotonic=boot.monotonic(moment),
                         boot_id=boot.boot_id, clock_trusted=trusted, boots=declared)
        self._post(document, moment)
        for row in self.ratings:
            self.sent.expected[row["id"]] = self._expected(row, boot, {d["boot_id"] for d in declared})
        if self.rng.random() < 0.12:  # the answer was lost: the uploader sends it all again
            self._post(dict(document, batch_id=str(uuid.uuid4())), moment + timedelta(minutes=1))
            self.sent.duplicates += 1
        if self.rng.random() < 0.08 and self.ratings:  # a row again with other content: a conflict, never counted
            changed = dict(self.ratings[0], rating=5 - self.ratings[0]["rating"])
            self._post(batch(self.device_id, [changed], sent_at=moment, monotonic=boot.monotonic(moment),
                             boot_id=boot.boot_id, clock_trusted=trusted), moment + timedelta(minutes=2))
            self.sent.conflicts += 1
        self.ratings, self.followups, self.later_followups = [], self.later_followups, []

    def _post(self, document, moment):
        self.central.clock.set_wall(moment)
        response = self.central.post_batch(self.token, document)
        assert response.status_code == 200 and not response.json()["rejected"], response.text

    def _expected(self, row, batch_boot, declared):
        moment, boot, kiosk_filter, recorded_at = self.sent.truth[row["id"]]
        if row["clock_trusted"]:
            return Expected(moment, "kiosk", kiosk_filter)
        if boot is batch_boot or boot.boot_id in declared:
            if kiosk_filter == "unverified":
                kiosk_filter = None if open_at(self.zone_hours, self.zone, moment) else "closed"
            return Expected(moment, "corrected", kiosk_filter, "batch" if boot is batch_boot else "declared")
        return Expected(recorded_at, "uncorrectable", kiosk_filter)


def _presses(kiosk, rng, first, end, factor):
    """A stretch of presses: busy in opening hours, a few at night; reboots now and then; a batch every few
    dozen presses, and whatever is pending at the end."""
    kiosk.reboot(first)
    moment = first + timedelta(seconds=rng.randint(60, 3600))
    batch_size = rng.randint(10, 40)
    while moment < end:
        is_open = open_at(kiosk.zone_hours, kiosk.zone, moment)
        if rng.random() < (1.0 if is_open else 0.08):
            boot = kiosk.boot
            set_late = boot.trusted_from is not None and boot.trusted_from > boot.start
            if rng.random() < 0.01 or (set_late and boot.trusted(moment) and rng.random() < 0.6 and any(
                    not row["clock_trusted"] and row["boot_id"] == boot.boot_id for row in kiosk.ratings)):
                # Switched off now and then; sometimes just after NTP set the clock, with the rows of the
                # untrusted stretch still waiting: the next boot sends them, declaring this boot's trusted moment.
                kiosk.reboot(moment - timedelta(seconds=30))
            kiosk.press(moment)
            if len(kiosk.ratings) >= batch_size:
                moment += timedelta(seconds=rng.randint(30, 600))
                kiosk.send(moment)
                batch_size = rng.randint(10, 40)
        moment += timedelta(seconds=max(1, int(rng.expovariate(kiosk.plan.per_hour * factor) * 3600)))
    kiosk.send(end)
    kiosk.send(end + timedelta(minutes=1))  # the follow-ups that were still on their way


def _probe(kiosk, start, faces, reasons):
    """Deterministic presses, one a minute, trusted and in opening hours; the first unhappy ones give *reasons*."""
    kiosk.reboot(start - timedelta(hours=1))
    kiosk.boot.trusted_from = kiosk.boot.start
    unhappy = 0
    for n, rating in enumerate(faces):
        reason = None
        if rating <= 2 and unhappy < len(reasons):
            reason, unhappy = reasons[unhappy], unhappy + 1
        kiosk.press(start + timedelta(minutes=n), rating=rating, reason=reason or False, kiosk_filter=None)
    kiosk.followups += kiosk.later_followups
    kiosk.later_followups = []
    kiosk.send(start + timedelta(minutes=len(faces) + 1))


def _build(central, rng):
    """The organisation through the real commands, then every kiosk's traffic through real ingest."""
    for name, (zone, hours) in SITES.items():
        central.add_site(name, zone, hours=hour_specs(hours))
    central.ok("set-target", str(TARGET))
    sent = Sent()
    for plan in (*PLANS, PROBE):
        token, device_id = central.enrolled_kiosk(plan.name, site=plan.site, service=plan.service,
                                                  provider=plan.provider)
        kiosk = SimulatedKiosk(central, plan, token, device_id, rng, sent)
        if plan is PROBE:
            for start, faces, reasons in (PROBE_BEFORE, PROBE_SPRING, PROBE_AUTUMN):
                _probe(kiosk, start, faces, reasons)
            continue
        for first, end, factor in WINDOWS:
            _presses(kiosk, rng, first, end, factor)
    return sent


@dataclass
class Network:
    """The built network: its central, an admin's browser session, the stored rows and what was sent."""

    central: object
    browser: object
    stored: object
    sent: Sent

    def page(self, path):
        """The page at *path* in English, parsed; anything but a 200 fails the test."""
        response = self.browser.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return parse_page(response.text)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def network(request, tmp_path_factory):
    """The generated network on one backend, built once for every test of this module (they only read it)."""
    central = start_central(request, tmp_path_factory, FakeClock(WINDOWS[0][0]))
    try:
        sent = _build(central, random.Random(20261103))
        central.clock.set_wall(NOW)
        password, _ = central.add_user("auditor", "admin")
        browser = central.log_in("auditor", password)
        yield Network(central, browser, read_stored(central), sent)
        browser.close()
    finally:
        central.close()


class Findings:
    """Every difference between a page and the raw rows, reported together."""

    def __init__(self):
        self.problems, self.checked = [], 0
        self.seen = Counter()

    def same(self, where, got, expected):
        self.checked += 1
        if got != expected:
            self.problems.append(f"{where}: the page shows {got!r}, the raw rows give {expected!r}")

    def done(self):
        assert not self.problems, f"{len(self.problems)} of {self.checked} figures differ:\n" + "\n".join(
            self.problems[:80])


def _site_days(stored, period):
    return lambda site: period.days(stored.zone(site), NOW)


def _previous_days(stored, period):
    return lambda site: period.previous(stored.zone(site), NOW)


def _check_row(findings, where, row, shown, rules, now, before, trend=True):
    """A table row's responses, satisfaction (red and marked "below" under the target), Happy Index and trend.

    A day's row has no trend (its period is the day) and is not marked as a whole, only its satisfaction."""
    findings.same(f"{where} responses", shown.get("responses"), str(now.counted))
    findings.same(f"{where} satisfaction", shown.get("satisfaction"), rules.satisfaction_cell(now))
    findings.same(f"{where} Happy Index", shown.get("happy_index"), rules.happy_index_cell(now))
    cell = row.one(data_figure="satisfaction")
    findings.same(f"{where} satisfaction in red", cell.find("span", cls="below") is not None, rules.below(now))
    findings.same(f"{where} satisfaction in green", cell.find("span", cls="met") is not None,
                  rules.satisfaction(now) is not None and not rules.below(now))
    if trend:
        findings.same(f"{where} trend", shown.get("trend"), rules.trend_cell(now, before))
        findings.same(f"{where} row marked below target", "row--below" in row.classes, rules.below(now))
    findings.seen["too few" if rules.satisfaction(now) is None else "below" if rules.below(now) else "met"] += 1


def _check_key_figures(findings, where, page, rules, now, before):
    shown, classes = key_figures(page)
    findings.same(f"{where} key responses", shown["responses"], str(now.counted))
    findings.same(f"{where} key satisfaction", shown["satisfaction"], rules.satisfaction_kpi(now))
    findings.same(f"{where} key Happy Index", shown["happy_index"], rules.happy_index_cell(now))
    findings.same(f"{where} key trend", shown["trend"], rules.trend_cell(now, before))
    findings.same(f"{where} key satisfaction below target", "kpi--below" in classes["satisfaction"], rules.below(now))
    findings.same(f"{where} key satisfaction on target", "kpi--met" in classes["satisfaction"],
                  rules.satisfaction(now) is not None and not rules.below(now))


# -- the rows as central holds them -------------------------------------------------------------

def test_every_row_is_placed_and_decided_as_the_kiosk_sent_it(network):
    """The oracle trusts the stored time and filter, so check them first against how each row was made:
    the kiosk's trusted time, a correction from the batch's boot or a declared earlier boot, or none."""
    stored = {r.id: r for r in network.stored.ratings}
    assert set(stored) == set(network.sent.expected)
    wrong = []
    for rating_id, expected in network.sent.expected.items():
        got = stored[rating_id]
        if (got.occurred_at, got.time_basis, got.filtered) != (expected.occurred_at, expected.time_basis,
                                                               expected.filtered):
            wrong.append((rating_id, (got.occurred_at, got.time_basis, got.filtered), expected))
    assert not wrong, f"{len(wrong)} rows held otherwise than sent, e.g. {wrong[:5]}"
    bases = Counter(e.time_basis for e in network.sent.expected.values())
    filters = Counter(e.filtered for e in network.sent.expected.values())
    assert bases["corrected"] > 30 and bases["uncorrectable"] > 5 and bases["kiosk"] > 1000, bases
    assert Counter(e.via for e in network.sent.expected.values())["declared"] > 5
    decided = Counter(e.filtered for e in network.sent.expected.values() if e.time_basis == "corrected")
    assert decided[None] and decided["closed"], decided  # unverified rows central counted, and closed by the hours
    assert all(filters[name] > 10 for name in (None, "repeat", "closed", "unverified")), filters
    assert network.sent.duplicates and network.sent.conflicts
    assert network.central.count("Conflict") >= network.sent.conflicts


# -- the overview -------------------------------------------------------------------------------

@pytest.mark.parametrize("narrowed", ["all", "service", "provider"])
def test_the_overview_equals_the_raw_rows(network, narrowed):
    """Each site's row and the network's key figures, in each site's own local days, against the previous
    period of the same length; narrowed by a service or a provider as the filter bar does."""
    stored, findings = network.stored, Findings()
    rules = stored.rules
    choice, kiosks = "", None
    if narrowed == "service":
        choice, kiosks = f"&service={stored.services['checkout']}", stored.kiosks_where(service="checkout")
    elif narrowed == "provider":
        choice, kiosks = f"&provider={stored.providers['Palvelu Oy']}", stored.kiosks_where(provider="Palvelu Oy")
    for period in (*PERIODS, Period.relative("30d")):
        page = network.page(f"/overview?{period.query}{choice}")
        current = stored.select(_site_days(stored, period), kiosks)
        previous = stored.select(_previous_days(stored, period), kiosks)
        rows = figure_rows(page.one("table", id="sites"), "site")
        findings.same(f"{period.query} sites listed", sorted(rows), sorted(stored.sites))
        below = 0
        for site in stored.sites:
            now = stored.tally(r for r in current if r.site == site)
            before = stored.tally(r for r in previous if r.site == site)
            row, shown = rows.get(site, (None, {}))
            if row is not None:
                _check_row(findings, f"{period.query}{choice} {site}", row, shown, rules, now, before)
            below += rules.below(now)
        _check_key_figures(findings, f"{period.query}{choice}", page, rules, stored.tally(current),
                           stored.tally(previous))
        badge = page.one(cls="page-head").find(cls="badge--below")
        findings.same(f"{period.query}{choice} sites below target", badge.text() if badge else None,
                      None if not below else f"{below} site{'s' if below > 1 else ''} below target")
    findings.done()
    if narrowed == "all":
        assert findings.seen["below"] and findings.seen["met"] and findings.seen["too few"], findings.seen


# -- a site, its kiosks, days, twelve months and the weekday x hour map ---------------------------

def _months(today):
    first = date(today.year - (today.month <= 11), (today.month - 12) % 12 + 1, 1)
    months = []
    while first <= today:
        months.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return months


def _heat_cells(stored, site, kiosks, first, last):
    """``{(weekday, local hour): Tally}`` from each counted rating's UTC hour shown at its local start, over
    the UTC hours from the one the first day starts in to the last one starting before the period ends
    (in a half-hour zone the first and last hold half an hour of the neighbouring days)."""
    zone = stored.zone(site)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(timezone.utc)
    start = start.replace(minute=0)
    cells = {}
    for r in stored.ratings:
        if r.kiosk in kiosks and not r.filtered:
            hour = r.occurred_at.replace(minute=0, second=0, microsecond=0)
            if start <= hour < end:
                local = hour.astimezone(zone)
                cells.setdefault((local.weekday(), local.hour), Tally()).add(r)
    return cells


def _check_site_page(findings, network, site, period, kiosk=None, service=None):
    stored, rules = network.stored, network.stored.rules
    site_id = stored.sites[site][0]
    query = f"/sites/{site_id}?{period.query}"
    if kiosk:
        query += f"&kiosk={stored.kiosks[kiosk].id}"
    if service:
        query += f"&service={stored.services[service]}"
    page = network.page(query)
    where = query
    listed = stored.kiosks_where(site=site, service=service)
    scope = {kiosk} if kiosk else listed
    first, last = _site_days(stored, period)(site)
    current = stored.select(_site_days(stored, period), scope)
    previous = stored.select(_previous_days(stored, period), scope)
    _check_key_figures(findings, where, page, rules, stored.tally(current), stored.tally(previous))

    rows = figure_rows(page.one("table", id="kiosks"), "kiosk")
    findings.same(f"{where} kiosks listed", sorted(rows), sorted(listed))
    for name in listed & set(rows):
        row, shown = rows[name]
        now = stored.tally(stored.select(_site_days(stored, period), {name}))
        before = stored.tally(stored.select(_previous_days(stored, period), {name}))
        _check_row(findings, f"{where} kiosk {name}", row, shown, rules, now, before)

    days = figure_rows(page.one("table", id="days"), "day")
    with_rows = sorted({r.day for r in current}, reverse=True)
    findings.same(f"{where} days listed", list(days), [d.isoformat() for d in with_rows])
    for day in with_rows:
        row, shown = days.get(day.isoformat(), (None, {}))
        if row is None:
            continue
        tally = stored.tally(r for r in current if r.day == day)
        _check_row(findings, f"{where} day {day}", row, shown, rules, tally, None, trend=False)
        findings.same(f"{where} day {day} left out", shown.get("left_out"), str(sum(tally.left_out.values())))

    today = NOW.astimezone(stored.zone(site)).date()
    points = {g.attrs["data-month"]: g for g in page.find_all("g", data_month=True)}
    months = _months(today)
    findings.same(f"{where} months", list(points), [m.isoformat()[:7] for m in months])
    month_scope = [r for r in stored.ratings if r.kiosk in scope and months[0] <= r.day <= today]
    for month in months:
        g = points.get(month.isoformat()[:7])
        if g is None:
            continue
        tally = stored.tally(r for r in month_scope if (r.day.year, r.day.month) == (month.year, month.month))
        shown = rules.satisfaction(tally)
        findings.same(f"{where} month {month:%Y-%m}", g.title(),
                      f"{MONTHS[month.month - 1]} {month.year}: "
                      f"{'too few' if shown is None else f'{shown} %'} ({tally.counted})")
        dot = g.find("circle")
        findings.same(f"{where} month {month:%Y-%m} dot", dot is not None, shown is not None)
        if dot is not None and shown is not None:
            findings.same(f"{where} month {month:%Y-%m} height", round(float(dot.attrs["cy"]), 1),
                          round(220 - 28 - 180 * shown / 100, 1))
        findings.seen["month too few" if shown is None else "month"] += 1

    cells = _heat_cells(stored, site, scope, first, last)
    hours = sorted({hour for (_, hour), tally in cells.items() if tally.counted})
    table = page.find("table", cls="heatmap")
    findings.same(f"{where} heat map hours", [int(th.text()) for th in table.find("thead").find_all("th")[1:]]
                  if table else [], hours)
    if table is not None:
        for row in table.find_all("tr", data_weekday=True):
            weekday = int(row.attrs["data-weekday"])
            for cell in row.find_all("td", data_hour=True):
                hour = int(cell.attrs["data-hour"])
                tally = cells.get((weekday, hour))
                counted = tally.counted if tally else 0
                shown = rules.satisfaction(tally) if counted else None
                text = "" if not counted else "·" if shown is None else str(shown)
                # Bands against the target: at or over it green, up to 10 points under it amber.
                shade = ("heat-none" if not counted else "heat-few" if shown is None else "heat-good"
                         if shown >= TARGET else "heat-mid" if shown >= TARGET - 10 else "heat-bad")
                at = f"{where} heat map {weekday}/{hour:02d}"
                findings.same(f"{at} text", cell.text(), text)
                findings.same(f"{at} title", cell.attrs.get("title"),
                              f"{counted}" + (f" · {shown} %" if shown is not None else ""))
                findings.same(f"{at} shade", cell.attrs.get("class"), shade)
                findings.seen["heat cell"] += 1
        findings.same(f"{where} heat map weekdays", [r.attrs["data-weekday"] for r in
                                                     table.find_all("tr", data_weekday=True)],
                      [str(n) for n in range(7)])


@pytest.mark.parametrize("site", list(SITES))
def test_a_sites_page_equals_the_raw_rows(network, site):
    """Key figures, every kiosk's row, every day of the period, twelve months and the weekday x hour map,
    for the site and for each of its kiosks, in spring and autumn (both DST days) and the last 7 days."""
    findings = Findings()
    for period in PERIODS[1:]:
        _check_site_page(findings, network, site, period)
        for kiosk in sorted(network.stored.kiosks_where(site=site)):
            _check_site_page(findings, network, site, period, kiosk=kiosk)
    _check_site_page(findings, network, site, SPRING, service="checkout")
    findings.done()
    assert findings.seen["heat cell"] > 100 and findings.seen["month"] and findings.seen["month too few"]


# -- a day, hour by hour ------------------------------------------------------------------------

def _hour_bars(stored, site, kiosks, day):
    """``[(label, Tally)]``: each UTC hour that overlaps the local day, labelled at its local start."""
    zone = stored.zone(site)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(timezone.utc)
    hour, bars = start.replace(minute=0), []
    by_hour = {}
    for r in stored.ratings:
        if r.kiosk in kiosks and not r.filtered:
            by_hour.setdefault(r.occurred_at.replace(minute=0, second=0, microsecond=0), []).append(r)
    while hour < end:
        local = hour.astimezone(zone)
        tally = Tally()
        for r in by_hour.get(hour, ()):
            tally.add(r)
        bars.append((local.strftime("%H:%M") if local.minute else local.strftime("%H"), tally))
        hour += timedelta(hours=1)
    return bars


def _check_day_page(findings, network, site, day, kiosk=None):
    stored, rules = network.stored, network.stored.rules
    query = f"/sites/{stored.sites[site][0]}/days/{day.isoformat()}"
    if kiosk:
        query += f"?kiosk={stored.kiosks[kiosk].id}"
    page = network.page(query)
    scope = {kiosk} if kiosk else stored.kiosks_where(site=site)
    of_day = [r for r in stored.ratings if r.kiosk in scope and r.day == day]
    before = [r for r in stored.ratings if r.kiosk in scope and r.day == day - timedelta(days=1)]
    _check_key_figures(findings, query, page, rules, stored.tally(of_day), stored.tally(before))
    expected = _hour_bars(stored, site, scope, day)
    chart = page.find("svg", cls="chart")
    if not any(tally.counted for _, tally in expected):
        findings.same(f"{query} chart", chart is None, True)
        return expected
    groups = [g for g in chart.find_all("g") if g.title() is not None]
    ticks = [int(t.text()) for t in chart.children if getattr(t, "tag", None) == "text"]
    top = max(ticks)
    findings.same(f"{query} bars", [g.one("text").text() for g in groups], [label for label, _ in expected])
    findings.same(f"{query} scale holds the tallest bar", top >= max(t.counted for _, t in expected), True)
    for g, (label, tally) in zip(groups, expected, strict=False):
        shown = rules.satisfaction(tally)
        findings.same(f"{query} bar {label}", g.title(),
                      f"{label}: {tally.counted}" + (f" · {shown} %" if shown is not None else ""))
        segments = [(int(rect.attrs["class"].removeprefix("face-")), float(rect.attrs["height"]))
                    for rect in g.find_all("rect")]
        findings.same(f"{query} bar {label} faces", segments,
                      [(face, round(180 * tally.faces[face] / top, 1)) for face in (1, 2, 3, 4) if tally.faces[face]])
    return expected


def test_every_days_hours_equal_the_raw_rows(network):
    """Each local day with any rating at either site: its key figures (trend against the day before) and its
    hour bars, stacked by face; a DST day has 23 or 25 local hours (in St John's, whose UTC hours start at
    local half past, also the UTC hour the day starts in: 24 and 26 bars)."""
    stored, findings = network.stored, Findings()
    for site in stored.sites:
        days = sorted({r.day for r in stored.ratings if r.site == site and not r.filtered})
        assert len(days) > 50, (site, len(days))
        for day in days:
            _check_day_page(findings, network, site, day)
    dst = {("Kamppi", date(2026, 3, 29)): 23, ("Kamppi", date(2026, 10, 25)): 25,
           ("St Johns", date(2026, 3, 8)): 24, ("St Johns", date(2026, 11, 1)): 26}
    for (site, day), bars in dst.items():
        expected = _check_day_page(findings, network, site, day)
        findings.same(f"{site} {day} bars", len(expected), bars)
        for kiosk in sorted(stored.kiosks_where(site=site)):
            _check_day_page(findings, network, site, day, kiosk=kiosk)
    labels = [label for label, _ in _hour_bars(stored, "Kamppi", stored.kiosks_where(site="Kamppi"),
                                               date(2026, 3, 29))]
    assert labels == ["00", "01", "02", *(f"{h:02d}" for h in range(4, 24))]
    labels = [label for label, _ in _hour_bars(stored, "Kamppi", stored.kiosks_where(site="Kamppi"),
                                               date(2026, 10, 25))]
    assert labels == ["00", "01", "02", "03", "03", *(f"{h:02d}" for h in range(4, 24))]
    findings.done()


# -- services and providers ---------------------------------------------------------------------

def test_services_and_providers_equal_the_raw_rows(network):
    """Each service and provider with its trend, the sites where a service is below target, the service x site
    matrix, and whether a provider lifts or drags the brand."""
    stored, findings = network.stored, Findings()
    rules = stored.rules
    for period in PERIODS:
        current = stored.select(_site_days(stored, period))
        previous = stored.select(_previous_days(stored, period))
        page = network.page(f"/services?{period.query}")
        table = page.one("table", id="services")
        rows = figure_rows(table, "service")
        findings.same(f"{period.query} services listed", sorted(rows), sorted(stored.services))
        for service in stored.services:
            kiosks = stored.kiosks_where(service=service)
            now = stored.tally(r for r in current if r.kiosk in kiosks)
            before = stored.tally(r for r in previous if r.kiosk in kiosks)
            row, shown = rows.get(service, (None, {}))
            if row is None:
                continue
            _check_row(findings, f"services {period.query} {service}", row, shown, rules, now, before)
            below = [site for site in sorted(stored.sites)
                     if rules.below(stored.tally(r for r in current if r.kiosk in kiosks and r.site == site))]
            cell = row.one(data_figure="below_sites")
            findings.same(f"services {period.query} {service} sites below target",
                          [badge.text() for badge in cell.find_all("span", cls="badge--below")], below)
        footer = [cell.text() for cell in table.one("tfoot").one("tr").cells()]
        total, total_before = stored.tally(current), stored.tally(previous)
        findings.same(f"services {period.query} all services", footer[1:5],
                      [str(total.counted), rules.satisfaction_cell(total), rules.happy_index_cell(total),
                       rules.trend_cell(total, total_before)])
        matrix = page.find("table", id="matrix")
        if matrix is not None:
            columns = [th.text() for th in matrix.one("thead").find_all("th")[1:]]
            findings.same(f"services {period.query} matrix sites", columns, sorted(stored.sites))
            for tr in matrix.one("tbody").find_all("tr"):
                service = tr.cells()[0].text()
                kiosks = stored.kiosks_where(service=service)
                for site, cell in zip(columns, tr.cells()[1:], strict=True):
                    tally = stored.tally(r for r in current if r.kiosk in kiosks and r.site == site)
                    findings.same(f"services {period.query} matrix {service} at {site}", cell.text(),
                                  f"{rules.satisfaction_cell(tally)} ({tally.counted})" if tally.counted else "–")

        page = network.page(f"/providers?{period.query}")
        rows = figure_rows(page.one("table", id="providers"), "provider")
        findings.same(f"{period.query} providers listed", sorted(rows), sorted(stored.providers))
        total_shown = rules.satisfaction(total)
        brand = page.one(cls="page-head").one("div", cls="kpi")
        findings.same(f"providers {period.query} brand", brand.one(cls="kpi__value").text(),
                      rules.satisfaction_cell(total))
        for provider in stored.providers:
            kiosks = stored.kiosks_where(provider=provider)
            now = stored.tally(r for r in current if r.kiosk in kiosks)
            before = stored.tally(r for r in previous if r.kiosk in kiosks)
            row, shown = rows.get(provider, (None, {}))
            if row is None:
                continue
            shown["happy_index"], shown["trend"] = next_cells(row, "satisfaction", 2)
            _check_row(findings, f"providers {period.query} {provider}", row, shown, rules, now, before)
            mine = rules.satisfaction(now)
            if mine is None or total_shown is None:
                against = "–"
            elif mine > total_shown:
                against = f"▲ lifts +{mine - total_shown} pts"
            elif mine < total_shown:
                against = f"▼ drags {mine - total_shown} pts"
            else:
                against = "on the brand's level"
            findings.same(f"providers {period.query} {provider} against the brand", shown.get("against"), against)
    findings.done()


# -- drivers ------------------------------------------------------------------------------------

def _check_reason_table(findings, where, table, now, before):
    rows = {tr.attrs["data-reason"]: tr for tr in table.find_all("tr", data_reason=True)} if table else {}
    findings.same(f"{where} reasons", list(rows), ordered(now.reasons))
    for reason, tr in rows.items():
        cells = [cell.text() for cell in tr.cells()]
        if reason not in now.reasons:
            continue
        findings.same(f"{where} {reason} dimension", cells[1].endswith(DIMENSION_NAMES[dimension_of(
            REASON_GROUPS[reason])]), True)
        findings.same(f"{where} {reason}", cells[2:5],
                      [str(now.reasons[reason]), f"{now.share(now.reasons[reason])} %",
                       points_text(change(now, before, "reasons", reason))])


@pytest.mark.parametrize("by", ["site", "service", "provider"])
def test_the_drivers_equal_the_raw_rows(network, by):
    """Among unhappy counted ratings: each reason, group and dimension (what against how) with its share and
    its change against the previous period, for the whole network and per site, service or provider."""
    stored, findings = network.stored, Findings()
    attribute = {"site": "site", "service": "service", "provider": "provider"}[by]
    for period in PERIODS:
        page = network.page(f"/drivers?{period.query}&by={by}")
        current = stored.select(_site_days(stored, period))
        previous = stored.select(_previous_days(stored, period))
        now, before = unhappy_reasons(stored, current), unhappy_reasons(stored, previous)
        where = f"drivers {period.query}"
        cards = {card.find("h2").text(): card for card in page.find_all("section", cls="card") if card.find("h2")}
        split = cards["What or how"].find(data_figure="dimensions")
        if not now.total:
            findings.same(f"{where} split", split, None)
        else:
            parts = [part.text() for part in split.find_all("div", cls="split__part")]
            findings.same(f"{where} what or how", parts, [
                f"{now.share(now.dimensions[d])} % {DIMENSION_NAMES[d]} ({now.dimensions[d]}, "
                f"{points_text(change(now, before, 'dimensions', d))})" for d in ("technical", "functional")])
            groups = {tr.attrs["data-group"]: [c.text() for c in tr.cells()]
                      for tr in cards["What or how"].find_all("tr", data_group=True)}
            findings.same(f"{where} groups", list(groups), ordered(now.groups))
            for group, cells in groups.items():
                findings.same(f"{where} group {group}", cells[1:], [
                    str(now.groups[group]), f"{now.share(now.groups[group])} %",
                    points_text(change(now, before, "groups", group))])
        _check_reason_table(findings, where, cards["Reasons"].find("table"), now, before)

        def owner(rating):
            return getattr(stored.kiosks[rating.kiosk], attribute)

        things = sorted({owner(r) for r in current + previous if owner(r) is not None}, key=str.lower)
        details = {d.attrs["data-name"]: d for d in page.find_all("details", cls="driver-group")}
        findings.same(f"{where} by {by}", list(details), things)
        for thing in things:
            if thing not in details:
                continue
            mine_now = unhappy_reasons(stored, [r for r in current if owner(r) == thing])
            mine_before = unhappy_reasons(stored, [r for r in previous if owner(r) == thing])
            shares = " · ".join(f"{DIMENSION_NAMES[d]} "
                                f"{mine_now.share(mine_now.dimensions[d]) if mine_now.total else '–'} %"
                                for d in ("technical", "functional"))
            plural = "" if mine_now.total == 1 else "s"
            findings.same(f"{where} {thing} summary", details[thing].one("summary").text(),
                          f"{thing} · {mine_now.total} unhappy follow-up{plural} · {shares}")
            _check_reason_table(findings, f"{where} {thing}", details[thing].find("table"), mine_now, mine_before)
            findings.seen["with reasons" if mine_now.total else "without"] += 1
    findings.done()
    assert findings.seen["with reasons"], findings.seen


# -- the exact halves ---------------------------------------------------------------------------

def test_exact_halves_round_up_on_every_page(network):
    """The probe kiosk's spring: 2 happy of 16 is exactly 12.5 % (shown 13 %, not 12 as halves to even
    would), its Happy Index exactly 31.25 (shown 31.3; Python's round(31.25, 1) says 31.2), and its unhappy
    reasons 1 and 7 of 8 (13 % and 88 %)."""
    stored = network.stored
    assert half_up(100 * 2, 16) == 13 and half_up(1000 * 15, 48) == 313 and round(31.25, 1) == 31.2
    kamppi = stored.sites["Kamppi"][0]
    site = network.page(f"/sites/{kamppi}?{SPRING.query}")
    row, shown = figure_rows(site.one("table", id="kiosks"), "kiosk")["kamppi-3"]
    assert (shown["responses"], shown["satisfaction"], shown["happy_index"]) == ("16", "13 % ↓ below", "31.3")
    services = network.page(f"/services?{SPRING.query}")
    _, shown = figure_rows(services.one("table", id="services"), "service")["lockers"]
    assert (shown["satisfaction"], shown["happy_index"]) == ("13 % ↓ below", "31.3")
    drivers = network.page(f"/drivers?{SPRING.query}&by=service")
    lockers = drivers.one("details", data_name="lockers")
    shares = {tr.attrs["data-reason"]: tr.cells()[3].text() for tr in lockers.find_all("tr", data_reason=True)}
    assert shares == {"staff": "88 %", "outcome": "13 %"}
    assert lockers.one("summary").text().endswith("Technical: what 13 % · Functional: how 88 %")
