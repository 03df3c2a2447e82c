"""Give each rating its best known real time: one rule, for central and the kiosk alike.

A Raspberry Pi has no real-time clock: until NTP synchronises, its wall time
may be days off. Every row carries its boot id and a CLOCK_BOOTTIME reading,
so a row recorded while the clock was untrusted is placed by its distance on
the monotonic clock from a *reference*: a (wall time, monotonic reading) pair
of the same boot whose wall time is known to be right. The caller picks it:

- central, for a row of the boot the batch is sent from: its own receive time
  and the batch's monotonic reading at send;
- central, for a row of an earlier boot: that boot's first trusted pair, as
  the kiosk reported it in the batch;
- the kiosk, for its own ``unverified`` rows: the row's boot's first trusted
  pair, once it has one.

Without a reference the row is ``uncorrectable``: kept with the kiosk's time,
flagged, never guessed. A row recorded on a trusted clock keeps its own time
(basis ``kiosk``).

A correction that lands after the *latest* moment the row can have been
recorded (central: its receive time, since a row is recorded before it is
sent; the kiosk: its trusted now) or before the protocol's earliest year
cannot be right: such readings come from a broken or hostile clock, and the
row is ``uncorrectable`` too. Because both sides call :func:`corrected_time`,
a kiosk and central given the same reference and the same latest moment place
a row at the same instant, in the same hour; the filter decision that follows
sits beside the opening hours (sync/wire/hours.py).
"""
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sync.wire.protocol import EARLIEST_YEAR

KIOSK, CORRECTED, UNCORRECTABLE = "kiosk", "corrected", "uncorrectable"


def corrected_time(row: Mapping[str, Any], reference_wall: datetime | None, reference_monotonic: float | None,
                   latest: datetime) -> tuple[datetime, str]:
    """Return ``(instant, basis)`` of one rating *row*.

    :param row: a mapping with ``recorded_at`` (aware UTC), ``clock_trusted`` and ``monotonic``.
    :param reference_wall: the right wall time (aware UTC) of a moment of the row's boot, or None
        when no such moment is known.
    :param reference_monotonic: the boot's monotonic reading at that moment.
    :param latest: the latest instant the row can have been recorded at (aware UTC).
    """
    recorded_at = row["recorded_at"]
    if row["clock_trusted"]:
        return recorded_at, KIOSK
    if reference_wall is None or reference_monotonic is None:
        return recorded_at, UNCORRECTABLE
    distance = reference_monotonic - row["monotonic"]
    if not math.isfinite(distance):  # not readings of a real clock: do not guess
        return recorded_at, UNCORRECTABLE
    try:
        instant = reference_wall - timedelta(seconds=distance)
    except OverflowError:  # readings too far apart to be a real boot
        return recorded_at, UNCORRECTABLE
    if instant.year < EARLIEST_YEAR or instant > latest:
        return recorded_at, UNCORRECTABLE
    return instant, CORRECTED
