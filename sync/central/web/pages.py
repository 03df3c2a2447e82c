"""Head office's report pages: overview, drill-down, services, providers, drivers, comments, fleet."""
from flask import Blueprint, render_template
from flask_babel import gettext
from flask_login import login_required

from ..models import Site
from .session import visible_site_ids

bp = Blueprint("pages", __name__)


@bp.before_request
@login_required
def _logged_in():
    """Every report page needs a login."""


@bp.get("/overview")
def overview():
    allowed = visible_site_ids()
    sites = Site.select().order_by(Site.name)
    if allowed is not None:
        sites = sites.where(Site.id.in_(allowed))
    return render_template("central/overview.html", title=gettext("Overview"), sites=list(sites))
