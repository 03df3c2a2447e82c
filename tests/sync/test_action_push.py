"""The manager's actions reach central exactly once through a misbehaving network, and central's
actions for the site reach the kiosk through the network document.

Actions have their own outbox: a lost answer (central kept the row, the kiosk never heard) means the
row is sent again and answered 200, never kept twice; an error before central stops the step until
the next pass without failing the pass; a row central will never keep is marked refused, shown,
and does not hold back the rows after it."""

import json
import uuid

from kiosk.storage import actions
from kiosk.storage.network import NetworkStore
from tests.helpers.proxy import DROP, ERROR_503, FORWARD

LUNCH = {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11, "to_hour": 14}


def _record(world, title, target=None, **fields):
    action = actions.new_action(world.kiosk_id, title, None, "2026-01-02", target or LUNCH, world.clock.now(),
                                **fields)
    actions.keep(action, world.clock.now())
    world.advance(1)  # the outbox sends oldest first: each row its own moment
    return action


def _action_posts(world):
    return [e for e in world.proxy.exchanges if e.path == "/api/v1/actions"]


def _central_actions(world):
    return world.central_query("SELECT id, title, withdrawn, kiosk_id IS NOT NULL FROM action ORDER BY title")


def test_a_lost_answer_and_an_error_before_central_still_keep_each_action_once(make_world):
    faults = iter([DROP, ERROR_503])

    def decide(exchange):
        return next(faults, FORWARD) if exchange.path == "/api/v1/actions" else FORWARD

    world = make_world(proxy={"decide": decide})
    first, second = _record(world, "Toinen kassa"), _record(world, "Jonon ohjaus", {"kind": "reason",
                                                                                    "reason": "waiting"})
    world.record(2)
    for _ in range(3):
        world.uploader.run_pass()  # the ratings go every time; the actions step never fails the pass
    statuses = [e.status for e in _action_posts(world)]
    assert statuses[:2] == [201, None]  # kept, answer lost; then refused before central (503)
    assert sorted(statuses[2:]) == [200, 201]  # sent again: a duplicate; then the second one
    assert [row[1] for row in _central_actions(world)] == ["Jonon ohjaus", "Toinen kassa"]
    assert actions.unsent() == [] and set(actions.delivery().values()) == {"sent"}
    world.uploader.run_pass()
    assert len(_action_posts(world)) == 4  # nothing sent again once settled
    assert world.central_count() == 2 and {first["id"], second["id"]} == {row[0] for row in _central_actions(world)}


def test_a_refused_action_is_kept_and_shown_and_the_next_still_goes(make_world):
    world = make_world(proxy={})
    other_site_row = str(uuid.uuid4())  # supersedes nothing central holds: 422, for good
    refused = _record(world, "Korjaus", supersedes=other_site_row)
    fine = _record(world, "Uusi opaste", {"kind": "site"})
    world.uploader.run_pass()
    states = actions.delivery()
    assert states[fine["id"]] == "sent" and states[refused["id"]].startswith("refused: HTTP 422")
    world.uploader.run_pass()
    assert [e.document["title"] for e in _action_posts(world)] == ["Korjaus", "Uusi opaste"]  # not again


def test_head_offices_action_reaches_the_kiosk_and_the_kiosk_withdraws_it(make_world):
    world = make_world(proxy={})
    world.uploader.run_pass()  # enrolled: the kiosk's site is known at central
    head_office = str(uuid.uuid4())
    world.central_execute(
        "INSERT INTO action (id, site_id, kiosk_id, title, note, started_on, target, supersedes, withdrawn,"
        " recorded_at, recorded_by, received_at) SELECT ?, site_id, NULL, ?, NULL, ?, ?, NULL, 0, ?, ?, ?"
        " FROM kiosk WHERE name = 'kamppi-1'",
        (head_office, "Second cashier at lunch", "2026-01-02", json.dumps(LUNCH), "2026-01-05 10:00:00.000000",
         "hanna", "2026-01-05 10:00:00.000000"))
    world.advance(2 * 3600)  # the next network refresh
    world.uploader.run_pass()
    kept = NetworkStore(world.config.data_dir).current()
    assert [action["title"] for action in kept.document["actions"]] == ["Second cashier at lunch"]
    current = actions.site_actions(kept.document["actions"])
    assert [(c.latest["title"], c.withdrawn) for c in current] == [("Second cashier at lunch", False)]

    latest = current[0].latest
    withdrawal = actions.new_action(world.kiosk_id, latest["title"], None, str(latest["started_on"]), latest["target"],
                                    world.clock.now(), supersedes=head_office, withdrawn=True)
    actions.keep(withdrawal, world.clock.now())
    world.uploader.run_pass()
    rows = _central_actions(world)
    assert sorted((title, bool(withdrawn), by_kiosk) for _, title, withdrawn, by_kiosk in rows) == [
        ("Second cashier at lunch", False, False), ("Second cashier at lunch", True, True)]
    site_of = world.central_query("SELECT DISTINCT site_id FROM action")
    assert len(site_of) == 1
