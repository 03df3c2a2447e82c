"""``hymy doctor``'s checks beyond the data dir: the running kiosk, the clock, central, systemd.

Each asks the part that owns the answer rather than working it out again: the
kiosk's lock file (kiosk/storage/process_lock.py) and its own ``/healthz``, the clock
object the kiosk records with, the uploader's HTTP client with the enrolled
token, and ``systemctl``.
"""
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests

from kiosk.cli.systemd_state import KIOSK_UNIT as UNIT
from kiosk.cli.systemd_state import SYSTEMD_RUNTIME, ask_systemctl
from kiosk.config import KioskConfig
from kiosk.storage.diagnostics import FAIL, OK, SKIP, WARN, Check, data_dir_denied
from kiosk.storage.enrollment import ENROLLMENT_FILE, EnrollmentError, load_enrollment
from kiosk.storage.health import ENROLL_AGAIN
from kiosk.storage.process_lock import LOCK_FILE, RunningKiosk, loopback_url, running_kiosk
from sync.common.clock import Clock
from sync.uploader.client import CentralClient, CentralError

HEALTHZ_TIMEOUT = 5.0


def config_check(config: KioskConfig) -> Check:
    source = "built-in defaults (no config file)" if config.source == "defaults" else config.source
    return Check("config", OK, f"{source}; data_dir {config.data_dir}")


def kiosk_check(config: KioskConfig) -> tuple[Check, RunningKiosk | None, dict[str, Any] | None]:
    """``(Check, running kiosk or None, its /healthz answer or None)``."""
    denied = data_dir_denied(config.data_dir, LOCK_FILE)
    if denied:
        return Check("kiosk", SKIP, denied), None, None
    running = running_kiosk(config.data_dir)
    if running is None:
        return Check("kiosk", WARN, f"no kiosk runs on data_dir {config.data_dir}: start it (sudo systemctl start "
                     "hymy-kiosk, or hymy kiosk)"), None, None
    who = f"running (pid {running.pid})"
    parsed = urlparse(running.url or "")
    if not parsed.port:
        # The lock is taken before the database opens and the address written once it serves.
        return Check("kiosk", WARN, f"starting (pid {running.pid}): it does not serve yet (the first start "
                     "after an upgrade migrates the database); run hymy doctor again in a minute"), running, None
    url = loopback_url(parsed.hostname or "", parsed.port) + "healthz"
    try:
        answer = requests.get(url, timeout=HEALTHZ_TIMEOUT)
        healthz = answer.json()
        status, reasons = healthz["status"], healthz["reasons"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        return Check("kiosk", FAIL, f"{who} but {url} does not answer as the kiosk does ({type(error).__name__}): "
                     "see journalctl -u hymy-kiosk, then sudo systemctl restart hymy-kiosk"), running, None
    said = f"{who} at {running.url}: /healthz {status}"
    if status == "ok":
        return Check("kiosk", OK, said), running, healthz
    return Check("kiosk", WARN if status == "degraded" else FAIL, f"{said}: {'; '.join(reasons)}"), running, healthz


def clock_check(clock: Clock, trust: str) -> Check:
    """Whether the clock the kiosk records with is trusted (``clock_trusted``), as the recorder asks it."""
    now = clock.now().strftime("%Y-%m-%d %H:%M UTC")
    if trust == "always":
        return Check("clock", OK, f"trusted as configured (clock_trusted = always); now {now}")
    if clock.trusted():
        return Check("clock", OK, f"synchronised (NTP); now {now}")
    if trust == "never":
        return Check("clock", WARN, f"clock_trusted = never: every rating is stored unverified until central "
                     f"corrects its time; set clock_trusted = \"auto\" once NTP works (now {now})")
    return Check("clock", WARN, f"not synchronised (the kernel says NTP has not set it; now {now}): ratings are "
                 "stored unverified and opening hours wait; check the network and timedatectl timesync-status")


def central_check(config: KioskConfig) -> tuple[Check, bool]:
    """``(Check, enrolled)``: central answers ``GET /api/v1/config`` with the enrolled token."""
    denied = data_dir_denied(config.data_dir, ENROLLMENT_FILE)
    if denied:
        return Check("central", SKIP, denied), False
    try:
        enrollment = load_enrollment(config.data_dir)
    except EnrollmentError as error:
        return Check("central", FAIL, f"{error} with hymy enroll URL"), True
    if enrollment is None:
        return Check("central", WARN, "not enrolled: ratings wait on this kiosk until hymy enroll URL "
                     "(it asks for the token from hymy central add-kiosk)"), False
    client = CentralClient(enrollment, config.sync_connect_timeout, config.sync_read_timeout, config.ca_bundle,
                           retries=0)
    try:
        client.fetch_config()
    except CentralError as error:
        if error.token_refused:
            return Check("central", FAIL, f"{enrollment.url} refused this kiosk's token (revoked?): {ENROLL_AGAIN} "
                         "URL"), True
        if error.status is None:
            return Check("central", FAIL, f"{enrollment.url}: {error}: check the network, the URL and "
                         "ca_bundle"), True
        return Check("central", FAIL, f"{enrollment.url} answered {error}: is the URL central's?"), True
    finally:
        client.close()
    return Check("central", OK, f"{enrollment.url} accepts the token of kiosk {enrollment.kiosk!r} at "
                 f"{enrollment.site!r}"), True


def units_check(runtime: Path = SYSTEMD_RUNTIME, systemctl: str = "systemctl") -> Check:
    """``hymy-kiosk.service`` enabled (it starts at boot) and active (it runs now)."""
    if not runtime.is_dir():
        return Check("units", WARN, f"systemd is not running on this machine (no {runtime}): {UNIT} cannot be "
                     "checked; without it nothing starts the kiosk at boot")
    command = shutil.which(systemctl)
    if command is None:
        return Check("units", WARN, f"systemd runs but {systemctl} is not on PATH: {UNIT} cannot be checked")
    enabled, active = (ask_systemctl(command, verb) for verb in ("is-enabled", "is-active"))
    if enabled in ("", "not-found"):
        return Check("units", FAIL, f"{UNIT} is not installed: see docs/install.md, Running on a Raspberry Pi")
    if (enabled, active) == ("enabled", "active"):
        return Check("units", OK, f"{UNIT} enabled and active")
    return Check("units", FAIL, f"{UNIT} is {enabled} and {active}: sudo systemctl enable --now hymy-kiosk "
                 "(journalctl -u hymy-kiosk says why it stopped)")
