"""``GET /api/v1/ratings``: one row per rating for head office, streamed.

Rows are read in pages ordered by (occurred_at, id), so a year of data goes
out at constant memory. ``from``/``to`` are local dates at each rating's site
(in UTC for a site whose stored zone is unusable, as on every page);
a viewer sees only their own sites. In the CSV, a text cell that a
spreadsheet would take for a formula is prefixed with ``'``; JSON is as stored.
"""
import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import peewee
from flask import Blueprint, Response, request, stream_with_context
from werkzeug.exceptions import BadRequest, Forbidden

from sync.central.org.auth import current_user, visible_site_ids
from sync.central.store.db import connection
from sync.central.store.models import Followup, Kiosk, Provider, Rating, Redaction, Service, Site
from sync.common.zones import site_zone
from sync.wire.protocol import EARLIEST_YEAR, GROUPS, LATEST_YEAR, RowError, check_text

bp = Blueprint("export", __name__)

PAGE = 1000
MAX_DAYS = 3660
COLUMNS = ("id", "kiosk", "site", "service", "provider", "seq", "rating", "source", "filtered",
           "reason", "reason_group", "dimension", "comment", "question", "question_version",
           "recorded_at", "occurred_at", "local_time", "time_basis", "corrected")
LEFT = peewee.JOIN.LEFT_OUTER


def _page_query(
    start: datetime,
    end: datetime,
    site_ids: Sequence[int] | None,
    after: tuple[datetime, str] | None,
    kiosks: Any = None,
) -> Any:
    query = (Rating.select(
        Rating.id, Rating.seq, Rating.rating, Rating.source, Rating.filtered,
        Rating.question_key, Rating.question_version, Rating.recorded_at, Rating.occurred_at, Rating.time_basis,
        Kiosk.name.alias("kiosk"), Site.name.alias("site"), Site.timezone.alias("timezone"),
        Service.name.alias("service"), Provider.name.alias("provider"),
        Followup.reason, Followup.reason_group, Followup.comment, Redaction.id.alias("redaction"))
        .join(Kiosk).join(Site).switch(Kiosk).join(Service).switch(Kiosk).join(Provider, LEFT)
        .switch(Rating).join(Followup, LEFT).join(Redaction, LEFT)
        .where((Rating.occurred_at >= start) & (Rating.occurred_at < end))
        .order_by(Rating.occurred_at, Rating.id)
        .limit(PAGE))
    if site_ids is not None:
        query = query.where(Kiosk.site.in_(site_ids))
    if kiosks is not None:
        query = query.where(kiosks)
    if after is not None:
        moment, last_id = after
        query = query.where((Rating.occurred_at > moment) | ((Rating.occurred_at == moment) & (Rating.id > last_id)))
    return query.dicts()


def _utc(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _export_row(row: Mapping[str, Any], local: datetime) -> dict[str, Any]:
    group = row["reason_group"]
    return {
        "id": row["id"], "kiosk": row["kiosk"], "site": row["site"], "service": row["service"],
        "provider": row["provider"], "seq": row["seq"], "rating": row["rating"], "source": row["source"],
        "filtered": row["filtered"], "reason": row["reason"], "reason_group": group,
        "dimension": GROUPS.get(group) if group else None,
        "comment": None if row["redaction"] else row["comment"],
        "question": row["question_key"], "question_version": row["question_version"],
        "recorded_at": _utc(row["recorded_at"]), "occurred_at": _utc(row["occurred_at"]),
        "local_time": local.isoformat(), "time_basis": row["time_basis"],
        "corrected": row["time_basis"] == "corrected",
    }


def export_rows(
    first_day: date,
    last_day: date,
    site_ids: Sequence[int] | None,
    kiosks: Any = None,
    site_days: Mapping[str, tuple[date, date]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows for local days first_day..last_day at *site_ids* (None: every site).

    :param kiosks: a further condition on the kiosk (head office's pages: a service, a provider).
    :param site_days: site name -> its own (first, last) local days within those, for a period
        such as "today" that is a different day at sites in different zones.
    """
    site_days = site_days or {}
    # UTC bounds wide enough for any time zone; the exact local day is checked per row.
    start = datetime.combine(first_day - timedelta(days=1), time())
    end = datetime.combine(last_day + timedelta(days=2), time())
    zones: dict[tuple[str, str], tzinfo] = {}
    after: tuple[datetime, str] | None = None
    while True:
        with connection():
            page = list(_page_query(start, end, site_ids, after, kiosks))
        for row in page:
            site = (row["site"], row["timezone"])
            if site not in zones:
                zones[site] = site_zone(Site(name=row["site"], timezone=row["timezone"]))
            local = row["occurred_at"].astimezone(zones[site])
            first, last = site_days.get(row["site"], (first_day, last_day))
            if first <= local.date() <= last:
                yield _export_row(row, local)
        if len(page) < PAGE:
            return
        after = (page[-1]["occurred_at"], page[-1]["id"])


# A spreadsheet takes a cell starting with one of these as a formula (or, for
# tab and carriage return, strips them and then may): a comment such as
# "=HYPERLINK(...)" must stay text. A leading apostrophe is the usual escape.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """*value* as a CSV cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: safe_cell(value) for name, value in row.items()})
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
    yield "]"


@bp.get("/api/v1/ratings")
def ratings() -> Response:
    """Export ratings as CSV (default) or JSON, streamed."""
    user = current_user()
    first_day, last_day = _day("from"), _day("to")
    if last_day < first_day or (last_day - first_day).days > MAX_DAYS:
        raise BadRequest(f"to must be on or after from, at most {MAX_DAYS} days later")
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "json"):
        raise BadRequest("format: expected csv or json")
    allowed = visible_site_ids(user)
    site_name = request.args.get("site")
    if site_name is not None:
        try:
            check_text(site_name)
        except RowError as error:
            raise BadRequest(f"site: {error}") from None
        site = Site.get_or_none(Site.name == site_name)
        if site is None or (allowed is not None and site.id not in allowed):
            raise Forbidden("no such site, or not one of yours")
        allowed = [site.id]
    return export_response(first_day, last_day, fmt, allowed)


def export_response(
    first_day: date,
    last_day: date,
    fmt: str,
    site_ids: Sequence[int] | None,
    kiosks: Any = None,
    site_days: Mapping[str, tuple[date, date]] | None = None,
) -> Response:
    """The streamed CSV or JSON answer for local days first_day..last_day (the API and the pages' buttons)."""
    rows = export_rows(first_day, last_day, site_ids, kiosks, site_days)
    filename = f"hymy-ratings-{first_day}-{last_day}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        return Response(stream_with_context(_json(rows)), mimetype="application/json", headers=headers)
    return Response(stream_with_context(_csv(rows)), mimetype="text/csv", headers=headers)


def _day(name: str) -> date:
    value = request.args.get(name)
    try:
        day = date.fromisoformat(value)  # type: ignore[arg-type]  # None is refused as a TypeError below
    except (TypeError, ValueError):
        raise BadRequest(f"{name}: expected a date YYYY-MM-DD") from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise BadRequest(f"{name}: expected a year from {EARLIEST_YEAR} to {LATEST_YEAR}")
    return day
