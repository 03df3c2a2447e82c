"""Kiosk configuration: defaults, then one TOML file, then environment overrides.

``load_config(path, overrides)`` returns a validated, frozen :class:`KioskConfig`.
A bad file or value raises :class:`ConfigError` with one line naming the key;
the command line turns that into exit code 2. Every key is documented in
README.md with its default.
"""
import ipaddress
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

import platformdirs

from kiosk.storage.content import Question, select_reasons
from sync.common.config import check_values, choice, flag, number, read_values, text
from sync.wire.defaults import DEFAULT_MIN_RESPONSES, DEFAULT_REASON_KEYS, DEFAULT_TARGET, LANGUAGES
from sync.wire.errors import ConfigError
from sync.wire.hours import OpeningHours, load_zone

PIN_FACTORIES = ("auto", "mock", "lgpio", "rpigpio", "pigpio", "native")
CLOCK_TRUST = ("auto", "always", "never")


def _default_data_dir():
    return platformdirs.user_data_dir("hymy", appauthor=False)


def _host_names(key, value):
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{key}: expected a list of host names, got {value!r}")
    for name in value:
        text(key, name)
    return value


def client_network(entry):
    """*entry* (an address or a CIDR) as an :mod:`ipaddress` network, an IPv4-mapped IPv6 one as IPv4.

    :raises ValueError: not an address or a CIDR, or a CIDR with host bits set.
    """
    network = ipaddress.ip_network(entry.strip())
    mapped = ipaddress.ip_network("::ffff:0:0/96")
    if network.version == 6 and network.prefixlen >= 96 and network.subnet_of(mapped):
        first = network.network_address.ipv4_mapped
        network = ipaddress.ip_network(f"{first}/{network.prefixlen - 96}")
    return network


def _client_entry(key, entry):
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


def _clients(key, value):
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key}: expected a list of addresses or CIDRs, got {value!r}")
    return [_client_entry(key, entry) for entry in value]


def _screen_clients(key, value):
    clients = _clients(key, value)
    if "/" in clients[0]:
        raise ConfigError(f"{key}: the first entry is the kiosk's own screen and must be one address, "
                          f"not a CIDR, got {value[0]!r}")
    return clients


_RATE = re.compile(r"\s*[1-9][0-9]{0,6}\s*(/|per)\s*(second|minute|hour|day)\s*")


def _rate(key, value):
    if not isinstance(value, str) or not _RATE.fullmatch(value):
        raise ConfigError(f"{key}: expected a rate such as \"30/minute\", got {value!r}")
    return value


def _pins(key, value):
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 53 for p in value)
    ):
        raise ConfigError(f"{key}: expected four GPIO (BCM) pin numbers for ratings 1 to 4, got {value!r}")
    if len(set(value)) != 4:
        raise ConfigError(f"{key}: a pin is listed twice")
    return value


def _languages(key, value):
    if not isinstance(value, list) or not value or any(v not in LANGUAGES for v in value):
        raise ConfigError(f"{key}: expected a list drawn from {', '.join(LANGUAGES)}, got {value!r}")
    return value


def _rotation(key, value):
    if isinstance(value, bool) or value not in (0, 90, 180, 270):
        raise ConfigError(f"{key}: expected 0, 90, 180 or 270 (degrees), got {value!r}")
    return value


#: key -> (default, validator). The order here is the order in README.
SCHEMA = {
    "data_dir": (None, text),
    "host": ("127.0.0.1", text),
    "port": (8000, number(1, 65535, whole=True)),
    "threads": (16, number(8, 256, whole=True)),
    "max_streams": (None, number(1, 252, whole=True)),  # None: threads - 4
    "max_streams_per_client": (2, number(1, 252, whole=True)),
    "allowed_hosts": (["localhost", "127.0.0.1", "::1"], _host_names),
    "screen_clients": (["127.0.0.1", "::1"], _screen_clients),
    "manager_clients": (["127.0.0.1", "::1"], _clients),
    "post_rate_limit": ("30/minute", _rate),
    "language": ("fi", choice(LANGUAGES)),
    "languages": (list(LANGUAGES), _languages),
    "timezone": ("Europe/Helsinki", text),
    "press_interval": (3.0, number(0, 3600)),
    "followup_timeout": (8.0, number(2, 600)),
    "idle_timeout": (30.0, number(5, 3600)),
    "debounce_ms": (50, number(0, 1000, whole=True)),
    "buttons": (True, flag),
    "pin_factory": ("auto", choice(PIN_FACTORIES)),
    "button_pins": ([5, 6, 13, 19], _pins),
    "led_pins": ([12, 16, 20, 21], _pins),
    "led_seconds": (1.0, number(0.01, 10)),
    "clock_trusted": ("auto", choice(CLOCK_TRUST)),
    "busy_timeout_ms": (5000, number(1, 60000, whole=True)),
    "stream_heartbeat": (15.0, number(0.01, 15)),
    "stream_max_age": (55.0, number(0.05, 60)),
    "target": (DEFAULT_TARGET, number(0, 100)),
    "min_responses": (DEFAULT_MIN_RESPONSES, number(1, 1000, whole=True)),
    "sync_in_kiosk": (True, flag),
    "sync_interval": (60.0, number(1, 86400)),
    "sync_batch_size": (500, number(1, 1000, whole=True)),
    "sync_in_flight": (2, number(1, 8, whole=True)),
    "sync_connect_timeout": (5.0, number(0.1, 120)),
    "sync_read_timeout": (30.0, number(0.1, 600)),
    "sync_backoff_base": (5.0, number(0.1, 3600)),
    "sync_backoff_cap": (900.0, number(1, 86400)),
    "ca_bundle": (None, text),
    "sync_stale_after": (3600.0, number(60, 30 * 86400)),
    "retention_days": (60, number(1, 3650, whole=True)),
    "question": ({}, None),  # parsed into a Question
    "reasons": (list(DEFAULT_REASON_KEYS), None),  # parsed into Reasons
    "opening_hours": ({}, None),  # parsed into OpeningHours
    "log_level": ("info", choice(("debug", "info", "warning", "error"))),
    # Unset: stderr only (the journal under systemd). A path: also there, rotated at 10 MB, 5 kept.
    "log_file": (None, text),
    # The touchscreen, turned by `hymy display` in the desktop session: degrees, and the output
    # wlr-randr names (None: the first it lists).
    "display_rotation": (0, _rotation),
    "display_output": (None, text),
}


@dataclass(frozen=True)
class KioskConfig:
    """Validated kiosk settings; see README.md for each key."""

    data_dir: Path
    host: str
    port: int
    threads: int
    max_streams: int
    max_streams_per_client: int
    allowed_hosts: tuple
    screen_clients: tuple  # normal forms, the kiosk's own screen first
    manager_clients: tuple
    post_rate_limit: str
    language: str
    languages: tuple
    timezone: str
    press_interval: float
    followup_timeout: float
    idle_timeout: float
    debounce_ms: int
    buttons: bool
    pin_factory: str
    button_pins: tuple
    led_pins: tuple
    led_seconds: float
    clock_trusted: str
    busy_timeout_ms: int
    stream_heartbeat: float
    stream_max_age: float
    target: float
    min_responses: int
    sync_in_kiosk: bool
    sync_interval: float
    sync_batch_size: int
    sync_in_flight: int
    sync_connect_timeout: float
    sync_read_timeout: float
    sync_backoff_base: float
    sync_backoff_cap: float
    sync_stale_after: float
    ca_bundle: str
    retention_days: int
    question: Question
    reasons: tuple
    opening_hours: OpeningHours
    log_level: str
    log_file: str | None
    display_rotation: int
    display_output: str | None
    source: str  # where the values came from, for messages and `doctor`

    @property
    def database_path(self):
        return self.data_dir / "hymy.sqlite3"


def load_config(path=None, overrides=None, environ=None):
    """Merge defaults, the TOML file at *path* (or ``HYMY_CONFIG``), the
    environment and *overrides*; validate; return a :class:`KioskConfig`."""
    environ = os.environ if environ is None else environ
    path = path or environ.get("HYMY_CONFIG") or None
    values, source = read_values(SCHEMA, path, overrides, environ)
    return _validate(check_values(SCHEMA, values), source)


def _validate(checked, source):
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
