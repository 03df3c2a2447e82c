"""Head office's report pages: overview, site and kiosk drill-down, a day's hours, services,
providers, drivers, comments and fleet.

Every page asks :mod:`sync.central.reports` (the rollups) for its figures, scoped
to the viewer's sites: a viewer never sees, counts or links to another site,
and a site or kiosk of another site's is a 404, as if it did not exist. The
report's settings (period, service, provider, sort) come from the query
string, so every view is a link that can be shared and every form is a GET.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlencode

import peewee
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from sync.central import reports
from sync.central.alerts import episodes as alerts
from sync.central.org.content import redact_comment
from sync.central.reports.export import export_response
from sync.central.store.models import Followup, Kiosk, Provider, Service, Site
from sync.central.store.timesource import utc_now
from sync.central.web import charts, parse
from sync.central.web.actions_page import action_rows
from sync.central.web.actions_page import page_context as actions_page_context
from sync.central.web.alerts_page import visible_episodes
from sync.central.web.session import current_viewer, require_admin, viewer_site_ids, visible_site
from sync.wire.figures import Counts

bp = Blueprint("pages", __name__)
M = TypeVar("M", Service, Provider)

SORTS = ("name", "responses", "satisfaction", "happy_index", "trend")
DRIVER_GROUPS = ("site", "service", "provider")
MAX_COMMENT_PAGE = 10_000


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every report page needs a login."""


@dataclass
class ReportArgs:
    """The report settings of this request, parsed (sync/central/web/parse.py)."""

    period: reports.Period
    scope: reports.Scope
    service: Service | None
    provider: Provider | None
    sort: str
    descending: bool
    error: str | None
    #: The settings a link carries on, as query text: only parsed values, never the request's own query.
    carried: dict[str, str]
    kiosk: Kiosk | None = None

    def link(self, endpoint: str | None, **changes: Any) -> str:
        """A link to *endpoint* with this request's settings, some changed (``None`` leaves one out).

        A change named like one of *endpoint*'s path arguments fills it (on the same page they default
        to this page's own); every other change is a query setting.
        """
        arguments = _path_arguments(endpoint)
        path = {name: value for name, value in (request.view_args or {}).items()
                if endpoint == request.endpoint and name in arguments}
        query = dict(self.carried)
        for key, value in changes.items():
            if key in arguments:
                path[key] = value
            elif value is None:
                query.pop(key, None)
            else:
                query[key] = str(value)
        url = url_for(endpoint or "", **path)
        return f"{url}?{urlencode(query)}" if query else url

    def sort_link(self, column: str) -> str:
        descending = not (self.sort == column and self.descending) if column != "name" else \
            (self.sort == column and not self.descending)
        return self.link(request.endpoint, sort=column, dir="desc" if descending else "asc")

    def aria_sort(self, column: str) -> str:
        if self.sort != column:
            return "none"
        return "descending" if self.descending else "ascending"


def _path_arguments(endpoint: str | None) -> set[str]:
    """The path arguments of *endpoint*'s routes."""
    return set().union(*(rule.arguments for rule in current_app.url_map.iter_rules(endpoint)))


def _chosen(model: type[M], name: str) -> M | None:
    """The row of *model* named by the query id *name*; None when absent; 404 when it names nothing."""
    row_id = parse.arg_id(name)
    if row_id is None:
        return None
    row = model.get_or_none(model.id == row_id)
    if row is None:
        abort(404)
    return row


def _period() -> tuple[reports.Period, str | None]:
    """``(period, error)``: the period the query asks for, or today's and why the one asked cannot be shown.

    Dates given choose a range, whatever the period says: the filter form keeps the period in a hidden
    field, so changing only the service keeps the period and filling both dates picks them.
    """
    kind, first, last = parse.arg("period"), parse.arg("from"), parse.arg("to")
    kind = "custom" if first and last else (None if kind == "custom" else kind)
    try:
        return reports.Period.parse(kind, parse.day(first), parse.day(last)), None
    except reports.PeriodError as problem:
        return reports.Period(), gettext(problem.template, **problem.values)


def _carried(
    period: reports.Period,
    service: Service | None,
    provider: Provider | None,
    kiosk: Kiosk | None,
    sort: str | None,
    direction: str | None,
    by: str | None,
    text: str | None,
) -> dict[str, str]:
    settings = {"period": period.kind if period.kind in ("7d", "30d") else None,
                "from": period.first.isoformat() if period.first else None,
                "to": period.last.isoformat() if period.last else None,
                "service": service.id if service else None, "provider": provider.id if provider else None,
                "kiosk": kiosk.id if kiosk else None, "by": by, "sort": sort, "dir": direction, "q": text}
    return {key: str(value) for key, value in settings.items() if value is not None}


def report_args(site: Site | None = None) -> ReportArgs:
    """This request's report settings; with *site*, also the kiosk of it that ``?kiosk=ID`` chooses.

    A malformed setting is a 400 and an id that names nothing (or not one of the viewer's) a 404, except
    the period's: a page that cannot show the period asked shows today's and says why, with a 400.
    """
    period, error = _period()
    service, provider = _chosen(Service, "service"), _chosen(Provider, "provider")
    for chosen in (service, provider):
        if chosen is not None and chosen.id not in {row.id for row in _visible(type(chosen))}:
            abort(404)  # another site's service or provider: as if it did not exist
    kiosk = _chosen_kiosk(site) if site is not None else None
    sort, direction = parse.arg_choice("sort", SORTS), parse.arg_choice("dir", ("asc", "desc"))
    by, text = parse.arg_choice("by", DRIVER_GROUPS), parse.arg("q")
    allowed = viewer_site_ids()
    scope = reports.Scope(tuple(allowed) if allowed is not None else None,
                          service.id if service else None, provider.id if provider else None)
    return ReportArgs(period, scope, service, provider, sort or "name", direction == "desc", error,
                      _carried(period, service, provider, kiosk, sort, direction, by, text), kiosk)


def _visible_kiosk(kiosk_id: int) -> Kiosk:
    kiosk = Kiosk.get_or_none(Kiosk.id == kiosk_id)
    if kiosk is None:
        abort(404)
    visible_site(kiosk.site_id)
    return kiosk


def _sorted(
    rows: list[tuple[Any, reports.Figures]],
    args: ReportArgs,
    name: Callable[[tuple[Any, reports.Figures]], Any] = lambda row: row[0].name.lower(),
) -> list[tuple[Any, reports.Figures]]:
    """*rows* of ``(thing, Figures)`` sorted as the request asks; never-enough figures last."""
    if args.sort == "name":
        return sorted(rows, key=name, reverse=args.descending)
    known = [row for row in rows if row[1].sort_key(args.sort)[0] is False]
    unknown = [row for row in rows if row[1].sort_key(args.sort)[0] is True]
    known.sort(key=lambda row: row[1].sort_key(args.sort)[1], reverse=args.descending)
    return known + sorted(unknown, key=name)


def _visible(model: type[Service] | type[Provider]) -> list[Any]:
    """Every service or provider for an admin; for a viewer, those with a kiosk at one of their sites
    (a provider that serves only other sites is none of their business, not even its name)."""
    query = model.select().order_by(model.name)
    allowed = viewer_site_ids()
    if allowed is None:
        return list(query)
    field = Kiosk.service if model is Service else Kiosk.provider
    serving = Kiosk.select(field).where(Kiosk.site.in_(allowed) if allowed else peewee.Value(False))
    return list(query.where(model.id.in_(serving)))


def _choices() -> dict[str, list[Any]]:
    return {"services": _visible(Service), "providers": _visible(Provider)}


def _page(template: str, title: str, args: ReportArgs, **context: Any) -> ResponseReturnValue:
    """A report page; a 400 when it shows today's figures because the period asked could not be shown."""
    page = render_template(f"central/{template}", title=title, args=args, now=utc_now(),
                           target=reports.brand_settings()[0], describe_alert=alerts.describe, **_choices(), **context)
    return page, 400 if args.error else 200


# -- overview and drill-down --------------------------------------------------------------------

@bp.get("/overview")
def overview() -> ResponseReturnValue:
    args = report_args()
    now = utc_now()
    sites = reports.sites_in(args.scope)
    by_site = reports.figures_by("site", args.scope, args.period, now)
    kiosk_counts = _kiosk_counts(args.scope)
    empty = reports.empty_figures()
    rows = _sorted([(site, by_site.get(site.id, empty)) for site in sites], args)
    total = reports.total_figures(args.scope, args.period, now, by_site=by_site)
    open_alerts = visible_episodes(open_only=True)
    return _page("overview.html", gettext("Overview"), args, rows=rows, total=total, kiosk_counts=kiosk_counts,
                 below=sum(1 for _, f in rows if f.below_target), open_alerts=open_alerts)


def _kiosk_counts(scope: reports.Scope) -> dict[int, int]:
    counts: dict[int, int] = {}
    for kiosk in Kiosk.select(Kiosk.site).where(scope.kiosk_condition() & ~Kiosk.revoked):
        counts[kiosk.site_id] = counts.get(kiosk.site_id, 0) + 1
    return counts


@bp.get("/sites/<id:site_id>")
def site(site_id: int) -> ResponseReturnValue:
    """A site's figures; with ``?kiosk=ID`` one of its kiosks' (the step from site to kiosk to day)."""
    site = visible_site(site_id)
    args = report_args(site)
    now = utc_now()
    site_scope = args.scope.narrowed(site_ids=(site.id,))
    kiosk = args.kiosk
    scope = site_scope.narrowed(central_kiosk_id=kiosk.id) if kiosk else site_scope
    figures = reports.total_figures(scope, args.period, now)
    kiosks = list(Kiosk.select().where(site_scope.kiosk_condition()).order_by(Kiosk.name))
    by_kiosk = reports.figures_by("kiosk", site_scope, args.period, now)
    empty = reports.empty_figures()
    kiosk_rows = _sorted([(k, by_kiosk.get(k.id, empty)) for k in kiosks], args)
    target, min_responses = reports.brand_settings()
    months = reports.months(site, scope, now)
    trend_chart = charts.month_line(months, target, min_responses)
    heat_cells = charts.heat_map(reports.heat_map(site, scope, args.period, now), target, min_responses)
    first, last = args.period.days_for(reports.local_today(site, now))
    days = reports.day_counts("day", scope, reports.Period.parse("custom", first.isoformat(), last.isoformat()), now,
                              reasons=False)
    day_rows = [(_as_date(day), reports.Figures(counts, Counts(), target, min_responses))
                for day, counts in sorted(days.items(), key=lambda item: str(item[0]), reverse=True)]
    title = f"{site.name} · {kiosk.name}" if kiosk else site.name
    return _page("site.html", title, args, site=site, kiosk=kiosk, figures=figures, kiosk_rows=kiosk_rows,
                 trend_chart=trend_chart, heat_cells=heat_cells, day_rows=day_rows,
                 action_rows=action_rows([site.id], now), site_today=reports.local_today(site, now),
                 **actions_page_context())


def _chosen_kiosk(site: Site) -> Kiosk | None:
    """The kiosk ``?kiosk=ID`` names, which must stand at *site* (404 otherwise); None when not asked."""
    kiosk_id = parse.arg_id("kiosk")
    if kiosk_id is None:
        return None
    kiosk = _visible_kiosk(kiosk_id)
    if kiosk.site_id != site.id:
        abort(404)
    return kiosk


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@bp.get("/sites/<id:site_id>/days/<day:day>")
def site_day(site_id: int, day: date) -> ResponseReturnValue:
    """A site's (or with ``?kiosk=ID`` a kiosk's) local day, hour by hour."""
    site = visible_site(site_id)
    chosen = day
    args = report_args(site)
    kiosk = args.kiosk
    scope = args.scope.narrowed(site_ids=(site.id,), central_kiosk_id=kiosk.id if kiosk else None)
    day_period = reports.Period.parse("custom", chosen.isoformat(), chosen.isoformat())
    figures = reports.total_figures(scope, day_period, utc_now())
    hours = reports.hours_of_day(site, scope, chosen)
    return _page("day.html", f"{site.name} · {chosen.isoformat()}", args, site=site, kiosk=kiosk, day=chosen,
                 figures=figures, hour_chart=charts.hour_bars(hours, figures.target, figures.min_responses))


# -- the portfolio: services and providers ------------------------------------------------------

@bp.get("/services")
def services() -> ResponseReturnValue:
    args = report_args()
    now = utc_now()
    by_service = reports.figures_by("service", args.scope, args.period, now)
    empty = reports.empty_figures()
    rows = _sorted([(service, by_service.get(service.id, empty)) for service in _visible(Service)], args)
    sites = reports.sites_in(args.scope)
    matrix = {service.id: reports.figures_by("site", args.scope.narrowed(service_id=service.id), args.period, now)
              for service, _ in rows}
    total = reports.total_figures(args.scope, args.period, now)
    return _page("services.html", gettext("Services"), args, rows=rows, sites=sites, matrix=matrix, total=total)


@bp.get("/providers")
def providers() -> ResponseReturnValue:
    args = report_args()
    now = utc_now()
    by_provider = reports.figures_by("provider", args.scope, args.period, now)
    empty = reports.empty_figures()
    rows = _sorted([(provider, by_provider.get(provider.id, empty)) for provider in _visible(Provider)], args)
    total = reports.total_figures(args.scope, args.period, now)
    served = _served_by(args.scope)
    # Each provider where it serves: per site and per service, so a provider that lifts one site
    # and drags another shows both.
    by_site = {provider.id: reports.figures_by("site", args.scope.narrowed(provider_id=provider.id), args.period, now)
               for provider, _ in rows}
    by_service = {provider.id: reports.figures_by("service", args.scope.narrowed(provider_id=provider.id),
                                                  args.period, now) for provider, _ in rows}
    served_services = [service for service in _visible(Service)
                       if any(service.id in figures for figures in by_service.values())]
    return _page("providers.html", gettext("Providers"), args, rows=rows, total=total, served=served,
                 sites=reports.sites_in(args.scope), by_site=by_site, by_service=by_service,
                 served_services=served_services)


def _served_by(scope: reports.Scope) -> dict[int, tuple[list[str], list[str]]]:
    """provider id -> (site names, service names) it serves within *scope*."""
    served: dict[int, tuple[set[str], set[str]]] = {}
    query: Any = (Kiosk.select(Kiosk.provider, Site.name, Service.name.alias("service_name"))
             .join(Site).switch(Kiosk).join(Service)
             .where(scope.kiosk_condition() & Kiosk.provider.is_null(False)).dicts())
    for row in query:
        sites, services_ = served.setdefault(row["provider"], (set(), set()))
        sites.add(row["name"])
        services_.add(row["service_name"])
    return {key: (sorted(a), sorted(b)) for key, (a, b) in served.items()}


# -- drivers ------------------------------------------------------------------------------------

@bp.get("/drivers")
def drivers() -> ResponseReturnValue:
    args = report_args()
    now = utc_now()
    group_by = parse.arg_choice("by", DRIVER_GROUPS) or "site"
    current = reports.day_counts(group_by, args.scope, args.period, now)
    previous = reports.day_counts(group_by, args.scope, args.period, now, previous=True)
    group_of = reports.reason_groups()
    names = reports.named(reports.NAMED_BY[group_by], set(current) | set(previous))
    total_now = Counts.total(current.values())
    total_before = Counts.total(previous.values())
    overall = charts.driver_rows(total_now, total_before, group_of)
    rows = [(names[key], charts.driver_rows(current.get(key, Counts()), previous.get(key, Counts()),
                                            group_of))
            for key in sorted(names, key=lambda key: names[key].name.lower())]
    return _page("drivers.html", gettext("Drivers"), args, overall=overall, rows=rows, group_by=group_by,
                 labels=reports.reason_labels())


# -- comments -----------------------------------------------------------------------------------

@bp.get("/comments")
def comments() -> ResponseReturnValue:
    args = report_args()
    query_text = parse.arg("q") or ""
    page_number = parse.arg_whole("page", 1, MAX_COMMENT_PAGE) or 1
    rows, more = reports.comments(args.scope, args.period, utc_now(), query_text, page_number)
    return _page("comments.html", gettext("Comments"), args, rows=rows, more=more, q=query_text,
                 page_number=page_number, labels=reports.reason_labels())


# -- export -------------------------------------------------------------------------------------

@bp.get("/export")
def export() -> ResponseReturnValue:
    """The ratings behind the current filter, as the export API gives them (CSV or JSON).

    The filter is the page's: its period in each site's own local days, the service and the
    provider, and on a site's page that site (``?site=ID``) and kiosk (``?kiosk=ID``).
    """
    site = _chosen_site()
    args = report_args(site)
    if args.error:
        abort(400, args.error)
    fmt = parse.arg_choice("format", ("csv", "json")) or "csv"
    scope = args.scope
    if site is not None:
        scope = scope.narrowed(site_ids=(site.id,), central_kiosk_id=args.kiosk.id if args.kiosk else None)
    elif parse.arg_id("kiosk") is not None:
        abort(404)  # a kiosk is chosen on its site's page
    now = utc_now()
    sites = reports.sites_in(scope)
    site_days = {site.name: args.period.days_for(reports.local_today(site, now)) for site in sites}
    spans = list(site_days.values()) or [args.period.days_for(now.date())]
    first, last = min(first for first, _ in spans), max(last for _, last in spans)
    return export_response(first, last, fmt, [site.id for site in sites], scope.kiosk_condition(), site_days)


def _chosen_site() -> Site | None:
    """The site ``?site=ID`` names, if it is the viewer's (404 otherwise); None when not asked."""
    site_id = parse.arg_id("site")
    return visible_site(site_id) if site_id is not None else None


@bp.post("/comments/<uuid_text:followup_id>/redact")
def redact(followup_id: str) -> ResponseReturnValue:
    """Blank one comment for good (admin), then back to the comments as they were listed."""
    require_admin()
    back = report_args().link("pages.comments", page=parse.arg_whole("page", 1, MAX_COMMENT_PAGE))
    followup = Followup.get_or_none(Followup.id == followup_id)
    if followup is None:
        abort(404)
    _visible_kiosk(followup.rating.kiosk_id)
    redact_comment(followup.id, by=current_viewer().name)
    flash(gettext("The comment is blanked."), "success")
    return redirect(back)


# -- fleet --------------------------------------------------------------------------------------

@bp.get("/fleet")
def fleet() -> ResponseReturnValue:
    args = report_args()
    rows = reports.fleet(args.scope, utc_now())
    return _page("fleet.html", gettext("Fleet"), args, rows=rows, flagged=sum(1 for row in rows if row.silent))
