"""The manager's actions, kept on the kiosk and sent to central by an outbox of their own.

A manager records an action on the manager screen (what was done, the local day it started, what
it should move), changes one or withdraws one. Each is a row as the protocol carries it
(sync/wire/protocol/actions.py), never changed afterwards: a change or a withdrawal is a new row
that supersedes the one shown. The uploader sends the unsent rows after each pass's ratings
(sync/uploader/action_push.py); ``POST /api/v1/actions`` is idempotent by id, so a row sent twice
(an answer lost on the way back) is kept once. They take no place in the rating sequence: an
action is not a rating, and a refused one must never hold the ratings back. Central's actions for
the site (head office's, and this kiosk's once kept) come back in the network document;
:func:`site_actions` merges the two.
"""

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kiosk.errors import StorageError
from kiosk.storage.models import KioskAction, immediate_transaction
from kiosk.storage.network import NetworkStore
from sync.wire.errors import HymyError
from sync.wire.protocol import ACTION_FIELDS, RowError, chains, check_row, format_time


class ActionRefused(HymyError, RowError):
    """An action the protocol would not carry: one line naming the field, and the field's path."""


def checked(document: Any) -> dict[str, Any]:
    """*document* as the protocol takes it; ActionRefused naming the field."""
    try:
        return check_row(document, ACTION_FIELDS)
    except RowError as error:
        raise ActionRefused(str(error), error.path) from None


def as_wire(action: Mapping[str, Any]) -> dict[str, Any]:
    """A checked row back in the wire's JSON shape (times and days as text), as kept and as sent."""
    wire = dict(action)
    if isinstance(wire["started_on"], date):
        wire["started_on"] = wire["started_on"].isoformat()
    if isinstance(wire["recorded_at"], datetime):
        wire["recorded_at"] = format_time(wire["recorded_at"])
    return wire


def new_action(kiosk_id: str, title: str, note: str | None, started_on: str, target: dict[str, Any], now: datetime,
               supersedes: str | None = None, withdrawn: bool = False) -> dict[str, Any]:
    """A new row as the wire carries it, checked; ActionRefused when something is wrong with it."""
    return as_wire(checked({"id": str(uuid.uuid4()), "kiosk_id": kiosk_id, "title": title, "note": note or None,
                    "started_on": started_on, "target": target, "supersedes": supersedes, "withdrawn": withdrawn,
                    "recorded_at": format_time(now)}))


def _as_stored(action: Mapping[str, Any]) -> str:
    return json.dumps(as_wire(action), ensure_ascii=False, sort_keys=True)


def keep(action: Mapping[str, Any], now: datetime) -> None:
    """Keep a checked row for sending; a second row with its id is refused (ids are random UUIDs)."""
    with immediate_transaction():
        if KioskAction.get_or_none(KioskAction.id == action["id"]) is not None:
            raise StorageError(f"action {action['id']} is kept already")
        KioskAction.create(id=action["id"], document=_as_stored(action), recorded_at=now)


def _document(row: KioskAction) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(row.document)
    return document


def kept_rows() -> list[dict[str, Any]]:
    """Every row this kiosk recorded, oldest first."""
    return [_document(row) for row in KioskAction.select().order_by(KioskAction.recorded_at, KioskAction.id)]


def unsent(limit: int = 100) -> list[dict[str, Any]]:
    """Rows central has neither kept nor refused, oldest first."""
    query = (KioskAction.select().where(KioskAction.sent_at.is_null() & KioskAction.refused.is_null())
             .order_by(KioskAction.recorded_at, KioskAction.id).limit(limit))
    return [_document(row) for row in query]


def mark_sent(action_id: str, now: datetime) -> None:
    KioskAction.update(sent_at=now).where(KioskAction.id == action_id).execute()


def mark_refused(action_id: str, why: str) -> None:
    KioskAction.update(refused=why[:500]).where(KioskAction.id == action_id).execute()


def delivery() -> dict[str, str]:
    """Per row id this kiosk recorded: ``"sent"``, ``"waiting"`` or ``"refused: why"``."""
    states = {}
    for row in KioskAction.select(KioskAction.id, KioskAction.sent_at, KioskAction.refused):
        states[row.id] = "sent" if row.sent_at else f"refused: {row.refused}" if row.refused else "waiting"
    return states


@dataclass(frozen=True)
class CurrentAction:
    """An action as it stands: its latest row (an edit's, or the withdrawal) and its first."""

    latest: dict[str, Any]
    first: dict[str, Any]

    @property
    def withdrawn(self) -> bool:
        return bool(self.latest["withdrawn"])

    @property
    def started_on(self) -> date:
        return date.fromisoformat(str(self.latest["started_on"]))


def current_actions(rows: Iterable[Mapping[str, Any]]) -> list[CurrentAction]:
    """The actions *rows* make up (:func:`~sync.wire.protocol.chains`), newest start first."""
    by_id = {str(row["id"]): dict(row) for row in rows}
    current = [CurrentAction(by_id[latest], by_id[first]) for latest, first in
               chains((row_id, row["supersedes"]) for row_id, row in by_id.items())]
    return sorted(current, key=lambda item: (str(item.latest["started_on"]), item.latest["recorded_at"]),
                  reverse=True)


def kept_site_actions(data_dir: Path) -> list[CurrentAction]:
    """:func:`site_actions` with the actions of the last network document kept in *data_dir*."""
    kept = NetworkStore(data_dir).current()
    return site_actions(kept.document.get("actions", []) if kept else [])


def standing_starts(data_dir: Path, first: date, last: date) -> dict[date, list[str]]:
    """The titles of the site's standing actions (not withdrawn) that started on each local day from
    *first* to *last*: the markers on the manager's charts."""
    starts: dict[date, list[str]] = {}
    for current in kept_site_actions(data_dir):
        if not current.withdrawn and first <= current.started_on <= last:
            starts.setdefault(current.started_on, []).append(str(current.latest["title"]))
    return starts


def site_actions(network_actions: Iterable[Mapping[str, Any]]) -> list[CurrentAction]:
    """The site's actions: this kiosk's own rows (sent or not) and those central sent in the network
    document (head office's, other kiosks' of the site), each row once."""
    rows = {str(row["id"]): as_wire(row) for row in network_actions}
    rows.update({row["id"]: row for row in kept_rows()})
    return current_actions(rows.values())
