"""The daily digest: each morning, yesterday's figures of a user's sites, by email.

Opt-in per user (their account page: an email address and the digest box).
One message per user, to their address alone. Sent once per day and user
(``digest_sent``: a day is also settled when the address is not one, or the
mail server refuses it for good; the log says so), after 06:00 in the zone of the
user's first site, so the day it reports on is over everywhere it matters
and the email is there when the working day starts. The figures are the
pages' own: each site's yesterday in its own zone, from the rollups, with
:mod:`sync.wire.figures`' formulas, shown as :mod:`sync.wire.display` shows them on
every page (its English message ids are the email's words).
"""
import logging
from datetime import date, datetime, time

from sync.central import reports
from sync.central.alerts.delivery import DeliveryError, Refused, SmtpSettings, send_email
from sync.central.org.auth import visible_site_ids
from sync.central.org.registry import OrgError, ascii_email, checked_email
from sync.central.store.db import connection, write_transaction
from sync.central.store.models import DigestSent, User
from sync.central.store.timesource import utc_now
from sync.common.zones import site_zone
from sync.wire import display, figures
from sync.wire.figures import Counts

log = logging.getLogger(__name__)
SEND_AFTER = time(6, 0)
YESTERDAY = reports.Period("yesterday")


def digest_text(user: User, now: datetime) -> tuple[date, str, str] | None:
    """``(day, subject, text)`` of *user*'s digest at *now*; None when they see no site."""
    allowed = visible_site_ids(user)
    scope = reports.Scope(tuple(allowed) if allowed is not None else None)
    sites = reports.sites_in(scope)
    if not sites:
        return None
    day = YESTERDAY.days_for(reports.local_today(sites[0], now))[0]
    by_site = reports.figures_by("site", scope, YESTERDAY, now)
    reasons = reports.day_counts("site", scope, YESTERDAY, now)
    target = reports.brand_settings()[0]
    against = f" (target {target} %)" if target is not None else ""
    lines = [f"Yesterday, {day.isoformat()}, at your sites{against}:", ""]
    for site in sites:
        shown = (by_site.get(site.id) or reports.empty_figures()).shown
        satisfaction = display.TOO_FEW if shown.too_few else f"{shown.satisfaction} %"
        below = f" {display.VERDICTS[display.BELOW].upper()}" if shown.below else ""
        index = "-" if shown.happy_index is None else f"{shown.happy_index:.1f}"
        lines.append(f"{site.name}: {shown.counted} responses, satisfaction {satisfaction}{below}, "
                     f"Happy Index {index}")
        drivers = figures.drivers(reasons.get(site.id, Counts()).unhappy_reasons, reports.reason_groups())
        if drivers.total:
            top = ", ".join(f"{key} {display.share(n, drivers.total)} %"
                            for key, n in list(drivers.by_reason.items())[:3])
            lines.append(f"  unhappy customers named: {top}")
    subject = f"Hymy: yesterday at your sites ({day.isoformat()})"
    return day, subject, "\n".join(lines)


def send_due(smtp: SmtpSettings | None, now: datetime | None = None) -> int:
    """Send every digest that is due at *now*; return how many went out."""
    now = now or utc_now()
    sent = 0
    if smtp is None:
        return 0
    with connection():
        users = list(User.select().where(User.digest & User.email.is_null(False)))
        for user in users:
            sites = reports.sites_in(_scope_of(user))
            if not sites or now.astimezone(site_zone(sites[0])).time() < SEND_AFTER:
                continue
            found = digest_text(user, now)
            if found is None:
                continue
            day, subject, text = found
            last = DigestSent.get_or_none(DigestSent.user == user.id)
            if last is not None and last.day >= day:
                continue
            try:
                address = checked_email(user.email)
                if address is None:
                    continue  # no address after all: nothing to send
                send_email(smtp, ascii_email(address), subject, text)
            except OrgError as error:  # an address stored before addresses were checked as they are now
                log.warning("digest for %s not sent, and not retried for %s: %s; the user can correct it on "
                            "their account page", user.name, day, error)
            except Refused as error:
                log.warning("digest for %s refused for good, not retried for %s: %s", user.name, day, error)
            except DeliveryError as error:
                log.warning("digest for %s not delivered, retrying next round: %s", user.name, error)
                continue
            else:
                sent += 1
            with write_transaction():
                DigestSent.insert(user=user.id, day=day, sent_at=now).on_conflict(
                    conflict_target=[DigestSent.user], update={DigestSent.day: day, DigestSent.sent_at: now}).execute()
    return sent


def _scope_of(user: User) -> reports.Scope:
    allowed = visible_site_ids(user)
    return reports.Scope(tuple(allowed) if allowed is not None else None)
