"""The head-office half of ``hymy demo``: a year of a small brand's network on the demo central.

Three sites in two time zones (Helsinki and Stockholm), two services, two providers and six
kiosks. The demo kiosk is Helsinki Kamppi's first kiosk (its checkout): central holds its year
up to the days the demo kiosk records itself, so the kiosk's own days continue its history
(kiosk/cli/demo.py). Beside it, five seeded kiosks: one has gone silent, one has run with a clock
a day off for the last days (its ratings arrive corrected by central), and a rule watching
Tampere has one alert open.

Each kiosk's customers follow the demo's traffic model (sync/central/cli/demo_traffic.py): the shape
of a day, quieter weekends, the seasons, day-to-day noise, a slow trend and a few bad days. The
figures differ by site and provider on purpose: one provider lifts the brand, the other drags
it, Tampere's checkout is slipping (waiting times lead its drivers) while Stockholm's is
getting better.

A year is about 170,000 ratings. They are written the way central stores a kiosk's batches, in
bulk and in one transaction (:func:`sync.central.store.seed.store_history`: ingest's own insert,
rollups and sequence marks, without checking again rows made right here), in about half the
time central's batch-by-batch ingest takes for them (measured: 33,000 ratings in 0.8 s against
1.6 s), so ``hymy demo`` prints its addresses in seconds (8 s on a quiet two-core machine). The
rows whose time central has to correct, the clock-off kiosk's recent days, go through central's
real ingest, batch by batch, as the kiosk would send them.
"""
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from sync.central.alerts import episodes as alerts
from sync.central.cli.demo_traffic import YEAR_DAYS, BadDay, Counter, Lift
from sync.central.ingest.batch import ingest_batch
from sync.central.org import registry as org
from sync.central.org.actions import checked_action, record_action
from sync.central.store.db import connection, write_transaction
from sync.central.store.models import Kiosk, KioskStatus, Site
from sync.central.store.seed import store_history
from sync.common.zones import site_zone
from sync.wire.defaults import DEFAULT_QUESTION_ID, DEFAULT_REASONS
from sync.wire.protocol import check_envelope, format_time

#: How many days of history central holds (today comes on top).
NETWORK_DAYS = YEAR_DAYS
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
GROUP_OF = {reason.key: reason.group for reason in DEFAULT_REASONS}


@dataclass(frozen=True)
class SeededKiosk:
    """A kiosk of the network: its counter's customers, where it stands, and what its customers say."""

    counter: Counter
    site: str
    service: str
    provider: str
    reasons: tuple[str, ...]  # the reasons unhappy customers give, most common first
    happy_reasons: tuple[str, ...] = ("staff", "outcome", "premises")
    silent_hours: int = 0  # hours since it last reached central
    clock_off_days: int = 0  # how far its clock runs behind, for the last CLOCK_OFF_FOR days

    @property
    def name(self) -> str:
        return self.counter.name


#: A clock that ran off started doing so this many days ago (a restart without network).
CLOCK_OFF_FOR = 12

#: The demo kiosk's counter: open every day 8-20, quiet mornings, a lunch peak and the after-work
#: rush; its own recent days are recorded by the demo kiosk (kiosk/cli/demo.py).
DEMO_COUNTER = Counter(
    "kamppi-checkout-1",
    hours={8: 6, 9: 10, 10: 14, 11: 22, 12: 30, 13: 26, 14: 16, 15: 14, 16: 20, 17: 26, 18: 18, 19: 8},
    quiet=(3, 7, 40, 50), peak=(8, 13, 40, 39), growth=-0.08, mood=0.15,
    bad_days=(BadDay(47, "waiting"), BadDay(163, "reliability"), BadDay(298, "waiting")),
)
#: The demo kiosk at central: what its unhappy customers say (its recent days say the same).
DEMO = SeededKiosk(DEMO_COUNTER, "Helsinki Kamppi", "checkout", "Palvelu Oy",
                         ("waiting", "staff", "information", "problem_handling", "outcome", "premises"),
                         ("staff", "outcome", "waiting", "information", "premises", "reliability"))

#: Tampere's second cashier at lunch, 24 days ago: weekday lunches shed most of their unhappy faces.
LUNCH_LIFT = Lift(24, (1, 2, 3, 4, 5), 11, 14, 0.6)

SITES = (
    ("Tampere Koskikeskus", "Europe/Helsinki", {day: ["09:00-20:00"] for day in WEEKDAYS}),
    ("Stockholm Gallerian", "Europe/Stockholm", {**{day: ["10:00-19:00"] for day in WEEKDAYS[:5]},
                                                 "sat": ["10:00-17:00"]}),
)
OTHER_PROVIDER = "Nordic Service AB"
SUNDAY = frozenset({6})
KIOSKS = (
    SeededKiosk(Counter("kamppi-returns-1", {9: 3, 10: 5, 11: 7, 12: 8, 13: 7, 14: 5, 15: 5, 16: 6, 17: 8, 18: 6,
                                             19: 4, 20: 2}, (4, 6, 30, 60), (5, 8, 32, 55), SUNDAY, growth=-0.05),
                "Helsinki Kamppi", "returns", "Palvelu Oy", ("information", "outcome")),
    SeededKiosk(Counter("tampere-checkout-1", {9: 5, 10: 7, 11: 11, 12: 13, 13: 12, 14: 8, 15: 8, 16: 10, 17: 13,
                                               18: 11, 19: 6}, (7, 10, 36, 47), (11, 15, 36, 38), SUNDAY,
                        growth=0.04, mood=-0.3,
                        bad_days=(BadDay(9, "waiting"), BadDay(96, "waiting"), BadDay(231, "staff")),
                        lifts=(LUNCH_LIFT,)),
                "Tampere Koskikeskus", "checkout", "Palvelu Oy", ("waiting", "staff", "outcome")),
    SeededKiosk(Counter("tampere-returns-1", {9: 2, 10: 3, 11: 4, 12: 5, 13: 4, 14: 3, 15: 3, 16: 4, 17: 5, 18: 4,
                                              19: 2}, (10, 14, 36, 40), (12, 16, 36, 36), SUNDAY),
                "Tampere Koskikeskus", "returns", OTHER_PROVIDER, ("waiting", "problem_handling"), silent_hours=50),
    SeededKiosk(Counter("stockholm-checkout-1", {10: 7, 11: 11, 12: 14, 13: 13, 14: 9, 15: 9, 16: 11, 17: 14,
                                                 18: 10}, (10, 14, 40, 36), (14, 18, 38, 30), SUNDAY,
                        saturday_until=17, mood=0.35, bad_days=(BadDay(58, "reliability"), BadDay(187, "staff"))),
                "Stockholm Gallerian", "checkout", OTHER_PROVIDER, ("staff", "information", "waiting")),
    SeededKiosk(Counter("stockholm-returns-1", {10: 2, 11: 3, 12: 5, 13: 4, 14: 3, 15: 3, 16: 4, 17: 5, 18: 3},
                        (6, 10, 40, 44), (7, 12, 40, 41), SUNDAY, saturday_until=17),
                "Stockholm Gallerian", "returns", OTHER_PROVIDER, ("outcome", "reliability"), clock_off_days=1),
)
COMMENTS = {
    "waiting": ("Jono oli pitkä ja vain yksi kassa auki.", "Odotin yli 20 minuuttia.", "Lång kö vid kassan.",
                "Waited 20 minutes"),
    "staff": ("Myyjä ei tervehtinyt.", "Personalen var otrevlig.", "Nobody at the desk for ages."),
    "outcome": ("Palautus ei onnistunut.", "Fel vara i påsen.", "The refund was wrong."),
    "information": ("Kukaan ei osannut neuvoa.", "Skyltarna var otydliga.", "Could not find what I needed"),
    "problem_handling": ("Reklamaatio jäi kesken.",),
    "reliability": ("Kortinlukija ei toiminut.", "The card reader was down"),
    "premises": ("Hyllyt olivat sekaisin.",),
}
HAPPY_COMMENTS = ("Ystävällinen palvelu!", "Snabb och trevlig service", "Friendly staff, thanks", "Sain hyviä neuvoja")
VIEWER = ("tampere-manager", "Tampere Koskikeskus")


@dataclass(frozen=True)
class Network:
    seeded: int
    viewer: str
    viewer_password: str


def seed_network(now: datetime, demo_kiosk_id: str, demo_until: date) -> Network:
    """Add the network around the demo kiosk's site (Helsinki Kamppi, made by the caller with the
    demo kiosk), its year of ratings up to *now*, and the demo kiosk's year at central up to the
    local day *demo_until* (the first day it records itself).

    :param demo_kiosk_id: the demo kiosk's own id; its year is stored under it, bound as at enrollment.
    """
    for name, zone_name, hours in SITES:
        org.add_site(name, zone_name, hours)
    org.add_service("returns")
    org.add_provider(OTHER_PROVIDER)
    for kiosk in KIOSKS:
        org.add_kiosk(kiosk.name, kiosk.site, kiosk.service, kiosk.provider)  # its token: it never calls central
    enrolled = now - timedelta(days=NETWORK_DAYS + 1)
    seeded = 0
    with connection(), write_transaction():
        _bind(DEMO.name, demo_kiosk_id, enrolled)
        for kiosk in KIOSKS:
            _bind(kiosk.name, str(uuid.uuid5(uuid.NAMESPACE_URL, f"hymy-demo/{kiosk.name}")), enrolled)
        for kiosk in (DEMO, *KIOSKS):
            kiosk_row = Kiosk.get(Kiosk.name == kiosk.name)
            zone = site_zone(kiosk_row.site)
            today = now.astimezone(zone).date()
            if kiosk is DEMO:
                until = demo_until
            else:
                until = today + timedelta(days=1) - timedelta(days=CLOCK_OFF_FOR if kiosk.clock_off_days else 0)
            history = History(kiosk, kiosk_row, zone, today, now)
            for back in range(NETWORK_DAYS, (today - until).days, -1):  # the days before *until*
                history.add_day(today - timedelta(days=back))
            seeded += store_history(kiosk_row, history.ratings, history.followups)
            if kiosk is not DEMO:
                _heartbeat(kiosk_row, kiosk, now)
    for kiosk in KIOSKS:
        if kiosk.clock_off_days:
            seeded += _ingest_off_clock_days(Kiosk.get(Kiosk.name == kiosk.name), kiosk, now)
    _record_actions(now)
    password, _ = org.add_user(VIEWER[0], "viewer", [VIEWER[1]])
    # Head office watches Tampere: its returns kiosk has gone silent, so one alert is open.
    alerts.add_rule(site=VIEWER[1], emails=["tampere-manager@example.com"])
    alerts.evaluate(now)
    return Network(seeded, VIEWER[0], password)


#: What the sites did, as head office recorded it: (site, title, note, days ago it started, target,
#: withdrawn). Tampere's lunch cashier is the LUNCH_LIFT that shows in its figures; the rest
#: changed nothing the figures can tell.
ACTIONS = (
    ("Tampere Koskikeskus", "Second cashier at lunch", "Weekdays 11-14, from the store's own staff.",
     LUNCH_LIFT.days_ago, {"kind": "hours", "weekdays": list(LUNCH_LIFT.weekdays), "from_hour": LUNCH_LIFT.from_hour,
      "to_hour": LUNCH_LIFT.to_hour}, False),
    ("Tampere Koskikeskus", "Queue numbers at the returns desk", None, 10, {"kind": "reason", "reason": "waiting"},
     False),
    ("Stockholm Gallerian", "New signs at the entrance", "Signs in Swedish, Finnish and English.", 40,
     {"kind": "site"}, False),
    ("Helsinki Kamppi", "Greeting at the door", "Tried for two weeks; staff needed at the tills.", 60,
     {"kind": "site"}, True),
)


def _record_actions(now: datetime) -> None:
    """Head office's actions of the demo network, each as recorded the day it started."""
    for site_name, title, note, days_ago, target, withdrawn in ACTIONS:
        site = Site.get(Site.name == site_name)
        started_on = now.astimezone(site_zone(site)).date() - timedelta(days=days_ago)
        recorded_at = now - timedelta(days=days_ago)
        first = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hymy-demo/action/{title}")), "kiosk_id": None,
                 "title": title, "note": note, "started_on": started_on.isoformat(), "target": target,
                 "supersedes": None, "withdrawn": False, "recorded_at": format_time(recorded_at)}
        record_action(site, checked_action(first), recorded_at, recorded_by="head-office")
        if withdrawn:
            later = now - timedelta(days=days_ago - 14)
            withdrawal = dict(first, id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{first['id']}/off")),
                              supersedes=first["id"], withdrawn=True, recorded_at=format_time(later))
            record_action(site, checked_action(withdrawal), later, recorded_by="head-office")


def _bind(name: str, kiosk_uuid: str, enrolled_at: datetime) -> None:
    Kiosk.update(uuid=kiosk_uuid, enrolled_at=enrolled_at).where(Kiosk.name == name).execute()


class History:
    """One kiosk's ratings and follow-ups, day by day, in the shape central stores them.

    Times are real UTC times (a trusted clock); each row reached central a few minutes into the
    next hour, as an uploader syncing every few minutes delivers it. A boot lasts a month.
    """

    def __init__(self, kiosk: SeededKiosk, kiosk_row: Kiosk, zone: tzinfo, today: date, now: datetime) -> None:
        self.kiosk, self.kiosk_row_id, self.zone, self.today, self.now = kiosk, kiosk_row.id, zone, today, now
        self.ratings: list[dict[str, Any]] = []
        self.followups: list[dict[str, Any]] = []
        self.seq = kiosk_row.seq_highest  # numbered on after what central holds
        self.latest = now - timedelta(hours=kiosk.silent_hours, minutes=2)  # nothing after its last sync

    def add_day(self, day: date) -> None:
        counter = self.kiosk.counter
        rng = counter.day_rng(day, "rows")
        bad = counter.bad_day(day, self.today)
        boot = f"{counter.name}-{day:%Y-%m}"
        boot_start = datetime(day.year, day.month, 1, tzinfo=timezone.utc) - timedelta(hours=3)
        for hour, visitors in counter.customers(day, self.today).items():
            start = datetime.combine(day, time(hour), tzinfo=self.zone).astimezone(timezone.utc)
            received = start + timedelta(hours=1, minutes=rng.randint(1, 9))
            weights = counter.faces(day, hour, self.today)
            for offset in sorted(rng.uniform(0, 3600 - 120) for _ in range(visitors)):
                moment = start + timedelta(seconds=offset)
                if moment > self.latest:
                    return
                rating = rng.choices((1, 2, 3, 4), weights)[0]
                row = self._rating(rng, moment, rating, None, boot, boot_start, min(received, self.now))
                if rng.random() < 0.03:  # a child hammering the button: stored, flagged repeat
                    for press in range(rng.randint(2, 4)):
                        later = moment + timedelta(seconds=0.5 * (press + 1))
                        self._rating(rng, later, rng.randint(1, 4), "repeat", boot, boot_start, row["received_at"])
                self._followup(rng, row, bad)

    def _rating(self, rng, moment, rating, kiosk_filter, boot, boot_start, received):
        self.seq += 1
        row = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "kiosk": self.kiosk_row_id, "seq": self.seq,
               "question_key": DEFAULT_QUESTION_ID, "question_version": 1, "rating": rating,
               "source": "button" if rng.random() < 0.55 else "touch", "recorded_at": moment, "clock_trusted": True,
               "boot_id": boot, "monotonic": (moment - boot_start).total_seconds(), "kiosk_filter": kiosk_filter,
               "occurred_at": moment, "time_basis": "kiosk", "filtered": kiosk_filter, "received_at": received}
        self.ratings.append(row)
        return row

    def _followup(self, rng, row, bad) -> None:
        """What mattered most, when the customer said: unhappy ones more often, a bad day's its cause."""
        rating = row["rating"]
        if rating <= 2:
            if rng.random() >= 0.55:
                return
            reasons = self.kiosk.reasons
            reason = bad.reason if bad and rng.random() < 0.7 else rng.choice(reasons[:1] * 2 + reasons)
            comment = rng.choice(COMMENTS.get(reason, ("",))) if rng.random() < 0.3 else None
        else:
            if rng.random() >= 0.15:
                return
            reason = rng.choice(self.kiosk.happy_reasons)
            comment = rng.choice(HAPPY_COMMENTS) if rng.random() < 0.1 else None
        self.followups.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "rating": row["id"], "reason": reason,
            "reason_group": GROUP_OF[reason], "comment": comment or None,
            "recorded_at": row["recorded_at"] + timedelta(seconds=4), "clock_trusted": True,
            "boot_id": row["boot_id"], "monotonic": row["monotonic"] + 4, "received_at": row["received_at"],
            # For the rollups: a follow-up counts where its rating does.
            "_rating": (row["occurred_at"], rating, row["filtered"])})


def _ingest_off_clock_days(kiosk_row, kiosk, now):
    """The clock-off kiosk's last days through central's real ingest, one batch a day as it sent them:
    its clock ran *clock_off_days* behind, untrusted, and central corrects each row from the batch."""
    zone = site_zone(kiosk_row.site)
    today = now.astimezone(zone).date()
    offset = timedelta(days=kiosk.clock_off_days)
    boot = f"{kiosk.name}-restarted"
    boot_start = now - timedelta(days=CLOCK_OFF_FOR, hours=2)
    seeded = 0
    for back in range(CLOCK_OFF_FOR - 1, -1, -1):
        day = today - timedelta(days=back)
        history = History(kiosk, kiosk_row, zone, today, now)
        history.add_day(day)
        if not history.ratings:
            continue
        sent = min(now, history.ratings[-1]["occurred_at"] + timedelta(minutes=5))
        rows = [_as_sent(row, offset, boot, boot_start) for row in history.ratings]
        batch = {"batch_id": str(uuid.uuid4()), "kiosk_id": kiosk_row.uuid, "software_version": "0.1.0",
                 "sent_at": format_time(sent - offset), "boot_id": boot,
                 "monotonic": (sent - boot_start).total_seconds(), "clock_trusted": False, "boots": [],
                 "questions": [], "reasons": [], "ratings": rows,
                 "followups": [_followup_as_sent(f, offset, boot, boot_start) for f in history.followups]}
        with connection():
            report = ingest_batch(kiosk_row, check_envelope(batch), sent)
        assert not report["rejected"], report["rejected"][:3]
        kiosk_row = Kiosk.get_by_id(kiosk_row.id)  # its sequence marks moved on
        seeded += len(rows)
    return seeded


def _as_sent(row, offset, boot, boot_start):
    """A stored-shape rating as the kiosk sent it: its own (wrong) clock, untrusted, this boot's monotonic."""
    return {"id": row["id"], "seq": row["seq"], "question_id": row["question_key"], "question_version": 1,
            "rating": row["rating"], "source": row["source"], "recorded_at": format_time(row["occurred_at"] - offset),
            "clock_trusted": False, "boot_id": boot, "monotonic": (row["occurred_at"] - boot_start).total_seconds(),
            "filtered": row["kiosk_filter"]}


def _followup_as_sent(followup, offset, boot, boot_start):
    moment = followup["recorded_at"]
    return {"id": followup["id"], "rating_id": followup["rating"], "reason": followup["reason"],
            "reason_group": followup["reason_group"], "comment": followup["comment"],
            "recorded_at": format_time(moment - offset), "clock_trusted": False, "boot_id": boot,
            "monotonic": (moment - boot_start).total_seconds()}


def _heartbeat(kiosk_row, kiosk, now) -> None:
    """The kiosk's latest heartbeat: a few minutes ago, or when it went silent."""
    rng = kiosk.counter.day_rng(now.date(), "heartbeat")
    reported = now - timedelta(hours=kiosk.silent_hours, minutes=rng.randint(0, 2))
    offset = timedelta(days=kiosk.clock_off_days)
    if kiosk.clock_off_days:
        boot, boot_start = f"{kiosk.name}-restarted", now - timedelta(days=CLOCK_OFF_FOR, hours=2)
    else:
        boot, boot_start = f"{kiosk.name}-{reported:%Y-%m}", datetime(reported.year, reported.month, 1,
                                                                      tzinfo=timezone.utc) - timedelta(hours=3)
    KioskStatus.insert(
        kiosk=kiosk_row.id, reported_at=reported, software_version="0.1.0",
        pending=rng.randint(40, 90) if kiosk.silent_hours else 0,
        oldest_pending_seconds=kiosk.silent_hours * 3600.0 if kiosk.silent_hours else None, quarantined=0,
        boot_id=boot, wall=reported - offset, monotonic=(reported - boot_start).total_seconds(),
        clock_trusted=not kiosk.clock_off_days, free_disk_bytes=rng.randint(8, 24) * 1_000_000_000,
        gap_error=None).on_conflict_replace().execute()
