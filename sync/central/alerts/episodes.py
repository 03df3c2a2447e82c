"""Alert rules, their episodes and their delivery: what ``hymy central worker`` runs.

A rule covers a site's kiosks or a service's kiosks at every site (revoked
ones left out). Each evaluation decides, per rule, whether the unhappy share
over its window breaches (sync/central/alerts/rules.py) and, per covered
kiosk, whether it has been silent too long within opening hours. An episode
(an :class:`~sync.central.store.models.Alert` row) opens when a breach starts and
closes when it ends; while one is open, nothing new opens for the same rule,
kind and kiosk (and a partial unique index keeps it so). Each episode is
delivered once on each channel: the sender claims it with a conditional
UPDATE in its own transaction before sending, so even two workers that both
evaluate can never send it twice; each channel's delivery is recorded as it
succeeds, and a failed one is released and only that channel retried on the
next round.

Times shown to people (the email, the Alerts page) are the alert's local
time: its site's, or for a service-wide share counting sites in several
zones, the time in each of those zones (:func:`episode_zones`). The webhook's
fields are for machines and stay ISO 8601 in UTC.

Who may see an episode is decided here, once, for the Alerts page and for
the users' own alert email alike: an episode shows counts of some sites
(:func:`episode_sites`), and a viewer sees it only when all of those are theirs.
"""
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any

import peewee

from sync.central.alerts.delivery import DeliveryError, Mailer, Refused, SmtpSettings, post_webhook
from sync.central.alerts.outbound import WebhookPolicy, url_problem
from sync.central.alerts.rules import Thresholds, next_step, silent_breach, unhappy_breach
from sync.central.org.auth import visible_site_ids
from sync.central.org.registry import OrgError, ascii_email, checked_email, named
from sync.central.store.db import connection, write_transaction
from sync.central.store.models import Alert, AlertRecipient, AlertRule, Kiosk, KioskStatus, Rating, Service, Site, User
from sync.central.store.timesource import utc_now
from sync.common.zones import site_hours, site_zone
from sync.wire import display
from sync.wire.figures import Counts
from sync.wire.protocol import RATINGS

if TYPE_CHECKING:
    from sync.central.config import CentralConfig

log = logging.getLogger(__name__)

UNHAPPY, SILENT = "unhappy", "silent"


def add_rule(
    site: str | None = None,
    service: str | None = None,
    unhappy_share: int = 50,
    window: int = 15,
    min_responses: int = 4,
    silent_minutes: int = 60,
    emails: Iterable[str] = (),
    webhook: str | None = None,
    webhook_policy: WebhookPolicy | None = None,
) -> tuple[int, str | None]:
    """Add a rule for *site* or *service* (names); return ``(rule id, webhook secret or None)``.

    Each of *emails* is one address (:func:`~sync.central.org.registry.checked_email`); *webhook* must be a
    URL *webhook_policy* allows (sync/central/alerts/outbound.py: https to a public address by default).
    """
    if (site is None) == (service is None):
        raise OrgError("a rule covers either a site or a service")
    checks = ((unhappy_share, 0, 100, "unhappy share"), (window, 1, 1440, "window"),
              (min_responses, 1, 10000, "min responses"), (silent_minutes, 1, 10080, "silent minutes"))
    for value, low, high, what in checks:
        if not isinstance(value, int) or not low <= value <= high:
            raise OrgError(f"{what}: expected a whole number from {low} to {high}")
    addresses: list[str] = []
    for email in emails:
        address = checked_email(email)
        if address is None:
            raise OrgError("an empty email address")
        if address not in addresses:
            addresses.append(address)
    if webhook is not None and (problem := url_problem(webhook, webhook_policy or WebhookPolicy())):
        raise OrgError(f"webhook: {problem}")
    if not addresses and webhook is None:
        raise OrgError("say where the alert goes: --email ADDRESS or --webhook URL")
    secret = secrets.token_urlsafe(32)
    with connection(), write_transaction():
        rule = AlertRule.create(
            site=named(Site, site) if site else None, service=named(Service, service) if service else None,
            unhappy_share=unhappy_share, window_minutes=window, min_responses=min_responses,
            silent_minutes=silent_minutes, emails=addresses, webhook_url=webhook, secret=secret,
            created_at=utc_now())
    return rule.id, secret if webhook else None


def _covered_kiosks(rule: AlertRule) -> list[Kiosk]:
    query = Kiosk.select(Kiosk, Site).join(Site).where(~Kiosk.revoked & Kiosk.uuid.is_null(False))
    if rule.site_id is not None:
        return list(query.where(Kiosk.site == rule.site_id))
    return list(query.where(Kiosk.service == rule.service_id))


def _window_counts(kiosk_ids: Sequence[int], start: datetime, end: datetime) -> Counts:
    rows: Any = (Rating.select(Rating.rating, peewee.fn.COUNT(Rating.id))  # peewee's stub types rows as models
                 .where(Rating.kiosk.in_(kiosk_ids) & Rating.filtered.is_null()
                        & (Rating.occurred_at >= start) & (Rating.occurred_at < end))
                 .group_by(Rating.rating).tuples())
    faces: dict[int, int] = dict(rows)
    return Counts(faces=tuple(int(faces.get(rating, 0)) for rating in RATINGS))


def _open_episode(rule: AlertRule, kind: str, kiosk_id: int | None) -> Alert | None:
    return Alert.get_or_none((Alert.rule == rule.id) & (Alert.kind == kind) & (Alert.kiosk == kiosk_id)
                             & Alert.ended_at.is_null())


def _step(
    rule: AlertRule, kind: str, kiosk_id: int | None, breaching: bool, now: datetime, detail: dict[str, Any]
) -> Alert | None:
    """Open or close this rule's episode for *kind* (and *kiosk_id*); return the episode opened, if any."""
    episode = _open_episode(rule, kind, kiosk_id)
    step = next_step(episode is not None, breaching)
    if step.send:
        return Alert.create(rule=rule.id, kind=kind, kiosk=kiosk_id, started_at=now, detail=detail)
    if episode is not None and not step.firing:
        Alert.update(ended_at=now).where(Alert.id == episode.id).execute()
    return None


def evaluate(now: datetime | None = None) -> list[Alert]:
    """Evaluate every active rule at *now*; return the episodes opened.

    Should another worker have evaluated at the same moment (its lock lost), the
    unique index on open episodes refuses the second copy: this round then opens
    nothing, and the next one evaluates again.
    """
    now = now or utc_now()
    try:
        return _evaluate(now)
    except peewee.IntegrityError as error:
        log.warning("alert evaluation at %s met an episode another worker opened; skipped: %s", now, error)
        return []


def _evaluate(now: datetime) -> list[Alert]:
    opened = []
    with connection(), write_transaction():
        for rule in AlertRule.select().where(AlertRule.active):
            thresholds = Thresholds(rule.unhappy_share, rule.window_minutes, rule.min_responses, rule.silent_minutes)
            kiosks = _covered_kiosks(rule)
            counts = _window_counts([k.id for k in kiosks], now - timedelta(minutes=rule.window_minutes), now) \
                if kiosks else Counts()
            detail = {"counted": counts.counted, "unhappy": counts.unhappy, "window_minutes": rule.window_minutes,
                      "sites": sorted({k.site_id for k in kiosks})}
            episode = _step(rule, UNHAPPY, None, unhappy_breach(counts, thresholds), now, detail)
            opened += [episode] if episode else []
            reported: Any = (KioskStatus.select(KioskStatus.kiosk, KioskStatus.reported_at)
                             .where(KioskStatus.kiosk.in_([k.id for k in kiosks])).tuples()) if kiosks else ()
            statuses: dict[int, datetime] = dict(reported)
            hours: dict[int, Any] = {}
            for kiosk in kiosks:
                if kiosk.site_id not in hours:
                    hours[kiosk.site_id] = site_hours(kiosk.site)
                last = statuses.get(kiosk.id)
                # A kiosk enrolled but never heard from is silent from its enrollment on.
                silent = silent_breach(last or kiosk.enrolled_at, now, hours[kiosk.site_id], thresholds)
                detail = {"kiosk": kiosk.name, "last_heartbeat": last.isoformat() if last else None}
                episode = _step(rule, SILENT, kiosk.id, silent, now, detail)
                opened += [episode] if episode else []
    return opened


def smtp_settings(config: "CentralConfig") -> SmtpSettings | None:
    """How to send email, from central's config; None when no SMTP host is set."""
    if not config.smtp_host:
        return None
    return SmtpSettings(config.smtp_host, config.smtp_port, config.smtp_from, config.smtp_user,
                        config.smtp_password, config.smtp_starttls)


def _claim(episode_id: int, now: datetime) -> bool:
    """Take *episode_id* for sending; False when another worker already has (or sent) it."""
    with write_transaction():
        return Alert.update(sent_at=now).where((Alert.id == episode_id) & Alert.sent_at.is_null()).execute() == 1


def episode_sites(episode: Alert) -> set[int]:
    """The ids of the sites whose figures *episode* shows."""
    rule = episode.rule
    if rule.site_id is not None:
        return {rule.site_id}
    if episode.kiosk_id is not None and episode.kiosk is not None:
        return {episode.kiosk.site_id}
    if "sites" in episode.detail:
        return set(episode.detail["sites"])
    # An episode evaluated before the sites were noted: the sites the service runs at now.
    sites: Any = Kiosk.select(Kiosk.site).where(Kiosk.service == rule.service_id).distinct().tuples()
    return {site for (site,) in sites}


def visible_to(episode: Alert, allowed: Iterable[int] | None) -> bool:
    """True when a user seeing *allowed* sites (None: all) may see *episode*: every site
    it counts is theirs, so a service-wide share never shows another site's customers."""
    if allowed is None:
        return True
    sites = episode_sites(episode)
    return bool(sites) and sites <= set(allowed)


def email_recipients(episode: Alert) -> list[str]:
    """The rule's addresses, then those of users who asked for their sites' alerts and may see this one;
    each person once (an address as stored: the sender checks each again)."""
    recipients: list[str] = []
    seen: set[str] = set()
    users = User.select().where(User.alert_email & User.email.is_null(False)).order_by(User.id)
    for stored in [*episode.rule.emails, *(u.email for u in users if visible_to(episode, visible_site_ids(u)))]:
        try:
            key = checked_email(stored) or stored
        except OrgError:
            key = stored
        if key not in seen:
            seen.add(key)
            recipients.append(stored)
    return recipients


def episode_zones(episode: Alert, site_zones: Mapping[int, tzinfo] | None = None) -> list[tzinfo]:
    """The zones an episode's times are shown in: its site's (a site rule's, a silent kiosk's); for a
    service-wide share, each zone among the sites it counts (UTC when none of them is left).

    :param site_zones: site id -> zone, read once by a page that shows many episodes.
    """
    site_ids = sorted(episode_sites(episode))
    if site_zones is None:
        sites = Site.select().where(Site.id.in_(site_ids)) if site_ids else []
        site_zones = {site.id: site_zone(site) for site in sites}
    return [site_zones[site_id] for site_id in site_ids if site_id in site_zones] or [timezone.utc]


def local_times(moment: datetime, zones: Iterable[tzinfo]) -> list[datetime]:
    """*moment* as the local time in each of *zones*, west to east, each different local time once
    (sites in Helsinki and Riga share one; Helsinki and Stockholm show two)."""
    shown: dict[tuple[Any, Any], datetime] = {}
    for zone in zones:
        local = moment.astimezone(zone)
        shown.setdefault((local.utcoffset(), local.tzname()), local)
    return [shown[key] for key in sorted(shown)]


def last_heartbeat_at(episode: Alert) -> datetime | None:
    """When the silent kiosk of *episode* last sent a heartbeat (aware UTC); None: never."""
    seen = episode.detail.get("last_heartbeat")
    if not seen:
        return None
    moment = datetime.fromisoformat(seen)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _when(moment: datetime | None, zones: Iterable[tzinfo]) -> str:
    """*moment* for the email: ``2026-01-05 14:00 EET``, and so in each further zone of the alert."""
    if moment is None:
        return "never"
    return " / ".join(f"{local:%Y-%m-%d %H:%M} {local.tzname()}" for local in local_times(moment, zones))


def describe(
    episode: Alert, site_zones: Mapping[int, tzinfo] | None = None
) -> tuple[str, str, dict[str, Any]]:
    """``(subject, text, payload)`` of an episode, for email and webhook alike.

    The text gives times in the alert's local time (:func:`episode_zones`); the payload, for
    machines, gives them as ISO 8601 in UTC.
    """
    rule = episode.rule
    zones = episode_zones(episode, site_zones)
    site, service = rule.site, rule.service  # a rule covers one of the two
    where = f"site {site.name}" if site is not None else f"service {service.name if service is not None else '-'}"
    if episode.kind == UNHAPPY:
        share = display.share(episode.detail["unhappy"], episode.detail["counted"])  # as every page rounds
        subject = f"Hymy alert: {share} % unhappy at {where}"
        text = (f"{episode.detail['unhappy']} of {episode.detail['counted']} counted ratings in the last "
                f"{episode.detail['window_minutes']} minutes were unhappy or very unhappy ({share} %, rule: over "
                f"{rule.unhappy_share} % with at least {rule.min_responses}).")
    else:
        subject = f"Hymy alert: kiosk {episode.detail['kiosk']} silent ({where})"
        text = (f"Kiosk {episode.detail['kiosk']} has sent no heartbeat for over {rule.silent_minutes} minutes of "
                f"its site's opening hours (last heartbeat: {_when(last_heartbeat_at(episode), zones)}).")
    payload = {"alert_id": episode.id, "rule_id": rule.id, "kind": episode.kind,
               "site": site.name if site is not None else None,
               "service": service.name if service is not None else None,
               "kiosk": episode.detail.get("kiosk"), "started_at": episode.started_at.isoformat(),
               "detail": episode.detail}
    if episode.kind == UNHAPPY:
        payload["unhappy_share"] = share
    return subject, text + f" Started {_when(episode.started_at, zones)}.", payload


def deliver(
    smtp: SmtpSettings | None, now: datetime | None = None, webhooks: WebhookPolicy | None = None
) -> tuple[int, int]:
    """Send every episode not yet sent, each channel once and each email recipient once; return
    ``(sent, failed)`` counts.

    :param webhooks: where webhooks may go (:class:`~sync.central.alerts.outbound.WebhookPolicy`, from
        central's config; default: https to public addresses only).
    """
    now = now or utc_now()
    sent = failed = 0
    with connection():
        pending = list(Alert.select(Alert, AlertRule).join(AlertRule).where(Alert.sent_at.is_null()))
        for episode in pending:
            if not _claim(episode.id, now):
                continue
            # Read again once it is ours: another worker may have delivered a channel since the list was read.
            fresh = Alert.select(Alert, AlertRule).join(AlertRule).where(Alert.id == episode.id).get_or_none()
            if fresh is None:  # its rule was deleted meanwhile
                continue
            episode = fresh
            try:
                _deliver_channels(episode, smtp, now, webhooks)
            except DeliveryError as error:
                with write_transaction():  # released: the next round tries what is still unsent
                    Alert.update(sent_at=None, delivery_error=str(error)[:500]).where(Alert.id == episode.id).execute()
                log.warning("alert %d not delivered, retrying next round: %s", episode.id, error)
                failed += 1
                continue
            refusals = refused_for_good(episode)
            if refusals:
                log.warning("alert %d: refused for good, not retried: %s", episode.id, "; ".join(refusals))
            with write_transaction():  # what was refused for good stays noted on the alert
                Alert.update(delivery_error="; ".join(refusals)[:500] or None).where(Alert.id == episode.id).execute()
            sent += 1
    return sent, failed


def refused_for_good(episode: Alert) -> list[str]:
    """Why some of *episode* was never delivered and will not be retried: each refused recipient, the webhook."""
    rows: Any = AlertRecipient.select(AlertRecipient.refused).where(
        (AlertRecipient.alert == episode.id) & AlertRecipient.refused.is_null(False)).order_by(AlertRecipient.id)
    refusals = [refused for (refused,) in rows.tuples()]
    return refusals + ([episode.webhook_refused] if episode.webhook_refused else [])


def _deliver_channels(
    episode: Alert, smtp: SmtpSettings | None, now: datetime, webhooks: WebhookPolicy | None
) -> None:
    """Email and webhook, each unless already settled, each success recorded at once; one channel
    failing does not hold the other back. What is refused for good is recorded and never retried;
    DeliveryError names what is to be tried again."""
    subject, text, payload = describe(episode)
    failures = []
    recipients = email_recipients(episode)
    if recipients and episode.email_sent_at is None:
        try:
            _deliver_email(episode, recipients, smtp, subject, text, now)
            _settled(episode, Alert.email_sent_at, now)
        except DeliveryError as error:
            failures.append(str(error))
    rule = episode.rule
    if rule.webhook_url and episode.webhook_sent_at is None and episode.webhook_refused is None:
        try:
            post_webhook(rule.webhook_url, rule.secret, payload, webhooks)
            _settled(episode, Alert.webhook_sent_at, now)
        except Refused as error:
            _settled(episode, Alert.webhook_refused, str(error)[:500])
        except DeliveryError as error:
            failures.append(str(error))
    if failures:
        raise DeliveryError("; ".join(failures))


def _deliver_email(
    episode: Alert, recipients: Iterable[str], smtp: SmtpSettings | None, subject: str, text: str, now: datetime
) -> None:
    """One message to each of *recipients* not settled yet, each settled as it goes (delivered, or refused
    for good). DeliveryError when someone is still due (the server away, a recipient refused for now)."""
    held: Any = AlertRecipient.select(AlertRecipient.address).where(AlertRecipient.alert == episode.id).tuples()
    settled = {address for (address,) in held}
    due = []
    for stored in recipients:
        try:
            address = checked_email(stored)
        except OrgError as error:  # stored before addresses were checked as they are now: skipped
            if stored not in settled:
                _settle_recipient(episode, stored, now, refused=f"email: {error}")
            continue
        if address is not None and address not in settled:
            due.append(address)
    if not due:
        return
    if smtp is None:
        raise DeliveryError("email: smtp_host is not set in central's config")
    failures = []
    with Mailer(smtp) as mailer:  # DeliveryError when the server is away: everyone waits for the next round
        for address in due:
            try:
                mailer.send(ascii_email(address), subject, text)
            except Refused as error:
                _settle_recipient(episode, address, now, refused=str(error))
            except DeliveryError as error:
                failures.append(str(error))
            else:
                _settle_recipient(episode, address, now)
    if failures:
        raise DeliveryError("; ".join(dict.fromkeys(failures)))


def _settle_recipient(episode: Alert, address: str, now: datetime, refused: str | None = None) -> None:
    """Record *address*'s copy of *episode* as delivered (or refused for good), in its own transaction."""
    with write_transaction():
        AlertRecipient.insert(alert=episode.id, address=address, delivered_at=None if refused else now,
                              refused=refused[:500] if refused else None, settled_at=now).on_conflict_ignore().execute()


def _settled(episode: Alert, channel: Any, value: Any) -> None:
    """Record a channel of *episode* as done: delivered at *value*, or refused for the reason *value*."""
    with write_transaction():
        Alert.update({channel: value}).where(Alert.id == episode.id).execute()
    setattr(episode, channel.name, value)


def acknowledge(episode_id: int, by: str) -> bool:
    """Mark an episode seen by *by*; False when there is no such episode."""
    with write_transaction():
        return Alert.update(acknowledged_at=utc_now(), acknowledged_by=by).where(
            (Alert.id == episode_id) & Alert.acknowledged_at.is_null()).execute() == 1


def set_active(rule_id: int, active: bool) -> None:
    """Pause or resume a rule; a paused rule's open episodes end."""
    with connection(), write_transaction():
        AlertRule.update(active=active).where(AlertRule.id == rule_id).execute()
        if not active:
            Alert.update(ended_at=utc_now()).where((Alert.rule == rule_id) & Alert.ended_at.is_null()).execute()
