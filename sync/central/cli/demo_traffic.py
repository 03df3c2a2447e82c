"""The demo's one model of a counter's customers: how many come in each hour of a day of the
year, and how they feel.

Both halves of ``hymy demo`` draw from it: the demo kiosk records its recent days through its
own recorder (kiosk/cli/demo.py), and central holds the year before them and the rest of the
network (sync/central/cli/demo_network.py). So the demo kiosk's days continue its own history at
central without a jump, and every kiosk's year has the shape a real counter's has:

- an hour-by-hour day (quiet mornings, a lunch peak, the after-work rush), quieter weekends
  and, for some counters, a closed Sunday;
- the seasons: a quiet July while Finland and Sweden are on holiday, a busy December;
- day-to-day noise, in the number of customers and in how they feel;
- a slow trend: some counters win customers and satisfaction over the year, some lose them;
- a few bad days (a queue to the door, a card reader down) on fixed days before today;
- changes that worked: from a fixed day on, some hours of some weekdays shed part of their unhappy
  faces (the demo's head office has recorded the action behind each, sync/central/cli/demo_network.py).

Everything is drawn from random generators seeded with the counter's name and the date, so a
day always comes out the same, whichever half of the demo asks and in whatever order.
"""
import random
from dataclasses import dataclass, field
from datetime import date

#: How busy each month is, against an ordinary month.
SEASON = {1: 0.9, 2: 0.93, 3: 0.97, 4: 1.0, 5: 1.0, 6: 0.92, 7: 0.78, 8: 0.93, 9: 1.0, 10: 1.0, 11: 1.04,
          12: 1.16}
#: Faces 1..4 on a bad day, when everything goes wrong at once.
BAD_DAY_FACES = (30, 30, 28, 12)
YEAR_DAYS = 365


@dataclass(frozen=True)
class BadDay:
    """A day that went wrong: *days_ago* before today, unhappy customers naming *reason*."""

    days_ago: int
    reason: str
    share: float = 0.6  # how far the day's faces move towards BAD_DAY_FACES


@dataclass(frozen=True)
class Lift:
    """A change that worked: from *days_ago* before today on, in local hours [*from_hour*, *to_hour*)
    of ISO *weekdays*, the unhappy faces weigh *shed* less (0.5: half as much)."""

    days_ago: int
    weekdays: tuple[int, ...]
    from_hour: int
    to_hour: int
    shed: float

    def applies(self, day: date, hour: int, today: date) -> bool:
        return ((today - day).days <= self.days_ago and day.isoweekday() in self.weekdays
                and self.from_hour <= hour < self.to_hour)


@dataclass(frozen=True)
class Counter:
    """One kiosk's customers on an ordinary day, and how that changes over the year.

    :param hours: customers in each local hour of an ordinary weekday (the hour the counter opens first).
    :param quiet: weights of faces 1..4 in the quietest hour; *peak*: in the busiest one (busy hours are worse).
    :param closed_on: weekdays the counter is closed (0 Monday … 6 Sunday).
    :param saturday_until: the hour a counter closes early on Saturdays (None: as on weekdays).
    :param weekend: a Saturday's (and an open Sunday's) customers against a weekday's.
    :param growth: customers a year ago against today (-0.1: a tenth fewer then).
    :param mood: how much of the unhappy faces' weight today's customers have shed since a year ago
        (negative: they have gained it).
    :param bad_days: the days that went wrong.
    :param lifts: the changes that worked.
    """

    name: str
    hours: dict[int, float]
    quiet: tuple[float, ...]
    peak: tuple[float, ...]
    closed_on: frozenset[int] = frozenset()
    saturday_until: int | None = None
    weekend: float = 0.6
    growth: float = 0.0
    mood: float = 0.0
    bad_days: tuple[BadDay, ...] = field(default=())
    lifts: tuple[Lift, ...] = field(default=())

    def day_rng(self, day: date, purpose: str = "day") -> random.Random:
        """The random generator of *day* for *purpose*: the same numbers whoever asks, in any order."""
        return random.Random(f"{self.name}/{purpose}/{day.isoformat()}")

    def bad_day(self, day: date, today: date) -> BadDay | None:
        """The :class:`BadDay` falling on *day*, or None."""
        return next((bad for bad in self.bad_days if (today - day).days == bad.days_ago), None)

    def customers(self, day: date, today: date) -> dict[int, int]:
        """``{local hour: customers}`` on *day* (empty when closed), seen from *today*."""
        if day.weekday() in self.closed_on:
            return {}
        rng = self.day_rng(day)
        age = min(max((today - day).days, 0), YEAR_DAYS) / YEAR_DAYS  # 0 today, 1 a year ago
        factor = ((self.weekend if day.weekday() >= 5 else 1.0) * SEASON[day.month] * (1 + self.growth * age)
                  * min(1.3, max(0.7, rng.gauss(1.0, 0.12))))
        counts: dict[int, int] = {}
        for hour, typical in self.hours.items():
            if day.weekday() == 5 and self.saturday_until is not None and hour >= self.saturday_until:
                continue
            expected = typical * factor
            counts[hour] = max(0, round(rng.gauss(expected, expected ** 0.5)))
        return counts

    def faces(self, day: date, hour: int, today: date) -> list[float]:
        """Weights of faces 1..4 for a customer at *hour* on *day*."""
        busy = self.hours[hour] / max(self.hours.values())
        weights = [q + (p - q) * busy for q, p in zip(self.quiet, self.peak, strict=True)]
        # The trend: a year ago the unhappy faces weighed *mood* more (or less) than today.
        age = min(max((today - day).days, 0), YEAR_DAYS) / YEAR_DAYS
        shift = self.mood * age * (weights[0] + weights[1])
        weights = [weights[0] + shift / 2, weights[1] + shift / 2, weights[2] - shift / 2, weights[3] - shift / 2]
        # Noise: some days simply go better than others.
        wobble = min(0.5, max(-0.5, self.day_rng(day, "mood").gauss(0.0, 0.18)))
        weights = [weights[0] * (1 + wobble), weights[1] * (1 + wobble), weights[2], weights[3]]
        for lift in self.lifts:
            if lift.applies(day, hour, today):
                weights = [weights[0] * (1 - lift.shed), weights[1] * (1 - lift.shed), weights[2], weights[3]]
        bad = self.bad_day(day, today)
        if bad is not None:
            weights = [w + (b - w) * bad.share for w, b in zip(weights, BAD_DAY_FACES, strict=True)]
        return [max(0.1, w) for w in weights]

