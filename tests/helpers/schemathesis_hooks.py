"""Schemathesis hooks for tests/central/test_schemathesis.py (loaded by the schemathesis CLI).

Two of central's rules join a field to something no schema can see:

- a batch, heartbeat or enrollment must name the device enrolled with the token
  (``kiosk_id``; 403 or 409 otherwise). Every generated body that carries a
  well-formed ``kiosk_id`` gets the enrolled device's: a valid body then
  reaches ingest instead of stopping at the 403, and an invalid one is refused
  for what is wrong with it (a malformed row is judged by ingest, not hidden
  behind the 403);
- an export's ``to`` must be on or after ``from`` and at most MAX_DAYS later
  (400). Queries generated as valid are put in that order; queries generated
  to be invalid are sent as they are.
"""
import os
import re
from datetime import date, timedelta

import schemathesis

from sync.central.reports.export import MAX_DAYS

DEVICE_ID = os.environ.get("HYMY_TEST_KIOSK_ID")
LAST_DAY = date(2100, 12, 31)
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _dates_in_order(query):
    try:
        first, last = sorted((date.fromisoformat(query["from"]), date.fromisoformat(query["to"])))
    except (TypeError, ValueError):
        return
    query["from"], query["to"] = first.isoformat(), min(last, first + timedelta(days=MAX_DAYS), LAST_DAY).isoformat()


@schemathesis.hook
def map_case(context, case):
    body = case.body
    if DEVICE_ID and isinstance(body, dict) and isinstance(body.get("kiosk_id"), str):
        if UUID.fullmatch(body["kiosk_id"]):
            body["kiosk_id"] = DEVICE_ID
    meta = case.meta
    positive = meta is not None and not meta.generation.mode.is_negative
    if positive and isinstance(case.query, dict) and "from" in case.query and "to" in case.query:
        _dates_in_order(case.query)
    return case
