"""``hymy central …``: run the server and manage the organisation.

Tokens and one-time passwords are printed once; central stores only hashes.
"""
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import peewee

from sync.central.alerts import episodes as alerts
from sync.central.alerts import worker
from sync.central.alerts.outbound import WebhookPolicy
from sync.central.config import CentralConfig, load_central_config
from sync.central.org import content, sessions
from sync.central.org import registry as org
from sync.central.org.registry import OrgError
from sync.central.store.db import connection, open_central_database, schema_status, upgrade_schema
from sync.central.store.migrations import LATEST, SchemaError
from sync.common.cli_errors import CommandError, central_extra, check_address, data_dir_error, missing_package
from sync.common.cli_logging import check_log_file, configure_logging
from sync.common.files import make_writable_dir
from sync.wire.errors import ConfigError


def _open(config_path: str | None, upgrade: bool = True) -> CentralConfig:
    """Load the config and open the database (migrating it unless *upgrade* is false), failing with one line."""
    try:
        config = load_central_config(config_path)
    except ConfigError as error:
        raise CommandError(f"config: {error}", exit_code=2) from None
    if config.database_url.startswith("sqlite:///"):
        directory = Path(config.database_url.removeprefix("sqlite:///")).parent
        try:
            make_writable_dir(directory)
        except OSError as error:
            raise data_dir_error(directory, error, "HYMY_CENTRAL_DATA_DIR, or database_url") from None
    try:
        open_central_database(config.database_url, config.max_connections, config.busy_timeout_ms, upgrade=upgrade)
    except SchemaError as error:
        raise CommandError(str(error)) from None
    except peewee.ImproperlyConfigured:
        raise CommandError("database_url is a PostgreSQL address, but its driver (psycopg2) is not installed: "
                           f"{central_extra()}") from None
    except peewee.OperationalError as error:
        raise CommandError(f"database: {str(error).strip().splitlines()[0]}") from None
    return config


config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             help="Central TOML config (default: $HYMY_CENTRAL_CONFIG, else defaults).")


@click.group("central")
def central() -> None:
    """The central service-management server."""


@central.command("serve")
@config_option
@click.option("--host", help="Address to listen on (config key host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (config key port).")
@click.option("--workers", type=click.IntRange(1, 64), help="gunicorn worker processes (config key workers).")
def serve(config_path: str | None, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the central API under gunicorn."""
    try:
        from sync.central.cli.serve import run_gunicorn
    except ModuleNotFoundError as error:
        raise missing_package(error, "hymy central serve") from None

    config = _open(config_path)
    host, port = host or config.host, port or config.port
    check_address(host, port)
    check_log_file(config)
    run_gunicorn(config_path, config, host, port, workers or config.workers)


def _parse_hours(hours: Iterable[str]) -> dict[str, list[str]]:
    """``("mon=08:00-12:00,13:00-20:00", …)`` -> the opening_hours table."""
    table: dict[str, list[str]] = {}
    for item in hours:
        day, _, spans = item.partition("=")
        table.setdefault(day.strip(), []).extend(s.strip() for s in spans.split(",") if s.strip())
    return table


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Organisation errors as one line: exit 2 for bad values, 1 for names."""
    try:
        yield
    except ConfigError as error:
        raise CommandError(str(error), exit_code=2) from None
    except OrgError as error:
        raise CommandError(str(error)) from None


@central.command("add-site")
@config_option
@click.argument("name")
@click.option("--timezone", "zone_name", default="Europe/Helsinki", show_default=True)
@click.option("--hours", multiple=True, metavar="DAY=HH:MM-HH:MM[,…]", help="Opening hours, e.g. mon=08:00-20:00.")
def add_site(config_path: str | None, name: str, zone_name: str, hours: tuple[str, ...]) -> None:
    """Add a site (a shop, a pharmacy, a gate)."""
    _open(config_path)
    with _one_line_errors():
        org.add_site(name, zone_name, _parse_hours(hours))
    click.echo(f"site {name!r} added")


@central.command("set-site-pin")
@config_option
@click.argument("site")
@click.option("--clear", is_flag=True, help="Remove head office's PIN: the kiosks' own PINs apply again.")
def set_site_pin(config_path: str | None, site: str, clear: bool) -> None:
    """Set a site's manager PIN (asked twice, never shown); its kiosks take it with their config,
    and it wins over a PIN set on a kiosk."""
    pin = None if clear else click.prompt("PIN for the site's manager screen (6-8 digits)", hide_input=True,
                                          confirmation_prompt=True)
    _open(config_path)
    with _one_line_errors():
        org.set_site_pin(site, pin)
    click.echo(f"site {site!r}: manager PIN {'cleared' if clear else 'set'}; its kiosks take it at their next sync")


@central.command("add-service")
@config_option
@click.argument("name")
def add_service(config_path: str | None, name: str) -> None:
    """Add a service to the catalogue (checkout, pharmacy counter, reception)."""
    _open(config_path)
    with _one_line_errors():
        org.add_service(name)
    click.echo(f"service {name!r} added")


@central.command("add-provider")
@config_option
@click.argument("name")
def add_provider(config_path: str | None, name: str) -> None:
    """Add a provider (a subcontractor running a service under the brand)."""
    _open(config_path)
    with _one_line_errors():
        org.add_provider(name)
    click.echo(f"provider {name!r} added")


@central.command("add-kiosk")
@config_option
@click.argument("name")
@click.option("--site", required=True)
@click.option("--service", required=True)
@click.option("--provider")
@click.option("--question", "question_key", default="service", show_default=True)
def add_kiosk(
    config_path: str | None, name: str, site: str, service: str, provider: str | None, question_key: str
) -> None:
    """Add a kiosk and print its token once."""
    _open(config_path)
    with _one_line_errors():
        token = org.add_kiosk(name, site, service, provider, question_key)
    click.echo(f"kiosk {name!r} added. Its token, shown only now:")
    click.echo(token)


@central.command("revoke-kiosk")
@config_option
@click.argument("name")
def revoke_kiosk(config_path: str | None, name: str) -> None:
    """Refuse the kiosk's token from now on."""
    _open(config_path)
    with _one_line_errors():
        org.revoke_kiosk(name)
    click.echo(f"kiosk {name!r} revoked")


@central.command("add-user")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "viewer"]), required=True)
@click.option("--site", "sites", multiple=True, help="A site a viewer may see (repeat).")
@click.option("--email", help="Where the user's alerts and daily digest go (one address).")
def add_user(config_path: str | None, name: str, role: str, sites: tuple[str, ...], email: str | None) -> None:
    """Add a head-office user; print a one-time password and an API token once."""
    _open(config_path)
    with _one_line_errors():
        password, token = org.add_user(name, role, sites, email=email)
    click.echo(f"user {name!r} added. Shown only now:")
    click.echo(f"password: {password}")
    click.echo(f"api token: {token}")


@central.command("set-question")
@config_option
@click.argument("key")
@click.option("--text", "texts", multiple=True, required=True, metavar="LANG=TEXT")
def set_question(config_path: str | None, key: str, texts: tuple[str, ...]) -> None:
    """Publish a new version of a question (a used version never changes)."""
    table = {}
    for item in texts:
        language, _, text = item.partition("=")
        table[language.strip()] = text.strip()
    _open(config_path)
    with _one_line_errors():
        version = content.publish_question(key, table)
    click.echo(f"question {key!r} is now version {version}")


@central.command("set-target")
@config_option
@click.argument("percent", type=click.FloatRange(0, 100))
def set_target(config_path: str | None, percent: float) -> None:
    """Set the brand-wide satisfaction target (share of happy faces, %)."""
    _open(config_path)
    with _one_line_errors():
        content.set_target(percent)
    click.echo(f"target set to {percent:g} %")


@central.command("set-network")
@config_option
@click.option("--share-site-names", type=click.Choice(["on", "off"]), required=True,
              help="Whether the kiosks' network document names the other sites of the ranking.")
def set_network(config_path: str | None, share_site_names: str) -> None:
    """Choose what the kiosks learn of the brand's other sites (their rank, best and median always)."""
    _open(config_path)
    with _one_line_errors():
        content.set_share_site_names(share_site_names == "on")
    click.echo(f"site names in the network document: {share_site_names}")


@central.command("redact-comment")
@config_option
@click.argument("followup_id")
@click.option("--by", default=None, help="Who asked for it (kept with the redaction).")
def redact_comment(config_path: str | None, followup_id: str, by: str | None) -> None:
    """Blank one follow-up comment (e.g. personal data) for good."""
    _open(config_path)
    with _one_line_errors():
        content.redact_comment(followup_id, by)
    click.echo(f"comment of follow-up {followup_id} redacted")


@central.command("add-alert")
@config_option
@click.option("--site", help="The site whose kiosks the rule watches.")
@click.option("--service", help="Or the service, at every site.")
@click.option("--unhappy-share", type=int, default=50, show_default=True,
              help="Alert when more than this percent of counted ratings in the window are unhappy (1-2).")
@click.option("--window", type=int, default=15, show_default=True, help="Minutes the share is counted over.")
@click.option("--min-responses", type=int, default=4, show_default=True, help="Counted ratings the window needs.")
@click.option("--silent-minutes", type=int, default=60, show_default=True,
              help="Alert when a kiosk sends no heartbeat for this many minutes of opening time.")
@click.option("--email", "emails", multiple=True, metavar="ADDRESS",
              help="Send the alert to this one address (repeat for more; each gets a message of their own).")
@click.option("--webhook", help="POST the alert as signed JSON to this https URL on a public address.")
def add_alert(
    config_path: str | None,
    site: str | None,
    service: str | None,
    unhappy_share: int,
    window: int,
    min_responses: int,
    silent_minutes: int,
    emails: tuple[str, ...],
    webhook: str | None,
) -> None:
    """Add an alert rule for a site or a service; with --webhook, print its signing secret once."""
    config = _open(config_path)
    with _one_line_errors():
        rule_id, secret = alerts.add_rule(site, service, unhappy_share, window, min_responses, silent_minutes,
                                          emails, webhook, WebhookPolicy.from_config(config))
    click.echo(f"alert rule {rule_id} added")
    if secret:
        click.echo(f"webhook secret (X-Hymy-Signature: sha256=HMAC of the body), shown only now: {secret}")


@central.command("worker")
@config_option
@click.option("--once", is_flag=True, help="One round (evaluate, deliver) and exit.")
@click.option("--interval", type=click.FloatRange(1, 3600), default=60, show_default=True,
              help="Seconds between rounds.")
def worker_command(config_path: str | None, once: bool, interval: float) -> None:
    """Evaluate alert rules and deliver alerts; one worker at a time holds the lock (run it as a service)."""
    config = _open(config_path)
    smtp, webhooks = alerts.smtp_settings(config), WebhookPolicy.from_config(config)
    if once:
        try:
            with worker.worker_lock():
                opened, sent, failed = worker.run_once(smtp, webhooks=webhooks)
        except worker.LockHeld:
            raise CommandError("another hymy central worker holds the worker lock") from None
        click.echo(f"{opened} alerts opened, {sent} sent, {failed} to retry")
        return
    configure_logging(config)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.run(smtp, interval, stop, webhooks=webhooks)


@central.command("prune")
@config_option
def prune(config_path: str | None) -> None:
    """Blank comments older than comment_retention_days and remove idle sessions' rows (run daily)."""
    config = _open(config_path)
    count = content.prune_comments(config.comment_retention_days)
    click.echo(f"{count} comments older than {config.comment_retention_days} days blanked")
    with connection():
        ended = sessions.prune(datetime.now(timezone.utc), timedelta(minutes=config.session_minutes))
    click.echo(f"{ended} idle head-office session{'' if ended == 1 else 's'} removed")


@central.command("migrate")
@config_option
@click.option("--dry-run", is_flag=True, help="List the migrations that would run; change nothing.")
def migrate(config_path: str | None, dry_run: bool) -> None:
    """Bring central's database schema up to this version (serve and every command do it at start too)."""
    _open(config_path, upgrade=False)
    try:
        version, pending = schema_status()
        if dry_run and pending:
            click.echo(f"central's database is at schema version {version}; would apply:")
            for migration in pending:
                click.echo(f"  {migration.number} {migration.name}: {migration.summary}")
            return
        applied = upgrade_schema() if pending else []
    except SchemaError as error:
        raise CommandError(str(error)) from None
    except peewee.OperationalError as error:
        raise CommandError(f"database: {str(error).strip().splitlines()[0]}") from None
    for migration in applied:
        click.echo(f"applied {migration.number} {migration.name}: {migration.summary}")
    if not applied:
        click.echo(f"central's database is at schema version {LATEST}, the latest: nothing to do")
    else:
        click.echo(f"central's database is now at schema version {LATEST}")
