"""Central server configuration: defaults, one TOML file, environment.

Keys are documented in README ("Central server"). ``DATABASE_URL`` in the
environment overrides ``database_url``, as most hosting platforms set it.
"""
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from sync.common.config import check_values, choice, flag, number, read_values, text
from sync.wire.errors import ConfigError

SCHEMA = {
    "data_dir": (None, text),
    "database_url": (None, text),
    "host": ("127.0.0.1", text),
    "port": (8100, number(1, 65535, whole=True)),
    "workers": (2, number(1, 64, whole=True)),
    "threads": (4, number(1, 64, whole=True)),
    "max_connections": (8, number(1, 200, whole=True)),
    "comment_retention_days": (365, number(1, 36500, whole=True)),
    "busy_timeout_ms": (5000, number(1, 60000, whole=True)),
    "log_level": ("info", choice(("debug", "info", "warning", "error"))),
    # Unset: stderr only (the journal under systemd). A path: also there, rotated at 10 MB, 5 kept.
    "log_file": (None, text),
    # Head office's browser sessions: the signing key (default: one made once and kept in the
    # database, shared by every worker and host), idle minutes before a login ends, and the
    # cookie's Secure flag (off only for a central reached over plain HTTP, like the demo's).
    "secret_key": (None, text),
    "session_minutes": (480, number(5, 10080, whole=True)),
    "secure_cookies": (True, flag),
    "smtp_host": (None, text),
    "smtp_port": (587, number(1, 65535, whole=True)),
    "smtp_user": (None, text),
    "smtp_password": (None, text),
    "smtp_from": ("hymy@localhost", text),
    "smtp_starttls": (True, flag),
    # Where webhooks may go: https only, and only to public addresses, unless these say otherwise
    # (a receiver on the central's own network, or plain http on loopback as the tests' receivers).
    "webhook_allow_http": (False, flag),
    "webhook_allow_private": (False, flag),
    # Reverse proxies in front of central that set X-Forwarded-For/-Proto (nginx, Caddy, a load
    # balancer): the login limit per address must count the client's address, not the proxy's.
    "proxy_hops": (0, number(0, 5, whole=True)),
}


@dataclass(frozen=True)
class CentralConfig:
    data_dir: Path
    database_url: str
    host: str
    port: int
    workers: int
    threads: int
    max_connections: int
    comment_retention_days: int
    busy_timeout_ms: int
    log_level: str
    log_file: str | None
    secret_key: str | None
    session_minutes: int
    secure_cookies: bool
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_from: str
    smtp_starttls: bool
    webhook_allow_http: bool
    webhook_allow_private: bool
    proxy_hops: int
    source: str


def load_central_config(path=None, overrides=None, environ=None):
    """Validated :class:`CentralConfig` from defaults, file, environment, overrides."""
    environ = os.environ if environ is None else environ
    path = path or environ.get("HYMY_CENTRAL_CONFIG") or None
    environ = dict(environ)
    if environ.get("DATABASE_URL"):
        environ.setdefault("HYMY_CENTRAL_DATABASE_URL", environ["DATABASE_URL"])
    values, source = read_values(SCHEMA, path, overrides, environ, prefix="HYMY_CENTRAL_")
    checked = check_values(SCHEMA, values)
    data_dir = Path(checked["data_dir"] or platformdirs.user_data_dir("hymy-central", appauthor=False)).expanduser()
    url = checked["database_url"] or f"sqlite:///{data_dir / 'central.sqlite3'}"
    if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError("database_url: expected sqlite:///PATH or postgresql://USER@HOST/NAME")
    checked.update(data_dir=data_dir, database_url=url, source=source)
    return CentralConfig(**checked)
