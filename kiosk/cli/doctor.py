"""``hymy doctor``: is this kiosk set up and working? One line per check.

Each line is ``ok``, ``warn``, ``fail`` or ``skip`` (the check could not run
here) with what to do when it is not ok; ``--json`` prints the same as a list
for fleet scripts. Exit 1 on any fail, else 0. Doctor runs beside a working
kiosk and on a data dir never used: it creates no file and changes none
(kiosk/storage/diagnostics.py says how the database's write check manages that).
"""
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import click

from kiosk.cli.kiosk_commands import load_kiosk_config
from kiosk.cli.options import config_option
from kiosk.config import KioskConfig
from kiosk.storage.diagnostics import FAIL, OK, Check, database_checks, disk_check, skipped_sync_checks, sync_checks
from kiosk.storage.migrations import LATEST
from sync.common.clock import Clock, SystemClock

NOT_A_TERMINAL = "not run in a terminal: run hymy doctor in one to press each button"
HELD_BY_THE_KIOSK = ("the running kiosk holds the pins: to press them here stop it first (sudo systemctl stop "
                     "hymy-kiosk), and start it again after")


def run_checks(
    config: KioskConfig,
    clock: Clock | None = None,
    pin_factory: Any = None,
    press: bool = False,
    press_timeout: float = 15.0,
    say: Callable[[str], object] = click.echo,
) -> Iterator[Check]:
    """Yield each :class:`~kiosk.storage.diagnostics.Check` as it is done, in the order a person reads them.

    :param clock: the clock the kiosk would record with (default: ``SystemClock(clock_trusted)``).
    :param pin_factory: a gpiozero factory instead of the configured one (tests pass ``MockFactory()``).
    :param press: ask for a press of each button, *press_timeout* seconds each, prompting with *say*.
    """
    # Imported here, not at the top: every other verb starts without gpiozero and waitress.
    from kiosk.cli.doctor_checks import central_check, clock_check, config_check, kiosk_check, units_check
    from kiosk.cli.doctor_gpio import buttons_check, gpio_check

    clock = clock or SystemClock(config.clock_trusted)
    yield config_check(config)
    kiosk, running, healthz = kiosk_check(config)
    yield kiosk
    gpio, pins = gpio_check(config, running, healthz, pin_factory)
    try:
        yield gpio
        if not config.buttons:
            why_not: str | None = "buttons = false"
        elif running is not None:
            why_not = HELD_BY_THE_KIOSK
        else:
            why_not = None if press else NOT_A_TERMINAL
        yield buttons_check(pins, why_not, press_timeout, say)
    finally:
        if pins is not None:
            pins.close()
    (database, schema), version = database_checks(config.data_dir, config.database_path, config.busy_timeout_ms)
    yield from (database, schema)
    yield disk_check(config.data_dir)
    yield clock_check(clock, config.clock_trusted)
    central, enrolled = central_check(config)
    yield central
    if database.status == OK and version == LATEST:
        yield from sync_checks(config.database_path, config.busy_timeout_ms, clock.now(), config.sync_stale_after,
                               enrolled)
    else:
        yield from skipped_sync_checks("needs a readable database at this software's schema (see above)")
    yield units_check()


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The parts log what doctor's lines already say (``make_pin_factory`` warns of simulated
    buttons); with no handler configured Python would print those to stderr between the lines."""
    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


@click.command("doctor")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the checks as a JSON list of {check, status, detail}.")
@click.option("--press-timeout", type=click.FloatRange(0.1, 600), default=15.0, show_default=True,
              help="Seconds to wait for each button's press (asked only in a terminal, never with --json).")
def doctor_command(config_path: str | None, as_json: bool, press_timeout: float) -> None:
    """Check this kiosk: GPIO, buttons, database, disk, clock, central, backlog, systemd."""
    config = load_kiosk_config(config_path)
    press = not as_json and sys.stdin.isatty() and sys.stdout.isatty()
    checks = []
    with _quiet_logs():
        for check in run_checks(config, press=press, press_timeout=press_timeout):
            checks.append(check)
            if not as_json:
                click.echo(f"{check.status:<4} {check.check:<10} {check.detail}")
    if as_json:
        click.echo(json.dumps([asdict(check) for check in checks], indent=2))
    if any(check.status == FAIL for check in checks):
        sys.exit(1)
