"""What each manager page shows, gathered from the figures and the kiosk's state.

Each ``*_page`` function returns the template's context: figures from
kiosk/manager/reports.py, chart geometry from kiosk/manager/charts.py, words through
the kiosk's catalogs, dates and numbers in the page's language and times in
the kiosk's time zone.
"""
import calendar as month_grid
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from babel.dates import format_skeleton, get_day_names
from flask import abort, request
from flask_babel import format_date, format_decimal, format_time, format_timedelta, get_locale, gettext

from kiosk.manager import charts as manager_charts
from kiosk.manager import reports
from kiosk.manager.network_card import network_card
from kiosk.storage.actions import standing_starts
from kiosk.storage.content import FACES, Reason
from kiosk.storage.health import storage_reasons, sync_health
from kiosk.storage.models import Outbox
from kiosk.storage.state import sync_state
from kiosk.web.i18n import LANGUAGE_NAMES, reason_label
from kiosk.web.parts import current_parts
from sync.common.version import software_version
from sync.wire import display
from sync.wire.defaults import DEFAULT_REASONS
from sync.wire.display import Number
from sync.wire.figures import Counts, followup_rate
from sync.wire.protocol import TIME_FORMAT

#: The latest comments the Today page shows.
SHOWN_COMMENTS = 8
_DEFAULT_REASONS = {r.key: Reason(r.key, r.group, r.label) for r in DEFAULT_REASONS}


def language_args() -> dict[str, Any]:
    """``{"lang": code}`` when the page was asked in another language than the default, for links."""
    asked = request.args.get("lang")
    config = current_parts().config
    return {"lang": asked} if asked in config.languages and asked != config.language else {}


def _language() -> str:
    return str(get_locale())


def common() -> dict[str, Any]:
    """What every manager page needs: language, the language switch, pause state, idle time."""
    from kiosk.manager.views import IDLE_SECONDS

    kiosk = current_parts()
    return {
        "language": _language(),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in kiosk.config.languages],
        "lang_args": language_args(),
        "paused": kiosk.pause.paused,
        "idle_ms": IDLE_SECONDS * 1000,
    }


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else abort(400)
    except ValueError:
        abort(400)


def _zone() -> tzinfo:
    return current_parts().content_store.current().opening_hours.zone


def _available() -> tuple[date, date]:
    """``(first day shown in full, today)`` in the kiosk's zone, by the kiosk's clock."""
    first, today = reports.available_days(_zone(), current_parts().clock.now())
    return (first or today), today


def day_label(day: date) -> str:
    return format_skeleton("MMMEd", day, locale=_language())


def full_date(day: date) -> str:
    return format_date(day, "full")


def local_time(moment: datetime) -> str:
    return format_time(moment.astimezone(_zone()), "HH:mm", rebase=False)


def keep_percent(text: str) -> str:
    """*text* with each " %" joined to its number, so a line never starts with a lone percent sign."""
    return text.replace(" %", "\u00a0%")


def percent_text(value: int | None) -> str:
    return gettext(display.TOO_FEW) if value is None else f"{value}\u00a0%"


def reason_name(key: str) -> str:
    """A reason's label in the page's language, also for a reason no longer offered."""
    content = current_parts().content_store.current()
    reason = content.reason(key) or _DEFAULT_REASONS.get(key)
    return reason_label(reason) if reason else key


@dataclass(frozen=True)
class Figure:
    """One headline number on a page: its text, what it means, and whether it needs attention."""

    label: str
    value: str
    note: str
    tone: str  # "good", "bad" or "plain"
    faces: tuple[tuple[Any, int], ...] = ()  # (face, count) for the ratings figure


def headline(counts: Counts, target: Number | None, min_responses: int, awaiting: int = 0) -> list[Figure]:
    """The headline figures (satisfaction, Happy Index, ratings, follow-ups) of *counts*."""
    shown = display.shown(counts, target, min_responses)
    rate = display.whole_percent(followup_rate(counts))
    too_few = gettext("fewer than %(n)d ratings", n=min_responses)
    target_note = ""
    if target is not None:
        target_note = keep_percent(gettext("target %(target)s %%", target=format_decimal(target)))
    filtered = sum(counts.filtered.values())
    rating_note = gettext("%(n)d left out (repeats, closed)", n=filtered) if filtered else ""
    if awaiting:
        rating_note = gettext("%(n)d awaiting a clock check", n=awaiting)
    return [
        Figure(gettext("Satisfaction"), percent_text(shown.satisfaction), too_few if shown.too_few else target_note,
               {None: "plain", display.BELOW: "bad", display.MET: "good"}[shown.verdict]),
        Figure(gettext("Happy Index"), percent_text(None) if shown.happy_index is None
               else format_decimal(shown.happy_index, "0.0"), too_few if shown.too_few else gettext("0 to 100"),
               "plain"),
        Figure(gettext("Ratings"), format_decimal(counts.counted), rating_note, "plain",
               tuple(zip(FACES, counts.faces, strict=True))),
        Figure(gettext("Follow-ups"), "–" if rate is None else percent_text(rate),
               gettext("%(n)d answered what mattered", n=counts.followups), "plain"),
    ]


def _drivers(figures: reports.DayFigures) -> dict[str, Any]:
    unhappy = figures.drivers_unhappy
    top = [(reason_name(key), count, display.share(count, unhappy.total))
           for key, count in list(unhappy.by_reason.items())[:4]]
    return {
        "all": manager_charts.split(figures.drivers_all),
        "unhappy": manager_charts.split(unhappy),
        "top_unhappy": top,
    }


def _shown_day(text: str | None) -> tuple[date, date, date]:
    """``(first day, the day asked for or today, today)``; 404 for a day the kiosk cannot show in full.

    The boot's trusted moment is noted first, so a clock set since the last
    press places the unverified rows before they are counted.
    """
    first, today = _available()
    day = _parse_day(text) or today
    if not first <= day <= today:
        abort(404)
    current_parts().recorder.note_clock()
    return first, day, today


def day_page(day_text: str | None) -> dict[str, Any]:
    """Today, or the day asked for, if the kiosk can show it in full."""
    kiosk = current_parts()
    first, day, today = _shown_day(day_text)
    figures = reports.day_figures(day, kiosk.content_store.current())
    target, min_responses = figures.target, figures.min_responses
    comments = [{"face": FACES[c.rating - 1], "text": c.text, "reason": reason_name(c.reason),
                 "time": local_time(c.recorded_at)} for c in figures.comments[:SHOWN_COMMENTS]]
    return {
        **common(),
        "page": "today",
        "day": day,
        "is_today": day == today,
        "title": gettext("Today") if day == today else day_label(day),
        "full_date": full_date(day),
        "previous_day": day - timedelta(days=1) if day > first else None,
        "next_day": day + timedelta(days=1) if day < today else None,
        "figures": figures,
        "headline": headline(figures.counts, target, min_responses, figures.awaiting_clock),
        "hours": manager_charts.hour_chart(figures.hours, figures.last_week, target, min_responses),
        "last_week_label": day_label(day - timedelta(days=7)),
        "drivers": _drivers(figures),
        "comments": comments,
        "target": target,
        "network": network_card(kiosk.clock.now(), target),
        "action_starts": standing_starts(kiosk.config.data_dir, day, day).get(day, []),
    }


def weekday_names() -> list[str]:
    names = get_day_names("abbreviated", locale=_language())
    return [names[i] for i in range(7)]


def week_page(end_text: str | None) -> dict[str, Any]:
    """The seven days ending on the day asked for (today by default)."""
    kiosk = current_parts()
    first, end, today = _shown_day(end_text)
    content = kiosk.content_store.current()
    week = reports.week_figures(end, content)
    target, min_responses, total = display.shown_target(content.target), week.min_responses, week.counts
    names = weekday_names()
    labels = [(names[day.weekday()], format_skeleton("Md", day, locale=_language())) for day, _ in week.days]
    return {
        **common(),
        "page": "week",
        "week": week,
        "title": gettext("Week"),
        "range": f"{day_label(week.first_day)} – {day_label(week.last_day)}",
        "previous_end": end - timedelta(days=7) if end - timedelta(days=7) >= first else None,
        "next_end": min(end + timedelta(days=7), today) if end < today else None,
        "headline": headline(total, target, min_responses)[:3],
        "days": manager_charts.day_chart(week.days, labels, target, min_responses),
        "day_links": [day for day, _ in week.days],
        "heat": manager_charts.heat_map(week.heat, weekday_names(), target, min_responses),
        "target": target,
        "network": network_card(kiosk.clock.now(), target),
        "action_starts": standing_starts(kiosk.config.data_dir, week.first_day, week.last_day),
    }


def _month(text: str | None, today: date) -> date:
    if text is None:
        return today.replace(day=1)
    try:
        if len(text) != 7:
            raise ValueError(text)
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        abort(400)


def _shift_month(month: date, step: int) -> date:
    index = month.year * 12 + month.month - 1 + step
    return date(index // 12, index % 12 + 1, 1)


def calendar_page(month_text: str | None) -> dict[str, Any]:
    """One month; the days the kiosk can show in full are links, the rest are not."""
    first, today = _available()
    month = _month(month_text, today)
    if not first.replace(day=1) <= month <= today.replace(day=1):
        abort(404)
    weeks = [[(day, day.month == month.month, first <= day <= today) for day in week]
             for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)]
    previous, following = _shift_month(month, -1), _shift_month(month, 1)
    return {
        **common(),
        "page": "today",
        "title": format_skeleton("yMMMM", month, locale=_language()),
        "weeks": weeks,
        "today": today,
        "weekdays": weekday_names(),
        "previous_month": previous.strftime("%Y-%m") if previous >= first.replace(day=1) else None,
        "next_month": following.strftime("%Y-%m") if following <= today else None,
    }


def _since(moment: datetime, now: datetime) -> str:
    return format_timedelta(moment - now, add_direction=True, threshold=1.1)


def _parse_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class StateLine:
    label: str
    value: str
    tone: str  # "good", "bad" or "plain"


def disk_text(free_bytes: int) -> str:
    gigabytes = free_bytes / 1e9
    if gigabytes >= 1:
        return gettext("%(n)s GB free", n=format_decimal(round(gigabytes, 1), "0.#"))
    return gettext("%(n)s MB free", n=format_decimal(round(free_bytes / 1e6)))


def state_page() -> dict[str, Any]:
    """The kiosk's state in a manager's words; the health reasons verbatim for IT."""
    kiosk = current_parts()
    config, clock = kiosk.config, kiosk.clock
    now = clock.now()
    health = sync_health(config.data_dir, now, config.sync_stale_after)
    pending, oldest = Outbox.pending_count(), Outbox.oldest_pending_time()
    quarantined = Outbox.quarantined().count()
    last_success = _parse_time(sync_state.last_success_at)
    last_error_at = _parse_time(sync_state.last_error_at)
    enrolled = health.sync["enrolled"]
    lines = []
    failure = kiosk.recorder.storage_failure
    if failure is not None:
        lines.append(StateLine(gettext("Ratings"), gettext(
            "Cannot be stored now (%(n)d not stored, the first %(when)s): the kiosk's storage needs attention",
            n=failure.refused, when=_since(failure.since, now)), "bad"))
    if kiosk.pause.paused:
        lines.append(StateLine(gettext("Ratings"), gettext("Paused: customers see that the kiosk is closed"),
                               "bad"))
    if not enrolled:
        central = StateLine(gettext("Head office"), gettext("Not connected yet: ratings are kept on the kiosk"),
                            "plain")
    elif last_error_at and (last_success is None or last_error_at > last_success):
        central = StateLine(gettext("Head office"), gettext("Not reachable at the last try (%(when)s)",
                                                            when=_since(last_error_at, now)), "bad")
    elif last_success:
        central = StateLine(gettext("Head office"), gettext("Reachable"), "good")
    else:
        central = StateLine(gettext("Head office"), gettext("No contact yet"), "plain")
    lines.append(central)
    lines.append(StateLine(gettext("Last sent"), _since(last_success, now) if last_success else gettext("never"),
                           "plain"))
    if pending:
        waiting = gettext("%(n)d waiting to be sent, the oldest from %(when)s", n=pending,
                          when=_since(oldest, now)) if oldest else gettext("%(n)d waiting to be sent", n=pending)
    else:
        waiting = gettext("Nothing waiting: everything is sent")
    lines.append(StateLine(gettext("Ratings to send"), waiting, "plain"))
    if quarantined:
        lines.append(StateLine(gettext("Set aside"), gettext("%(n)d rows head office could not take", n=quarantined),
                               "bad"))
    gap = health.sync.get("gap_error")
    lines.append(StateLine(gettext("Missing ratings"), gettext("Some ratings are missing at head office") if gap
                           else gettext("None: head office has every rating sent"), "bad" if gap else "good"))
    trusted = clock.trusted()
    lines.append(StateLine(gettext("Clock"), gettext("Set from the network") if trusted
                           else gettext("Not yet checked: times are corrected later"), "good" if trusted else "bad"))
    free = shutil.disk_usage(config.data_dir).free
    lines.append(StateLine(gettext("Storage"), disk_text(free), "bad" if free < 200e6 else "good"))
    storage = storage_reasons(failure, config.data_dir)
    lines.append(StateLine(gettext("Software"), gettext("Hymy %(version)s", version=software_version()), "plain"))
    return {
        **common(),
        "page": "kiosk",
        "title": gettext("Kiosk"),
        "ok": health.status == "ok" and not kiosk.pause.paused and not storage,
        "lines": lines,
        "reasons": storage + health.reasons,
    }


def pause_page() -> dict[str, Any]:
    return {**common(), "page": "pause", "title": gettext("Pause")}
