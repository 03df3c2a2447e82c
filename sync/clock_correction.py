"""Give each arriving rating its best known real time.

A Raspberry Pi has no real-time clock: until NTP synchronises, its wall time
may be days off. Every row carries its boot id and a CLOCK_BOOTTIME reading,
so a row recorded while the clock was untrusted is placed by its distance on
the monotonic clock from a moment whose real time is known:

- same boot as the batch: central's receive time minus (batch monotonic at
  send minus row monotonic);
- an earlier boot whose clock later became trusted: that boot's first trusted
  wall time minus (its monotonic then minus the row's);
- otherwise the row is ``uncorrectable``: kept with the kiosk's time, flagged,
  never guessed.

A correction that lands after the batch's own send moment (central's receive
time) or before the protocol's earliest year cannot be right: a row is
recorded before it is sent, and readings that say otherwise come from a
broken or hostile clock. Such a row is ``uncorrectable`` too.

Central applies this rule at ingest, and the kiosk applies the same rule to
its own ``unverified`` rows once its clock is trusted in the same boot; the
filter decision itself sits beside the opening hours (sync/hours.py).
"""
from datetime import timedelta

from .protocol import EARLIEST_YEAR

KIOSK, CORRECTED, UNCORRECTABLE = "kiosk", "corrected", "uncorrectable"


def corrected_time(row, batch, received_at, boots):
    """Return ``(occurred_at, basis)`` for one rating row of *batch*."""
    try:
        occurred_at, basis = _corrected_time(row, batch, received_at, boots)
    except OverflowError:  # readings too far apart to be a real boot: do not guess
        return row["recorded_at"], UNCORRECTABLE
    if basis == CORRECTED and not (occurred_at.year >= EARLIEST_YEAR and occurred_at <= received_at):
        return row["recorded_at"], UNCORRECTABLE
    return occurred_at, basis


def _corrected_time(row, batch, received_at, boots):
    if row["clock_trusted"]:
        return row["recorded_at"], KIOSK
    if row["boot_id"] == batch["boot_id"]:
        return received_at - timedelta(seconds=batch["monotonic"] - row["monotonic"]), CORRECTED
    boot = boots.get(row["boot_id"])
    if boot is not None:
        return boot["trusted_wall"] - timedelta(seconds=boot["trusted_monotonic"] - row["monotonic"]), CORRECTED
    return row["recorded_at"], UNCORRECTABLE
