"""``/alerts``: the alert episodes a user may see, open ones first, and their acknowledgement.

A viewer sees an episode when its rule covers one of their sites: a site
rule of theirs, or a service rule whose episode concerns one of their
kiosks (a silent kiosk) or, for the unhappy share, any kiosk of theirs
running that service. Anything else is a 404, acknowledging included.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import login_required

from .. import alerts
from ..models import Alert, AlertRule, Device
from ..timesource import utc_now
from .session import current_viewer, visible_site_ids

bp = Blueprint("alerts", __name__)
SHOWN = 200


@bp.before_request
@login_required
def _logged_in():
    """Every alert page needs a login."""


def visible(episode, allowed):
    """True when a user seeing *allowed* sites (None: all) may see *episode*."""
    if allowed is None:
        return True
    rule = episode.rule
    if rule.site_id is not None:
        return rule.site_id in allowed
    if episode.kiosk_id is not None:
        return episode.kiosk.site_id in allowed
    return Device.select().where((Device.service == rule.service_id) & Device.site.in_(allowed)).exists()


def visible_episodes():
    allowed = visible_site_ids()
    query = (Alert.select(Alert, AlertRule).join(AlertRule)
             .order_by(Alert.ended_at.is_null(False), Alert.started_at.desc()).limit(SHOWN))
    return [episode for episode in query if visible(episode, allowed)]


@bp.get("/alerts")
def alerts_list():
    episodes = visible_episodes()
    return render_template("central/alerts.html", title=gettext("Alerts"), episodes=episodes, now=utc_now(),
                           describe=alerts.describe)


@bp.post("/alerts/<int:alert_id>/acknowledge")
def acknowledge(alert_id):
    episode = Alert.get_or_none(Alert.id == alert_id)
    if episode is None or not visible(episode, visible_site_ids()):
        abort(404)
    alerts.acknowledge(episode.id, current_viewer().name)
    flash(gettext("Alert acknowledged."), "success")
    return redirect(url_for("alerts.alerts_list"))
