"""Kiosk configuration: defaults, then one TOML file, then environment overrides.

``load_config(path, overrides)`` returns a validated, frozen :class:`KioskConfig`.
A bad file or value raises :class:`ConfigError` with one line naming the key;
the command line turns that into exit code 2. Each key is declared once, as a
field of :class:`KioskConfig`; docs/configuration.md's table is generated from it.
"""
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from kiosk.storage.content import Question, Reason, select_reasons
from sync.common.config import check_values, choice, flag, number, read_values, text
from sync.common.settings import schema_of, setting
from sync.wire.defaults import DEFAULT_MIN_RESPONSES, DEFAULT_REASON_KEYS, DEFAULT_TARGET, LANGUAGES
from sync.wire.errors import ConfigError
from sync.wire.hours import OpeningHours, load_zone

PIN_FACTORIES = ("auto", "mock", "lgpio", "rpigpio", "pigpio", "native")
CLOCK_TRUST = ("auto", "always", "never")


def _default_data_dir() -> str:
    return platformdirs.user_data_dir("hymy", appauthor=False)


def _host_names(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{key}: expected a list of host names, got {value!r}")
    for name in value:
        text(key, name)
    return value


def client_network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """*entry* (an address or a CIDR) as an :mod:`ipaddress` network, an IPv4-mapped IPv6 one as IPv4.

    :raises ValueError: not an address or a CIDR, or a CIDR with host bits set.
    """
    network = ipaddress.ip_network(entry.strip())
    mapped = ipaddress.IPv6Network("::ffff:0:0/96")
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96 and network.subnet_of(mapped):
        first = network.network_address.ipv4_mapped
        network = ipaddress.ip_network(f"{first}/{network.prefixlen - 96}")
    return network


def _client_entry(key: str, entry: Any) -> str:
    """One entry of *key* in its normal form: ``192.0.2.7``, ``192.0.2.0/24``, ``fd00::/8``."""
    if not isinstance(entry, str) or not entry.strip():
        raise ConfigError(f"{key}: expected addresses or CIDRs such as \"192.168.1.20\" or \"192.168.1.0/24\", "
                          f"got {entry!r}")
    try:
        network = client_network(entry)
    except ValueError as error:
        raise ConfigError(f"{key}: {entry!r} is not an address or a CIDR ({error})") from None
    single = network.prefixlen == network.max_prefixlen and "/" not in entry
    return str(network.network_address) if single else str(network)


def _clients(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key}: expected a list of addresses or CIDRs, got {value!r}")
    return [_client_entry(key, entry) for entry in value]


def _screen_clients(key: str, value: Any) -> list[str]:
    clients = _clients(key, value)
    if "/" in clients[0]:
        raise ConfigError(f"{key}: the first entry is the kiosk's own screen and must be one address, "
                          f"not a CIDR, got {value[0]!r}")
    return clients


_RATE = re.compile(r"\s*[1-9][0-9]{0,6}\s*(/|per)\s*(second|minute|hour|day)\s*")


def _rate(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _RATE.fullmatch(value):
        raise ConfigError(f"{key}: expected a rate such as \"30/minute\", got {value!r}")
    return value


def _pins(key: str, value: Any) -> list[int]:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 53 for p in value)
    ):
        raise ConfigError(f"{key}: expected four GPIO (BCM) pin numbers for ratings 1 to 4, got {value!r}")
    if len(set(value)) != 4:
        raise ConfigError(f"{key}: a pin is listed twice")
    return value


def _languages(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value or any(v not in LANGUAGES for v in value):
        raise ConfigError(f"{key}: expected a list drawn from {', '.join(LANGUAGES)}, got {value!r}")
    return value


def _rotation(key: str, value: Any) -> int:
    if isinstance(value, bool) or value not in (0, 90, 180, 270):
        raise ConfigError(f"{key}: expected 0, 90, 180 or 270 (degrees), got {value!r}")
    return value


@dataclass(frozen=True)
class KioskConfig:
    """Validated kiosk settings: each field declares one key, with its default, its check and the sentence
    that documents it (``docs/configuration.md`` is written from these; ``question``, ``reasons`` and
    ``opening_hours`` are parsed by :func:`load_config` itself)."""

    data_dir: Path = setting(
        None,
        text,
        "where the database (`hymy.sqlite3`) and the kiosk id (`kiosk_id`) live",
        shown_default="the user's data dir (`~/.local/share/hymy`); `/var/lib/hymy` under systemd",
    )
    host: str = setting("127.0.0.1", text, "address the screen server listens on")
    port: int = setting(8000, number(1, 65535, whole=True), "its port")
    threads: int = setting(
        16,
        number(8, 256, whole=True),
        "server threads, at least 8: each open screen stream holds one",
    )
    max_streams: int = setting(
        None,
        number(1, 252, whole=True),
        (
            "open screen event streams at most (never more than `threads` − 4, so taps always find a thread);"
            " the next gets 503 with `Retry-After` and the page retries. The last free one is always kept for"
            " the kiosk's own screen (the first of `screen_clients`)"
        ),
        shown_default="`threads` − 4",
    )
    max_streams_per_client: int = setting(
        2,
        number(1, 252, whole=True),
        (
            "open screen event streams at most from one client address, for every address but the first of "
            "`screen_clients`"
        ),
    )
    allowed_hosts: tuple[str, ...] = setting(
        ["localhost", "127.0.0.1", "::1"],
        _host_names,
        "`Host` names the kiosk answers when it listens on a network address (`host` not loopback)",
    )
    screen_clients: tuple[str, ...] = setting(
        ["127.0.0.1", "::1"],
        _screen_clients,
        (
            "client addresses the customer screen and its API (`/`, `/api/…`, `/events`) answer, whatever "
            '`host` is: addresses or CIDRs (`"192.168.1.0/24"`; an IPv4-mapped `::ffff:192.168.1.20` is taken'
            " as `192.168.1.20`); others get 403. The first entry is the kiosk's own screen and must be one "
            "address, not a CIDR (see [On a network](api.md#on-a-network))"
        ),
    )
    manager_clients: tuple[str, ...] = setting(
        ["127.0.0.1", "::1"],
        _clients,
        "client addresses the manager screen (`/manager…`) answers, the same way",
    )
    post_rate_limit: str = setting(
        "30/minute",
        _rate,
        (
            "POSTs per client address when `host` is not loopback; only the loopback members of "
            "`screen_clients` (the kiosk's own screen) are never limited"
        ),
    )
    language: str = setting("fi", choice(LANGUAGES), "the screen's default language")
    languages: tuple[str, ...] = setting(list(LANGUAGES), _languages, "languages offered on the screen's switch")
    timezone: str = setting("Europe/Helsinki", text, 'the kiosk\'s time zone: its "day" and its opening hours')
    press_interval: float = setting(
        3.0,
        number(0, 3600),
        "seconds: a press within this of the previous stored press, on any button, is flagged `repeat`",
    )
    followup_timeout: float = setting(
        8.0,
        number(2, 600),
        "seconds without a touch before the follow-up returns to the question",
    )
    idle_timeout: float = setting(
        30.0,
        number(5, 3600),
        "seconds without a touch before a switched language returns to the default",
    )
    debounce_ms: int = setting(
        50,
        number(0, 1000, whole=True),
        (
            "a button edge this soon after the previous edge on the same button is dropped (also gpiozero's "
            "`bounce_time`)"
        ),
    )
    buttons: bool = setting(True, flag, "listen to the physical buttons")
    pin_factory: str = setting(
        "auto",
        choice(PIN_FACTORIES),
        (
            "gpiozero pin driver: `auto` takes `GPIOZERO_PIN_FACTORY`, else `lgpio` where `/dev/gpiochip0` "
            "exists, else `mock` (logged); or name one: `mock`, `lgpio`, `rpigpio`, `pigpio`, `native`"
        ),
    )
    button_pins: tuple[int, ...] = setting([5, 6, 13, 19], _pins, "BCM pins of the buttons for ratings 1, 2, 3, 4")
    led_pins: tuple[int, ...] = setting([12, 16, 20, 21], _pins, "BCM pins of their LEDs")
    led_seconds: float = setting(1.0, number(0.01, 10), "how long an LED answers a press")
    clock_trusted: str = setting(
        "auto",
        choice(CLOCK_TRUST),
        "`auto` asks the kernel whether NTP has synchronised the clock; `always` (a battery-backed RTC) or `never`",
    )
    busy_timeout_ms: int = setting(
        5000,
        number(1, 60000, whole=True),
        "how long a write waits for the database lock before the answer is 503",
    )
    stream_heartbeat: float = setting(
        15.0,
        number(0.01, 15),
        "seconds between heartbeats on a screen's event stream (at most 15)",
    )
    stream_max_age: float = setting(
        55.0,
        number(0.05, 60),
        "seconds after which the server ends a stream and the page reopens it (at most 60)",
    )
    target: float = setting(
        DEFAULT_TARGET,
        number(0, 100),
        "the satisfaction target in percent (share of happy and very happy)",
    )
    min_responses: int = setting(
        DEFAULT_MIN_RESPONSES,
        number(1, 1000, whole=True),
        (
            'the manager\'s figures show "too few" instead of a percentage below this many counted ratings '
            "(central's once enrolled)"
        ),
    )
    sync_in_kiosk: bool = setting(
        True,
        flag,
        "run the uploader loop in a thread of `hymy kiosk` (it waits until the kiosk is enrolled)",
    )
    sync_interval: float = setting(60.0, number(1, 86400), "seconds between upload passes (±20 % jitter)")
    sync_batch_size: int = setting(500, number(1, 1000, whole=True), "rows per batch (at most 1,000)")
    sync_in_flight: int = setting(
        2,
        number(1, 8, whole=True),
        "batches on the wire at once while draining a backlog (central's workers ingest them in parallel)",
    )
    sync_connect_timeout: float = setting(5.0, number(0.1, 120), "seconds to connect to central")
    sync_read_timeout: float = setting(30.0, number(0.1, 600), "seconds to wait for central's answer")
    sync_backoff_base: float = setting(
        5.0,
        number(0.1, 3600),
        "first retry delay after a failed pass; doubles per failure, with full jitter",
    )
    sync_backoff_cap: float = setting(900.0, number(1, 86400), "the longest retry delay")
    ca_bundle: str | None = setting(
        None,
        text,
        "a CA bundle file to verify central's TLS certificate against",
        shown_default="unset: the system's CAs",
    )
    sync_stale_after: float = setting(
        3600.0,
        number(60, 30 * 86400),
        "seconds without a successful sync (once enrolled) before `/healthz` says `degraded`",
    )
    retention_days: int = setting(
        60,
        number(1, 3650, whole=True),
        "synced ratings older than this are pruned from the kiosk; unsynced and quarantined rows never are",
    )
    question: Question = setting(
        {},
        None,
        (
            "the question: `[question]` with `id`, `version` and a `[question.text]` table of language = "
            "text. A new text needs a new version"
        ),
        shown_default='id `"service"`, version `1`, translated default text',
    )
    reasons: tuple[Reason, ...] = setting(
        list(DEFAULT_REASON_KEYS),
        None,
        "the follow-up reasons offered, by key: drop or reorder them",
        shown_default="all nine, in the order below",
    )
    opening_hours: OpeningHours = setting(
        {},
        None,
        (
            '`[opening_hours]` with `mon` … `sun` = `["08:00-20:00", …]`; a day left out is closed; '
            '`"22:00-02:00"` runs past midnight'
        ),
        shown_default="none: always open",
    )
    log_level: str = setting(
        "info",
        choice(("debug", "info", "warning", "error")),
        "`debug`, `info`, `warning` or `error`",
    )
    log_file: str | None = setting(
        None,
        text,
        (
            "also write the log to this file, rotated at 10 MB with 5 old files kept, each created 0600 "
            "whatever the umask (one an older version left readable is narrowed at start); under systemd "
            "stderr is the journal, which needs no file"
        ),
        shown_default="unset: stderr only",
    )
    display_rotation: int = setting(
        0,
        _rotation,
        (
            "the touchscreen's rotation in degrees, `0`, `90`, `180` or `270`, as `hymy display` gives it to "
            "`wlr-randr --transform`"
        ),
    )
    display_output: str | None = setting(
        None,
        text,
        "the output `hymy display` turns on and off (`DSI-1`, `HDMI-A-1`)",
        shown_default="unset: the first output `wlr-randr` lists",
    )
    #: Where the values came from, for messages and `doctor` (set by the loader; the default only keeps the
    #: fields without a default ahead of it, as dataclasses ask).
    source: str = "defaults"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "hymy.sqlite3"


#: key -> (default, check), derived from :class:`KioskConfig`.
SCHEMA = schema_of(KioskConfig)


def load_config(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> KioskConfig:
    """Merge defaults, the TOML file at *path* (or ``HYMY_CONFIG``), the
    environment and *overrides*; validate; return a :class:`KioskConfig`."""
    environ = os.environ if environ is None else environ
    path = path or environ.get("HYMY_CONFIG") or None
    values, source = read_values(SCHEMA, path, overrides, environ)
    return _validate(check_values(SCHEMA, values), source)


def _validate(checked: dict[str, Any], source: str) -> KioskConfig:
    if checked["language"] not in checked["languages"]:
        raise ConfigError(f"language: {checked['language']!r} is not in languages {checked['languages']!r}")
    if set(checked["button_pins"]) & set(checked["led_pins"]):
        raise ConfigError("led_pins: shares a pin with button_pins")
    if checked["stream_heartbeat"] >= checked["stream_max_age"]:
        raise ConfigError("stream_heartbeat: must be shorter than stream_max_age")
    # Each open event stream holds a server thread: four always stay free for taps.
    stream_room = checked["threads"] - 4
    if checked["max_streams"] is None:
        checked["max_streams"] = stream_room
    elif checked["max_streams"] > stream_room:
        raise ConfigError(f"max_streams: at most threads - 4 ({stream_room}), got {checked['max_streams']}")
    zone = load_zone(checked["timezone"])
    names = {f.name for f in fields(KioskConfig)}
    checked.update(
        data_dir=Path(checked["data_dir"] or _default_data_dir()).expanduser(),
        languages=tuple(checked["languages"]),
        allowed_hosts=tuple(checked["allowed_hosts"]),
        screen_clients=tuple(checked["screen_clients"]),
        manager_clients=tuple(checked["manager_clients"]),
        button_pins=tuple(checked["button_pins"]),
        led_pins=tuple(checked["led_pins"]),
        press_interval=float(checked["press_interval"]),
        followup_timeout=float(checked["followup_timeout"]),
        question=Question.parse(checked["question"]),
        reasons=select_reasons(checked["reasons"]),
        opening_hours=OpeningHours.parse(checked["opening_hours"], zone),
        source=source,
    )
    return KioskConfig(**{k: v for k, v in checked.items() if k in names})
