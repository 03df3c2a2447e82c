"""A small head-office network with one of every kind of id central's routes take, and a session per role.

Two sites in two zones (Kamppi in Helsinki, Södermalm in Stockholm); at Kamppi a kiosk that sent
ratings with follow-ups and comments today and recorded an action, and one enrolled a day ago and
silent since; an alert rule with an open unhappy episode and a silent-kiosk one; users: an admin, a
viewer of Kamppi, a viewer of Södermalm, and a viewer who exists to be deleted. Used by the tests
that walk every route (the security headers, the hostile query strings and ids).
"""
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import requests

from sync.central.alerts import episodes as alerts
from tests.helpers.batches import batch, followup_row, rating_row

#: role -> (user name, role, sites); "anonymous" has no login.
USERS = {"admin": ("hanna", "admin", ()), "viewer": ("ville", "viewer", ("Kamppi",)),
         "other viewer": ("sanna", "viewer", ("Södermalm",))}
ROLES = (*USERS, "anonymous")


@dataclass
class Seeded:
    """What :func:`seed` made: real ids per path argument name, and a browser session per role."""

    ids: dict
    sessions: dict = field(default_factory=dict)

    def close(self):
        for session in self.sessions.values():
            session.close()


class Anonymous:
    """No login: a plain HTTP session, shaped like the logged-in ones (``.http``)."""

    def __init__(self):
        self.http = requests.Session()

    def close(self):
        self.http.close()


def _send_today(central, token, device_id, now):
    rows, followups = [], []
    for seq, rating in enumerate([4, 1, 2, 3, 1, 4, 2], start=1):
        row = rating_row(seq, rating=rating, recorded_at=now - timedelta(minutes=60 - seq))
        rows.append(row)
        if rating <= 2:
            followups.append(followup_row(row, reason="staff", reason_group="attitude", comment=f"Jono {seq}"))
    answer = central.post_batch(token, batch(device_id, rows, followups, sent_at=now))
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text


def seed(central):
    """Build the network on *central* (the ``central`` or ``module_central`` fixture's server) at its clock's now."""
    now = central.clock.now()
    central.add_site("Kamppi", "Europe/Helsinki")
    central.add_site("Södermalm", "Europe/Stockholm")
    central.ok("add-provider", "Palvelu Oy")
    central.clock.set_wall(now - timedelta(days=1))
    central.enrolled_kiosk("kamppi-silent", site="Kamppi", service="checkout")
    central.clock.set_wall(now)
    token, device_id = central.enrolled_kiosk("kamppi-1", site="Kamppi", service="checkout", provider="Palvelu Oy")
    central.enrolled_kiosk("soder-1", site="Södermalm", service="checkout")
    _send_today(central, token, device_id, now)
    action = {"id": str(uuid.uuid4()), "kiosk_id": device_id, "title": "Toinen kassa", "started_on":
              (now - timedelta(days=3)).date().isoformat(), "target": {"kind": "site"},
              "recorded_at": now.isoformat().replace("+00:00", "Z")}
    answer = central.request("POST", "/api/v1/actions", token, json=action)
    assert answer.status_code == 201, answer.text
    central.ok("add-alert", "--site", "Kamppi", "--unhappy-share", "10", "--window", "600", "--min-responses", "2",
               "--silent-minutes", "30", "--email", "ops@example.com")
    central.query(lambda models: alerts.evaluate(now))
    passwords = {role: central.add_user(name, kind, sites=sites)[0] for role, (name, kind, sites) in USERS.items()}
    central.add_user("poistettava", "viewer", sites=("Kamppi",))

    def read(m):
        return {
            "site_id": [site.id for site in m.Site.select().order_by(m.Site.name)],
            "kiosk_id": [kiosk.id for kiosk in m.Kiosk.select().order_by(m.Kiosk.name)],
            "user_id": [m.User.get(m.User.name == "poistettava").id],
            "rule_id": [rule.id for rule in m.AlertRule.select()],
            "alert_id": [episode.id for episode in m.Alert.select()],
            "followup_id": [followup.id for followup in m.Followup.select().order_by(m.Followup.id)],
            "service": [service.id for service in m.Service.select()],
            "provider": [provider.id for provider in m.Provider.select()],
            "action_id": [action.id for action in m.Action.select()],
        }

    ids = central.query(read)
    assert ids["alert_id"] and ids["followup_id"], ids
    ids["day"] = [now.date().isoformat()]
    seeded = Seeded(ids)
    for role, (name, _, _) in USERS.items():
        seeded.sessions[role] = central.log_in(name, passwords[role])
    seeded.sessions["anonymous"] = Anonymous()
    return seeded
