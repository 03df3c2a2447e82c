"""Actions a site took to move its figures, kept row by row.

A row never changes. An edit is a new row whose ``supersedes`` names the row it replaces, and a
withdrawal a new row with ``withdrawn`` set, which stays visible as withdrawn. A kiosk's action
comes through ``POST /api/v1/actions`` (its site is the kiosk's, set here); head office records one
for a site it may see. The same id with the same content is a duplicate (nothing happens again);
with other content, a conflict.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import peewee

from sync.central.store.db import locked, write_transaction
from sync.central.store.models import Action, Kiosk, Site
from sync.wire.errors import HymyError
from sync.wire.protocol import ACTION_FIELDS, RowError, chains, check_row, format_time

#: What a row of the same id must equal to be the same action (the id, the site and who sent it aside).
COMPARED = ("title", "note", "started_on", "target", "supersedes", "withdrawn", "recorded_at")


class ActionError(HymyError, RowError):
    """An action that cannot be kept: malformed (:attr:`path` names the field), another site's, or in
    conflict with one kept."""


class ActionConflict(ActionError):
    """The id is kept already, with other content."""


def checked_action(document: Any) -> dict[str, Any]:
    """*document* as the protocol takes it; ActionError naming the field."""
    try:
        return check_row(document, ACTION_FIELDS)
    except RowError as error:
        raise ActionError(f"action: {error}", error.path) from None


def _as_compared(row: Mapping[str, Any]) -> tuple[Any, ...]:
    values = dict(row)
    if isinstance(values.get("recorded_at"), datetime):
        values["recorded_at"] = format_time(values["recorded_at"])
    if isinstance(values.get("started_on"), date):
        values["started_on"] = values["started_on"].isoformat()
    return tuple(values[name] for name in COMPARED)


def record_action(site: Site, action: Mapping[str, Any], received_at: datetime, *, kiosk: Kiosk | None = None,
                  recorded_by: str | None = None, latest_only: bool = False) -> bool:
    """Keep the checked *action* for *site*; True when it is new, False for a duplicate.

    With *latest_only* (head office's pages, which show the latest row), an edit or withdrawal of a
    row that another has superseded meanwhile is refused, so two people changing an action at once
    get one change and a message, not two versions. A kiosk's edit made offline is kept even then:
    both versions show, which loses nothing the manager wrote.

    :raises ActionError: it supersedes an action of another site (or none kept).
    :raises ActionConflict: its id is kept with other content; or, with *latest_only*, the row it
        supersedes has been superseded already.
    """
    with write_transaction():
        held = Action.get_or_none(Action.id == action["id"])
        if held is not None:
            if held.site_id != site.id or _as_compared(_row(held)) != _as_compared(action):
                raise ActionConflict(f"action {action['id']}: kept already with other content")
            return False
        if action["supersedes"] is not None:
            earlier = locked(Action.select().where(Action.id == action["supersedes"])).first()
            if earlier is None or earlier.site_id != site.id:
                raise ActionError("supersedes: no action of this site has that id")
            if latest_only and Action.select().where(Action.supersedes == earlier.id).exists():
                raise ActionConflict(f"action {earlier.id}: changed meanwhile")
        try:
            Action.create(id=action["id"], site=site.id, kiosk=kiosk.id if kiosk else None, title=action["title"],
                          note=action["note"], started_on=action["started_on"], target=action["target"],
                          supersedes=action["supersedes"], withdrawn=action["withdrawn"],
                          recorded_at=action["recorded_at"], recorded_by=recorded_by, received_at=received_at)
        except peewee.IntegrityError:
            raise ActionConflict(f"action {action['id']}: kept already") from None
    return True


def _row(action: Action) -> dict[str, Any]:
    return {"title": action.title, "note": action.note, "started_on": action.started_on,
            "target": action.target, "supersedes": action.supersedes, "withdrawn": action.withdrawn,
            "recorded_at": action.recorded_at}


def as_wire(action: Action, kiosk_uuid: str | None = None) -> dict[str, Any]:
    """A kept row as the protocol carries it (the network document's ``actions``)."""
    return {"id": action.id, "kiosk_id": kiosk_uuid, "title": action.title, "note": action.note,
            "started_on": action.started_on.isoformat(), "target": action.target,
            "supersedes": action.supersedes, "withdrawn": action.withdrawn,
            "recorded_at": format_time(action.recorded_at)}


def site_rows(site_ids: Iterable[int] | None) -> list[Action]:
    """Every action row of *site_ids* (None: every site), oldest first."""
    query = Action.select().order_by(Action.recorded_at, Action.id)
    if site_ids is not None:
        wanted = list(site_ids)
        query = query.where(Action.site.in_(wanted)) if wanted else query.where(peewee.Value(False))
    return list(query)


def site_actions_on_the_wire(site_id: int) -> list[dict[str, Any]]:
    """The site's rows as the network document carries them, a kiosk's naming its kiosk's UUID."""
    rows = site_rows([site_id])
    kiosks = {row.kiosk_id for row in rows if row.kiosk_id}
    pairs: Any = Kiosk.select(Kiosk.id, Kiosk.uuid).where(Kiosk.id.in_(list(kiosks))).tuples() if kiosks else ()
    uuids = dict(pairs)
    return [as_wire(row, uuids.get(row.kiosk_id) if row.kiosk_id else None) for row in rows]


@dataclass(frozen=True)
class CurrentAction:
    """An action as it stands: its latest row (an edit's, or the withdrawal), and where it started."""

    latest: Action
    first: Action

    @property
    def withdrawn(self) -> bool:
        return bool(self.latest.withdrawn)


def current_actions(rows: Iterable[Action]) -> list[CurrentAction]:
    """The actions *rows* make up (:func:`~sync.wire.protocol.chains`), newest start first."""
    by_id = {row.id: row for row in rows}
    current = [CurrentAction(by_id[latest], by_id[first]) for latest, first in
               chains((row.id, row.supersedes) for row in by_id.values())]
    return sorted(current, key=lambda item: (item.latest.started_on, item.latest.recorded_at), reverse=True)
