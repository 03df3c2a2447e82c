"""The head-office half of ``hymy demo``: a month of a small brand's network on the demo central.

Three sites in two time zones (Helsinki and Stockholm), two services, two
providers and, beside the demo's live kiosk, five seeded kiosks: one has gone
silent, one runs with a clock a day off (its ratings arrive corrected by
central), and a rule watching Tampere has one alert open. The rows go through central's real ingest (batches checked and
stored exactly as a kiosk's would be), so the rollups, pages and alerts see
what they would see in the field. Figures differ by site and provider on
purpose: one provider lifts the brand, another drags it, and Tampere's
waiting times show up among the drivers.
"""
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sync.central import alerts, org
from sync.central.db import connection, write_transaction
from sync.central.ingest import ingest_batch
from sync.central.models import Device, KioskStatus
from sync.defaults import DEFAULT_QUESTION_ID
from sync.protocol import format_time

BOOT = "demo-boot"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True)
class SeededKiosk:
    name: str
    site: str
    service: str
    provider: str
    faces: tuple  # weights of ratings 1..4
    reasons: tuple  # reason keys unhappy customers give, most common first
    per_hour: int
    silent_hours: int = 0  # hours since its last heartbeat
    clock_off_days: int = 0


SITES = (
    ("Tampere Koskikeskus", "Europe/Helsinki", {day: ["09:00-20:00"] for day in WEEKDAYS}),
    ("Stockholm Gallerian", "Europe/Stockholm", {**{day: ["10:00-19:00"] for day in WEEKDAYS[:5]},
                                                 "sat": ["10:00-17:00"]}),
)
OTHER_PROVIDER = "Nordic Service AB"
KIOSKS = (
    SeededKiosk("kamppi-returns-1", "Helsinki Kamppi", "returns", "Palvelu Oy", (4, 6, 30, 60),
                ("information", "outcome"), 5),
    SeededKiosk("tampere-checkout-1", "Tampere Koskikeskus", "checkout", "Palvelu Oy", (8, 12, 35, 45),
                ("waiting", "staff", "outcome"), 7),
    SeededKiosk("tampere-returns-1", "Tampere Koskikeskus", "returns", OTHER_PROVIDER, (10, 14, 36, 40),
                ("waiting", "problem_handling"), 3, silent_hours=50),
    SeededKiosk("stockholm-checkout-1", "Stockholm Gallerian", "checkout", OTHER_PROVIDER, (12, 16, 38, 34),
                ("staff", "information", "waiting"), 6),
    SeededKiosk("stockholm-returns-1", "Stockholm Gallerian", "returns", OTHER_PROVIDER, (6, 10, 40, 44),
                ("outcome", "reliability"), 3, clock_off_days=1),
)
COMMENTS = {
    "waiting": ("Jono oli pitkä ja vain yksi kassa auki.", "Odotin yli 20 minuuttia.", "Lång kö vid kassan."),
    "staff": ("Myyjä ei tervehtinyt.", "Personalen var otrevlig.", "Nobody at the desk for ages."),
    "outcome": ("Palautus ei onnistunut.", "Fel vara i påsen.", "The refund was wrong."),
    "information": ("Kukaan ei osannut neuvoa.", "Skyltarna var otydliga."),
    "problem_handling": ("Reklamaatio jäi kesken.",),
    "reliability": ("Kortinlukija ei toiminut.",),
}
GROUP_OF = {"outcome": "outcome", "staff": "attitude", "waiting": "accessibility", "information": "communication",
            "problem_handling": "recovery", "reliability": "reliability"}
#: Customers per hour through a day, as a share of the kiosk's busiest hour (lunch and after work).
TRAFFIC = {9: 0.4, 10: 0.6, 11: 0.9, 12: 1.0, 13: 0.9, 14: 0.6, 15: 0.6, 16: 0.8, 17: 1.0, 18: 0.8, 19: 0.5,
           20: 0.3}
VIEWER = ("tampere-manager", "Tampere Koskikeskus")


@dataclass(frozen=True)
class Network:
    seeded: int
    viewer: str
    viewer_password: str


def seed_network(home_site, days, now, rng=None):
    """Add the network beside the demo's own site and seed *days* days of ratings up to *now*."""
    rng = rng or random.Random(2026)
    for name, zone, hours in SITES:
        org.add_site(name, zone, hours)
    org.add_service("returns")
    org.add_provider(OTHER_PROVIDER)
    seeded = 0
    for kiosk in KIOSKS:
        token = org.add_kiosk(kiosk.name, kiosk.site, kiosk.service, kiosk.provider)
        del token  # seeded kiosks never call central themselves
        device_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hymy-demo/{kiosk.name}"))
        with connection(), write_transaction():
            Device.update(device_id=device_id, enrolled_at=now - timedelta(days=days + 1)).where(
                Device.name == kiosk.name).execute()
        device = Device.get(Device.name == kiosk.name)
        seeded += _seed_ratings(device, kiosk, days, now, rng)
        _heartbeat(device, kiosk, now, rng)
    password, _ = org.add_user(VIEWER[0], "viewer", [VIEWER[1]])
    # Head office watches Tampere: its returns kiosk has gone silent, so one alert is open.
    alerts.add_rule(site=VIEWER[1], emails=["tampere-manager@example.com"])
    alerts.evaluate(now)
    return Network(seeded, VIEWER[0], password)


def _moments(kiosk, zone, days, now, rng):
    """Real times of the kiosk's customers over the last *days* days and today so far, in order."""
    today = now.astimezone(zone).date()
    for back in range(days, -1, -1):
        day = today - timedelta(days=back)
        if day.weekday() == 6:  # closed on Sundays
            continue
        for hour, share in TRAFFIC.items():
            for _ in range(rng.randint(0, round(kiosk.per_hour * share * 2))):
                local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60),
                                 tzinfo=zone)
                moment = local.astimezone(timezone.utc)
                if moment < now - timedelta(hours=kiosk.silent_hours or 0, minutes=1):
                    yield moment


def _seed_ratings(device, kiosk, days, now, rng):
    zone = ZoneInfo(device.site.timezone)
    epoch = now - timedelta(days=days + 2)
    ratings, followups = [], []
    for seq, moment in enumerate(sorted(_moments(kiosk, zone, days, now, rng)), start=1):
        rating = rng.choices((1, 2, 3, 4), weights=kiosk.faces)[0]
        wall = moment - timedelta(days=kiosk.clock_off_days)
        row = {"id": str(uuid.uuid4()), "seq": seq, "question_id": DEFAULT_QUESTION_ID, "question_version": 1,
               "rating": rating, "source": rng.choice(("button", "touch")), "recorded_at": format_time(wall),
               "clock_trusted": not kiosk.clock_off_days, "boot_id": BOOT,
               "monotonic": (moment - epoch).total_seconds(), "filtered": "repeat" if rng.random() < 0.03 else None}
        ratings.append(row)
        if rating <= 2 and rng.random() < 0.6:
            reason = rng.choice(kiosk.reasons[:1] * 2 + kiosk.reasons)
            comment = rng.choice(COMMENTS[reason]) if rng.random() < 0.35 else None
            followups.append({"id": str(uuid.uuid4()), "rating_id": row["id"], "reason": reason,
                              "reason_group": GROUP_OF[reason], "comment": comment,
                              "recorded_at": row["recorded_at"], "clock_trusted": row["clock_trusted"],
                              "boot_id": BOOT, "monotonic": row["monotonic"] + 4})
    by_rating = {f["rating_id"]: f for f in followups}
    for start in range(0, len(ratings), 500):
        part = ratings[start:start + 500]
        # Sent a few minutes after its last row, as an uploader would: central's receive times and the
        # fleet's "last rows" read true, and a clock a day off is corrected from the send.
        sent = min(now, epoch + timedelta(seconds=part[-1]["monotonic"] + 300))
        batch = {"batch_id": str(uuid.uuid4()), "kiosk_id": device.device_id, "software_version": "0.1.0",
                 "sent_at": format_time(sent - timedelta(days=kiosk.clock_off_days)), "boot_id": BOOT,
                 "monotonic": (sent - epoch).total_seconds(), "clock_trusted": not kiosk.clock_off_days,
                 "boots": [], "questions": [], "reasons": [], "ratings": part,
                 "followups": [by_rating[r["id"]] for r in part if r["id"] in by_rating]}
        with connection():
            report = ingest_batch(device, _checked(batch), sent)
        assert not report["rejected"], report["rejected"][:3]
    return len(ratings)


def _checked(batch):
    from sync.protocol import check_envelope

    return check_envelope(batch)


def _heartbeat(device, kiosk, now, rng):
    reported = now - timedelta(hours=kiosk.silent_hours, minutes=rng.randint(0, 2))
    with connection(), write_transaction():
        KioskStatus.insert(
            kiosk=device.id, reported_at=reported, software_version="0.1.0",
            pending=rng.randint(40, 90) if kiosk.silent_hours else 0,
            oldest_pending_seconds=kiosk.silent_hours * 3600.0 if kiosk.silent_hours else None, quarantined=0,
            boot_id=BOOT, wall=reported - timedelta(days=kiosk.clock_off_days), monotonic=1000.0,
            clock_trusted=not kiosk.clock_off_days, free_disk_bytes=rng.randint(8, 24) * 1_000_000_000,
            gap_error=None).on_conflict_replace().execute()
