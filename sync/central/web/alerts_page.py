"""``/alerts``: the alert episodes a user may see, open ones first, and their acknowledgement.

A viewer sees an episode when every site it counts is theirs
(:func:`sync.central.alerts.episodes.visible_to`): a site rule of theirs, a silent
kiosk of theirs, or a service rule's unhappy share when the service runs at
their sites only. Anything else is a 404, acknowledging included. Times are
the alert's local time, with the zone's abbreviation (see sync/central/alerts/episodes.py).
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from sync.central.alerts import episodes as alerts
from sync.central.store.models import Alert, AlertRule, Site
from sync.central.store.timesource import utc_now
from sync.central.web.session import current_viewer, viewer_site_ids
from sync.common.zones import site_zone

bp = Blueprint("alerts", __name__)
SHOWN = 200
READ_AT_ONCE = 500


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every alert page needs a login."""


def visible_episodes(open_only: bool = False) -> list[Alert]:
    """The newest :data:`SHOWN` episodes this user may see, open ones first (only those with *open_only*).

    Filtered in Python (what an episode counts is in its detail), read a page at
    a time until enough are found, so other sites' episodes never crowd out a
    viewer's own.
    """
    allowed = viewer_site_ids()
    query = (Alert.select(Alert, AlertRule).join(AlertRule)
             .order_by(Alert.ended_at.is_null(False), Alert.started_at.desc(), Alert.id.desc()))
    if open_only:
        query = query.where(Alert.ended_at.is_null())
    shown: list[Alert] = []
    offset = 0
    while len(shown) < SHOWN:
        page = list(query.limit(READ_AT_ONCE).offset(offset))
        shown += [episode for episode in page if alerts.visible_to(episode, allowed)]
        if len(page) < READ_AT_ONCE:
            break
        offset += READ_AT_ONCE
    return shown[:SHOWN]


@bp.get("/alerts")
def alerts_list() -> ResponseReturnValue:
    """The episodes this user may see, their times in each alert's local time."""
    episodes = visible_episodes()
    site_zones = {site.id: site_zone(site) for site in Site.select()}  # once, not once per episode

    def local_times(episode, moment):
        return alerts.local_times(moment, alerts.episode_zones(episode, site_zones)) if moment else []

    return render_template("central/alerts.html", title=gettext("Alerts"), episodes=episodes, now=utc_now(),
                           describe=lambda episode: alerts.describe(episode, site_zones), local_times=local_times,
                           last_heartbeat_at=alerts.last_heartbeat_at)


@bp.post("/alerts/<id:alert_id>/acknowledge")
def acknowledge(alert_id: int) -> ResponseReturnValue:
    episode = Alert.get_or_none(Alert.id == alert_id)
    if episode is None or not alerts.visible_to(episode, viewer_site_ids()):
        abort(404)
    alerts.acknowledge(episode.id, current_viewer().name)
    flash(gettext("Alert acknowledged."), "success")
    return redirect(url_for("alerts.alerts_list"))
