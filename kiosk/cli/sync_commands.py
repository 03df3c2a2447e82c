"""``hymy enroll`` and ``hymy sync``: the kiosk's side of central.

These run beside the kiosk process on the same data dir, without the web app
and without claiming the GPIO pins. ``hymy sync --status`` opens with the same
verdict as the kiosk's ``/healthz`` (kiosk/storage/health.py).

A command that acts on a kiosk's rows (``sync``, ``sync --requeue``) needs the
kiosk's database and never makes one: on a data dir where no kiosk ever
started, a mistyped ``--config`` or ``HYMY_DATA_DIR`` would otherwise leave a
new kiosk id and an empty database behind. ``enroll`` and ``sync --loop`` may
run before the kiosk's first start (enrollment binds a kiosk whenever it comes),
so they make them as the kiosk would.
"""
import signal
import sys
import threading
from dataclasses import dataclass
from ipaddress import ip_address
from typing import IO
from urllib.parse import urlparse

import click
import peewee

from kiosk.cli.kiosk_commands import load_kiosk_config, writable_data_dir
from kiosk.cli.options import config_option
from kiosk.config import KioskConfig
from kiosk.storage.content import Content
from kiosk.storage.content_store import ContentStore
from kiosk.storage.db import connection, open_database, open_database_read_only
from kiosk.storage.enrollment import EnrollmentError, load_enrollment
from kiosk.storage.health import sync_health
from kiosk.storage.identity import kiosk_id
from kiosk.storage.models import Outbox, Rating
from kiosk.storage.outbox import SequenceShift
from kiosk.storage.state import sync_state
from sync.common.cli_errors import CommandError, data_dir_error
from sync.common.clock import Clock, SystemClock
from sync.uploader.client import CentralError
from sync.uploader.enrollment import enroll
from sync.uploader.loop import AlreadyRunning, NotEnrolled, Uploader
from sync.wire.errors import HymyError
from sync.wire.protocol import text_problem


@dataclass
class LocalKiosk:
    """This machine's kiosk as the sync commands need it: config, id, clock, and where content goes."""

    config: KioskConfig
    kiosk_id: str
    clock: Clock
    content_store: ContentStore

    def uploader(self) -> Uploader:
        return Uploader(self.config, self.kiosk_id, self.clock, self.content_store)


def _local_kiosk(config_path: str | None, read_only: bool = False, existing: bool = False) -> LocalKiosk:
    """The kiosk's config, database and identity; with *read_only* nothing is created or written,
    with *existing* the kiosk's database must be there already (nothing is created when it is not)."""
    config = load_kiosk_config(config_path)
    if existing:
        _require_database(config)
    if not read_only:
        writable_data_dir(config)
    try:
        if read_only:
            open_database_read_only(config.database_path, config.busy_timeout_ms)
        else:
            open_database(config.database_path, config.busy_timeout_ms)
        return LocalKiosk(config, kiosk_id(config.data_dir, create=not read_only), SystemClock(config.clock_trusted),
                         ContentStore(Content.from_config(config), None if read_only else config.data_dir))
    except HymyError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise data_dir_error(config.data_dir, error) from None
    except peewee.DatabaseError as error:
        raise CommandError(f"the kiosk's database failed: {error}") from None


def _require_database(config: KioskConfig) -> None:
    """One line, and nothing made, when the kiosk of *config* has no database yet."""
    try:
        config.database_path.stat()
    except FileNotFoundError:
        raise CommandError(f"data_dir {config.data_dir}: no kiosk database yet (the kiosk makes it on its first "
                           "start); check --config or HYMY_DATA_DIR, or start the kiosk first") from None
    except OSError as error:
        raise data_dir_error(config.data_dir, error) from None


def _central_failure(url: str, error: CentralError) -> CommandError:
    """A failure talking to central as one line; when nothing answered, naming where central was looked for."""
    return CommandError(f"{url}: {error}" if error.status is None else str(error))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


#: Said when the token comes as an argument: every user of the machine can read a process's argv.
TOKEN_IN_ARGV = ("hymy: warning: a token given on the command line shows in ps and in the shell's history; "
                 "leave it out and paste it when asked, or give it on standard input")
#: Longer than any token central makes; a line past it is not a token.
TOKEN_MAX = 4096


def _read_token(stream: IO[str] | None, interactive: bool) -> str:
    """The kiosk token: a hidden prompt in a terminal, else the first line of *stream*."""
    if interactive:
        token: str = click.prompt("Kiosk token (from hymy central add-kiosk)", hide_input=True, default="",
                             show_default=False)
    else:
        token = stream.readline(TOKEN_MAX + 1) if stream is not None else ""
    token = token.strip()
    if not token:
        raise CommandError("no token: paste the token hymy central add-kiosk printed when asked, or give it on "
                           "standard input", exit_code=2)
    if len(token) > TOKEN_MAX:
        raise CommandError("the token on standard input is too long to be a kiosk token", exit_code=2)
    return token


@click.command("enroll")
@config_option
@click.argument("url")
@click.argument("token", required=False)
@click.option("--allow-http", is_flag=True, help="Allow plain HTTP to a host that is not this machine.")
def enroll_command(config_path: str | None, url: str, token: str | None, allow_http: bool) -> None:
    """Bind this kiosk to central with the token from `hymy central add-kiosk`.

    The token is asked for, hidden, or read from standard input (TOKEN as an
    argument works too, but shows in ps and in the shell's history)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise CommandError("URL: expected https://central.example/", exit_code=2)
    if parsed.scheme == "http" and not (allow_http or _is_loopback(parsed.hostname)):
        raise CommandError("URL: plain HTTP would send the token in clear; use https or --allow-http", exit_code=2)
    if token is None:
        token = _read_token(sys.stdin, sys.stdin is not None and sys.stdin.isatty())
    else:
        click.echo(TOKEN_IN_ARGV, err=True)
    side = _local_kiosk(config_path)
    try:
        with connection():
            config = side.config
            answer = enroll(config.data_dir, side.kiosk_id, url, token, side.clock, config.sync_connect_timeout,
                           config.sync_read_timeout, config.ca_bundle)
    except EnrollmentError as error:
        raise CommandError(str(error)) from None
    click.echo(f"enrolled as kiosk {answer['kiosk']!r} at {answer['site']!r} ({answer['service']}); "
               f"this kiosk's id {side.kiosk_id}")


def _not_enrolled(side: LocalKiosk) -> bool:
    """True when this kiosk has no enrollment record (a broken one is the uploader's to report)."""
    try:
        return load_enrollment(side.config.data_dir) is None
    except EnrollmentError:
        return False


def _when_what(when: str | None, what: str | None) -> str:
    return f"{when} {what}" if what else "none"


def _status(side: LocalKiosk) -> list[str]:
    with connection():
        health = sync_health(side.config.data_dir, side.clock.now(), side.config.sync_stale_after)
        try:
            enrollment = load_enrollment(side.config.data_dir)
            central = f"{enrollment.url} as {enrollment.kiosk!r}" if enrollment else "not enrolled"
        except EnrollmentError as error:
            central = str(error)
        state = sync_state.read(
            "last_success_at", "last_error", "last_error_at", "central_sequence", "gap_error", "config_error")
        quarantined = list(Outbox.quarantined().order_by(Outbox.position).limit(10))
        lines = [f"status:          {health.status}", *(f"  - {reason}" for reason in health.reasons)]
        lines += [
            f"kiosk id:        {side.kiosk_id}",
            f"central:         {central}",
            f"pending:         {Outbox.pending_count()}",
            f"quarantined:     {Outbox.quarantined().count()}",
            f"last success:    {state['last_success_at'] or 'never'}",
            f"last error:      {_when_what(state['last_error_at'], state['last_error'])}",
            f"kiosk sequence:  {_sequence(Rating.select(Rating.seq).order_by(Rating.seq.desc()).scalar())}",
        ]
        lines += [f"restored:        {line}" for line in SequenceShift.load().describe()]  # central's numbers after it
        sequence = state["central_sequence"]
        if sequence:
            gaps = ", ".join(f"{a}-{b}" for a, b in sequence.get("gaps", [])) or "none"
            lines.append(f"central holds:   1..{sequence['contiguous']} without gaps, highest {sequence['highest']}, "
                         f"gaps {gaps}")
        if state["gap_error"]:
            lines.append(f"GAP:             {state['gap_error']}")
        if state["config_error"]:
            lines.append(f"config refused:  {state['config_error']}")
        for item in quarantined:
            lines.append(f"  quarantined {item.kind} {item.item_id}: {item.quarantine_reason}")
    return lines


def _sequence(highest: int | None) -> str:
    """The kiosk's own numbering so far: ``1..N``, or that it has recorded nothing."""
    return f"1..{highest}" if highest else "no ratings yet"


def _requeue(side: LocalKiosk, item_id: str | None) -> str:
    """Put quarantined rows back in the outbox; one line saying how many."""
    if item_id is not None and text_problem(item_id):
        raise CommandError(f"--id: {text_problem(item_id)}", exit_code=2)
    with connection():
        if item_id is not None:
            item = Outbox.get_or_none(Outbox.item_id == item_id)
            if item is None:
                raise CommandError(f"--id: no row {item_id!r} in the outbox (see hymy sync --status)")
            if item.quarantined_at is None:
                raise CommandError(f"--id: row {item_id!r} is not quarantined; it is waiting to be sent")
        count = Outbox.requeue(item_id)
    if count == 0:
        return "no quarantined rows to requeue"
    rows = "1 quarantined row" if count == 1 else f"{count} quarantined rows"
    return f"requeued {rows}; the next pass sends {'it' if count == 1 else 'them'}"


@click.command("sync")
@config_option
@click.option("--loop", "loop", is_flag=True, help="Keep syncing every sync_interval seconds.")
@click.option("--status", "status", is_flag=True, help="Show the verdict, what is pending, quarantined and known "
              "to central.")
@click.option("--requeue", "requeue", is_flag=True, help="Put quarantined rows back in the outbox (once central "
              "is fixed).")
@click.option("--id", "item_id", metavar="ID", help="With --requeue: only the row with this id.")
def sync_command(config_path: str | None, loop: bool, status: bool, requeue: bool, item_id: str | None) -> None:
    """Ship pending ratings to central (one pass until the backlog is empty)."""
    if item_id is not None and not requeue:
        raise CommandError("--id goes with --requeue", exit_code=2)
    if loop + status + requeue > 1:
        raise CommandError("use one of --loop, --status and --requeue", exit_code=2)
    side = _local_kiosk(config_path, read_only=status, existing=not (status or loop))
    try:
        if requeue:
            click.echo(_requeue(side, item_id))
            return
        if status:
            for line in _status(side):
                click.echo(line)
            return
    except peewee.DatabaseError as error:
        raise CommandError(f"the kiosk's database failed: {error}") from None
    uploader = side.uploader()
    if loop:
        from sync.common.cli_logging import configure_logging

        configure_logging(side.config)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # before anything is said: a stop may follow at once
        if _not_enrolled(side):
            click.echo(f"hymy: not enrolled yet: run hymy enroll URL (with the token from hymy central add-kiosk); "
                       f"checking again every {side.config.sync_interval:g} s", err=True)
        try:
            uploader.loop(stop)
        except KeyboardInterrupt:
            pass
        return
    with connection():
        pending = Outbox.pending_count()
    try:
        if sys.stdout.isatty() and pending:
            with click.progressbar(length=pending, label="syncing") as bar:
                result = uploader.run_pass(progress=bar.update)
        else:
            result = uploader.run_pass()
    except CentralError as error:
        enrollment = load_enrollment(side.config.data_dir)
        raise _central_failure(enrollment.url if enrollment else "central", error) from None
    except (NotEnrolled, AlreadyRunning, EnrollmentError) as error:
        raise CommandError(str(error)) from None
    click.echo(f"sent {result['sent']}, quarantined {result['quarantined']}, pruned {result['pruned']}")
