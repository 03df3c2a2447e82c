"""``/admin``: what the ``hymy central`` commands manage, in the browser, for admins.

Every change goes through the same functions the commands call
(sync/central/org/registry.py, content.py), so a name, a zone, opening hours or a PIN
is checked once, the same way. A token or a one-time password is shown once,
on the answer to the form that made it, and never again. Viewers get a 403.
"""
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, overload

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from sync.central.alerts import episodes as alerts
from sync.central.alerts.outbound import WebhookPolicy
from sync.central.org import content
from sync.central.org import registry as org
from sync.central.store.models import AlertRule, Kiosk, Provider, Service, Setting, Site, User, UserSite
from sync.central.web import parse
from sync.central.web.session import current_viewer, require_admin
from sync.wire.errors import ConfigError
from sync.wire.protocol import WEEKDAYS

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_FIELD = 2000
#: The largest whole number a form field takes (the database checks each one's own range).
MAX_WHOLE = 999_999


@bp.before_request
@login_required
def _admins_only() -> None:
    require_admin()


@overload
def _field(name: str, required: Literal[True] = True) -> str: ...
@overload
def _field(name: str, required: Literal[False]) -> str | None: ...


def _field(name: str, required: bool = True) -> str | None:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD:
        abort(400, f"{name}: too long")
    value = value.strip()
    if required and not value:
        raise org.OrgError(gettext("Fill in %(field)s.", field=name))
    return value or None


def _hours(text: str | None) -> dict[str, list[str]]:
    """Opening hours as typed, one ``day=HH:MM-HH:MM[,…]`` per line (as the command's --hours)."""
    table: dict[str, list[str]] = {}
    for line in (text or "").splitlines():
        if line.strip():
            day, _, spans = line.partition("=")
            table.setdefault(day.strip(), []).extend(s.strip() for s in spans.split(",") if s.strip())
    return table


def hours_text(table: Mapping[str, Sequence[str]] | None) -> str:
    """Opening hours as the form takes them, Monday first (the database keeps them in any order)."""
    table = table or {}
    days = sorted(table, key=lambda day: WEEKDAYS.index(day) if day in WEEKDAYS else len(WEEKDAYS))
    return "\n".join(f"{day}={','.join(table[day])}" for day in days)


def _page(status: int = 200, **shown: Any) -> ResponseReturnValue:
    target = Setting.get_or_none(Setting.key == "target")
    minimum = Setting.get_or_none(Setting.key == "min_responses")
    links: dict[int, list[str]] = {}
    for link in UserSite.select(UserSite, Site).join(Site):
        links.setdefault(link.user_id, []).append(link.site.name)
    return render_template(
        "central/admin.html", title=gettext("Admin"), sites=list(Site.select().order_by(Site.name)),
        services=list(Service.select().order_by(Service.name)), providers=list(Provider.select().order_by(
            Provider.name)), kiosks=list(Kiosk.select().order_by(Kiosk.name)),
        users=list(User.select().order_by(User.name)), user_sites=links, hours_text=hours_text,
        rules=list(AlertRule.select().order_by(AlertRule.id)),
        target=target.value if target else None, min_responses=minimum.value if minimum else None,
        share_site_names=content.shares_site_names(), **shown), status


def _act(action: Callable[[], Any], done: str) -> ResponseReturnValue:
    """Run *action*; on a bad value show the page again with the reason (400), else flash *done*."""
    try:
        result = action()
    except (org.OrgError, ConfigError) as error:
        flash(str(error), "error")
        return _page(400)
    if isinstance(result, tuple) and result and result[0] == "shown":
        return _page(**result[1])
    flash(done, "success")
    return redirect(url_for("admin.index"))


@bp.get("")
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/sites")
def add_site() -> ResponseReturnValue:
    return _act(lambda: org.add_site(_field("name"), _field("timezone"), _hours(_field("hours", False))),
                gettext("Site added."))


@bp.post("/sites/<id:site_id>")
def change_site(site_id: int) -> ResponseReturnValue:
    site = Site.get_or_none(Site.id == site_id) or abort(404)
    return _act(lambda: org.change_site(site.name, _field("timezone"), _hours(_field("hours", False))),
                gettext("Site changed."))


@bp.post("/sites/<id:site_id>/pin")
def site_pin(site_id: int) -> ResponseReturnValue:
    site = Site.get_or_none(Site.id == site_id) or abort(404)
    clear = request.form.get("clear") == "1"
    return _act(lambda: org.set_site_pin(site.name, None if clear else _field("pin")),
                gettext("The site's manager PIN is cleared.") if clear else gettext("The site's manager PIN is set."))


@bp.post("/services")
def add_service() -> ResponseReturnValue:
    return _act(lambda: org.add_service(_field("name")), gettext("Service added."))


@bp.post("/providers")
def add_provider() -> ResponseReturnValue:
    return _act(lambda: org.add_provider(_field("name")), gettext("Provider added."))


@bp.post("/kiosks")
def add_kiosk() -> ResponseReturnValue:
    def action():
        name = _field("name")
        token = org.add_kiosk(name, _field("site"), _field("service"), _field("provider", False))
        return "shown", {"secret_title": gettext("Kiosk %(name)s added", name=name),
                         "secrets": [(gettext("Kiosk token"), token)],
                         "secret_hint": gettext("Enroll the kiosk with it (hymy enroll); it is shown only now.")}

    return _act(action, "")


@bp.post("/kiosks/<id:kiosk_id>/revoke")
def revoke_kiosk(kiosk_id: int) -> ResponseReturnValue:
    kiosk = Kiosk.get_or_none(Kiosk.id == kiosk_id) or abort(404)
    return _act(lambda: org.revoke_kiosk(kiosk.name), gettext("Kiosk revoked: its token is refused from now on."))


@bp.post("/users")
def add_user() -> ResponseReturnValue:
    def action():
        name, role = _field("name"), _field("role")
        if role not in ("admin", "viewer"):
            raise org.OrgError(gettext("A user is an admin or a viewer."))
        password, token = org.add_user(name, role, request.form.getlist("sites")[:500], email=_field("email", False))
        return "shown", {"secret_title": gettext("User %(name)s added", name=name),
                         "secrets": [(gettext("Password"), password), (gettext("API token"), token)],
                         "secret_hint": gettext("Hand them over safely; they are shown only now.")}

    return _act(action, "")


@bp.post("/users/<id:user_id>/delete")
def delete_user(user_id: int) -> ResponseReturnValue:
    user = User.get_or_none(User.id == user_id) or abort(404)
    if user.id == current_viewer().id:
        flash(gettext("You cannot delete yourself."), "error")
        return _page(400)
    return _act(lambda: org.delete_user(user.name), gettext("User deleted."))


@bp.post("/network")
def network() -> ResponseReturnValue:
    """Whether the kiosks' network document names the other sites of the ranking."""
    share = request.form.get("share_site_names") == "on"
    return _act(lambda: content.set_share_site_names(share), gettext("Saved."))


@bp.post("/target")
def target() -> ResponseReturnValue:
    def action():
        value = parse.whole(_field("target"), 0, 100)
        if value is None:
            raise ConfigError(gettext("The target is a whole percentage from 0 to 100."))
        content.set_target(value)

    return _act(action, gettext("Target set."))


def _whole(name: str, default: int) -> int:
    value = _field(name, False)
    if value is None:
        return default
    number = parse.whole(value, 0, MAX_WHOLE)
    if number is None:
        raise org.OrgError(gettext("%(field)s: expected a whole number", field=name))
    return number


@bp.post("/alerts")
def add_alert_rule() -> ResponseReturnValue:
    def action():
        covers = _field("covers")
        kind, _, name = covers.partition(":")
        if kind not in ("site", "service") or not name:
            raise org.OrgError(gettext("Choose a site or a service."))
        # A list of addresses, separated by commas or spaces: each piece must be one address.
        emails = [e for e in (_field("emails", False) or "").replace(",", " ").split() if e]
        rule_id, secret = alerts.add_rule(
            site=name if kind == "site" else None, service=name if kind == "service" else None,
            unhappy_share=_whole("unhappy_share", 50), window=_whole("window", 15),
            min_responses=_whole("min_responses", 4), silent_minutes=_whole("silent_minutes", 60),
            emails=emails, webhook=_field("webhook", False),
            webhook_policy=WebhookPolicy.from_config(current_app.extensions["hymy_central"].config))
        if secret is None:
            return None
        return "shown", {"secret_title": gettext("Alert rule %(id)s added", id=rule_id),
                         "secrets": [(gettext("Webhook secret"), secret)],
                         "secret_hint": gettext("Check X-Hymy-Signature with it; it is shown only now.")}

    return _act(action, gettext("Alert rule added."))


@bp.post("/alerts/<id:rule_id>/active")
def toggle_alert_rule(rule_id: int) -> ResponseReturnValue:
    rule = AlertRule.get_or_none(AlertRule.id == rule_id) or abort(404)
    return _act(lambda: alerts.set_active(rule.id, not rule.active),
                gettext("Alert rule paused.") if rule.active else gettext("Alert rule resumed."))
