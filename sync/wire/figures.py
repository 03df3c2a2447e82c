"""The figures every screen, export and alert shows, defined once.

Both the kiosk (its manager screen) and central (head office's pages, alerts,
digests) count in SQL from their own storage and hand the counts to these
formulas, so a figure and its rounding are the same everywhere:

- **Counted ratings**: filter empty. ``repeat`` and ``closed`` never count;
  ``unverified`` rows are shown apart until a trusted clock decides them.
- **Satisfaction**: happy + very happy among counted, shown as a whole percent.
- **Happy Index**: 100 × mean((rating − 1) / 3) over counted ratings (very happy
  100, happy 66.7, unhappy 33.3, very unhappy 0), shown with one decimal.
- Fewer than ``min_responses`` counted ratings: "too few", not a percentage.
- **Follow-up rate**: follow-ups of counted ratings ÷ counted ratings.
- **Drivers**: the reasons given, split into technical quality (the outcome,
  *what*) and functional quality (the process, *how*), over all follow-ups of
  counted ratings and among the unhappy ones (ratings 1–2).

Figures are computed exactly (fractions). How they are shown — rounded half
up, so 12.5 % shows as 13 % on every screen, "too few", the verdict against
the target, colour bands, trends and axes — is :mod:`sync.wire.display`'s.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from sync.wire.defaults import DEFAULT_MIN_RESPONSES
from sync.wire.protocol import FILTERS, FUNCTIONAL, GROUPS, RATINGS, TECHNICAL


def _add(left: Mapping[str, int], right: Mapping[str, int]) -> dict[str, int]:
    merged = dict(left)
    for key, value in right.items():
        merged[key] = merged.get(key, 0) + value
    return merged


#: The counts kept per hour (and, at central, per local day), named alike on the kiosk
#: (kiosk/storage/hourly.py) and at central (sync/central/store/rollups.py): counted ratings
#: per face, ratings 1..4; left-out ratings per filter; follow-ups of counted ratings.
FACE_COUNTS = ("very_unhappy", "unhappy", "happy", "very_happy")
HOUR_COUNTS = (*FACE_COUNTS, *FILTERS, "followups")
#: Per reason: follow-ups given, and those among unhappy ratings.
REASON_COUNTS = ("given", "unhappy")


def count_name(rating: int, filtered: str | None) -> str:
    """The count a rating adds to: its face when counted, else its filter."""
    return FACE_COUNTS[rating - 1] if filtered is None else filtered

@dataclass(frozen=True)
class Counts:
    """What a stretch of time holds, as counted in SQL.

    :param faces: counted ratings per face, very unhappy (1) first.
    :param filtered: filter name -> ratings left out of the figures.
    :param followups: follow-ups of counted ratings.
    :param reasons: reason key -> follow-ups of counted ratings giving it.
    :param unhappy_reasons: the same among counted ratings 1 and 2.
    """

    faces: tuple[int, ...] = (0, 0, 0, 0)
    filtered: dict[str, int] = field(default_factory=dict)
    followups: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    unhappy_reasons: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            tuple(a + b for a, b in zip(self.faces, other.faces, strict=True)),
            _add(self.filtered, other.filtered),
            self.followups + other.followups,
            _add(self.reasons, other.reasons),
            _add(self.unhappy_reasons, other.unhappy_reasons),
        )

    @classmethod
    def total(cls, many: Iterable["Counts"]) -> "Counts":
        """The sum of an iterable of Counts (the empty sum is nothing counted)."""
        result = cls()
        for counts in many:
            result = result + counts
        return result

    @property
    def counted(self) -> int:
        return sum(self.faces)

    @property
    def happy(self) -> int:
        return self.faces[2] + self.faces[3]

    @property
    def unhappy(self) -> int:
        return self.faces[0] + self.faces[1]

    def left_out(self, name: str) -> int:
        """Ratings left out by filter *name* (one of FILTERS)."""
        if name not in FILTERS:
            raise ValueError(f"no filter called {name!r}")
        return self.filtered.get(name, 0)


def enough(counts: Counts, min_responses: int = DEFAULT_MIN_RESPONSES) -> bool:
    """True when there are enough counted ratings to show a percentage."""
    return counts.counted >= max(1, min_responses)


def satisfaction(counts: Counts, min_responses: int = DEFAULT_MIN_RESPONSES) -> Fraction | None:
    """Share of happy and very happy among counted ratings, in percent (exact); None when too few."""
    if not enough(counts, min_responses):
        return None
    return Fraction(100 * counts.happy, counts.counted)


def happy_index(counts: Counts, min_responses: int = DEFAULT_MIN_RESPONSES) -> Fraction | None:
    """100 × mean((rating − 1) / 3) over counted ratings (exact); None when too few."""
    if not enough(counts, min_responses):
        return None
    points = sum((rating - 1) * n for rating, n in zip(RATINGS, counts.faces, strict=True))
    return Fraction(100 * points, 3 * counts.counted)


def unhappy_share(counts: Counts, min_responses: int = DEFAULT_MIN_RESPONSES) -> Fraction | None:
    """Share of unhappy and very unhappy among counted ratings, in percent (exact); None when too few."""
    if not enough(counts, min_responses):
        return None
    return Fraction(100 * counts.unhappy, counts.counted)


def followup_rate(counts: Counts) -> Fraction | None:
    """Follow-ups of counted ratings per counted rating, in percent (exact); None with nothing counted."""
    if not counts.counted:
        return None
    return Fraction(100 * counts.followups, counts.counted)


@dataclass(frozen=True)
class Drivers:
    """What the reasons say: per reason and per group, and technical (*what*) vs functional (*how*).

    Shares are percentages (exact) of the follow-ups that gave a reason.
    """

    total: int
    #: Reason key -> count, largest first.
    by_reason: dict[str, int]
    #: Group -> count, largest first.
    by_group: dict[str, int]
    #: Technical / functional -> count.
    by_dimension: dict[str, int]

    def share(self, count: int) -> Fraction | None:
        return Fraction(100 * count, self.total) if self.total else None


def drivers(reason_counts: Mapping[str, int], group_of: Mapping[str, str]) -> Drivers:
    """Group *reason_counts* (reason key -> count) by quality-model group and dimension.

    :param group_of: reason key -> group (a reason central no longer offers keeps its group).
    """
    by_group: dict[str, int] = {}
    by_dimension = {TECHNICAL: 0, FUNCTIONAL: 0}
    for key, count in reason_counts.items():
        group = group_of.get(key)
        if group not in GROUPS or not count:
            continue
        by_group[group] = by_group.get(group, 0) + count
        by_dimension[GROUPS[group]] += count
    ordered = dict(sorted(((k, n) for k, n in reason_counts.items() if n and group_of.get(k) in GROUPS),
                          key=lambda item: (-item[1], item[0])))
    return Drivers(sum(ordered.values()), ordered, dict(sorted(by_group.items(), key=lambda item: (-item[1], item[0]))),
                   by_dimension)
