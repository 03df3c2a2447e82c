"""Central server configuration: defaults, one TOML file, environment.

Each key is declared once, as a field of :class:`CentralConfig`; docs/configuration.md's table
is generated from it. ``DATABASE_URL`` in the
environment overrides ``database_url``, as most hosting platforms set it.
"""
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from sync.common.config import check_values, choice, flag, number, read_values, text
from sync.common.settings import schema_of, setting
from sync.wire.errors import ConfigError


@dataclass(frozen=True)
class CentralConfig:
    """Validated central settings: each field declares one key, with its default, its check and the
    sentence that documents it (``docs/configuration.md`` is written from these)."""

    data_dir: Path = setting(
        None,
        text,
        "where the default SQLite database lives",
        shown_default="the user's data dir (`~/.local/share/hymy-central`)",
    )
    database_url: str = setting(
        None,
        text,
        "`sqlite:///PATH`, or `postgresql://USER:PASSWORD@HOST:PORT/NAME` for fleets",
        shown_default="`sqlite:///<data_dir>/central.sqlite3`",
    )
    host: str = setting("127.0.0.1", text, "address gunicorn binds")
    port: int = setting(8100, number(1, 65535, whole=True), "its port")
    workers: int = setting(2, number(1, 64, whole=True), "gunicorn worker processes")
    threads: int = setting(4, number(1, 64, whole=True), "threads per worker")
    max_connections: int = setting(8, number(1, 200, whole=True), "PostgreSQL connection pool size per worker")
    comment_retention_days: int = setting(
        365,
        number(1, 36500, whole=True),
        "comments older than this are blanked by `hymy central prune`",
    )
    busy_timeout_ms: int = setting(5000, number(1, 60000, whole=True), "SQLite lock wait")
    log_level: str = setting(
        "info",
        choice(("debug", "info", "warning", "error")),
        "`debug`, `info`, `warning` or `error`",
    )
    log_file: str | None = setting(
        None,
        text,
        (
            "also write the log (requests included, with their query strings) to this file, rotated at 10 MB "
            "with 5 old files kept, each created 0600 whatever the umask (one an older version left readable "
            "is narrowed at start)"
        ),
        shown_default="unset: stderr only",
    )
    secret_key: str | None = setting(
        None,
        text,
        "signs head office's session cookies; the same on every worker and host",
        shown_default="unset: a key made once and kept in the database",
    )
    session_minutes: int = setting(
        480,
        number(5, 10080, whole=True),
        (
            "a head-office login ends after this many minutes without a request (on every worker; the last "
            "use is written at most once a minute)"
        ),
    )
    secure_cookies: bool = setting(
        True,
        flag,
        (
            "the session cookie's Secure flag; turn off only for a central reached over plain HTTP on "
            "loopback (the demo does)"
        ),
    )
    smtp_host: str | None = setting(None, text, "the mail server for alerts and digests (unset: no email is sent)")
    smtp_port: int = setting(587, number(1, 65535, whole=True), "its port")
    smtp_user: str | None = setting(None, text, "its login name, if it asks for one")
    smtp_password: str | None = setting(
        None,
        text,
        "and password (keep the config file private, or set `HYMY_CENTRAL_SMTP_PASSWORD`)",
    )
    smtp_from: str = setting("hymy@localhost", text, "the sender of alerts and digests")
    smtp_starttls: bool = setting(True, flag, "upgrade the connection with STARTTLS, certificate verified")
    webhook_allow_http: bool = setting(False, flag, "let a webhook URL be plain `http://` (otherwise only `https://`)")
    webhook_allow_private: bool = setting(
        False,
        flag,
        (
            "let a webhook go to a loopback, private, link-local or otherwise non-public address (a receiver "
            "on central's own network); see [Alerts](alerts.md)"
        ),
    )
    proxy_hops: int = setting(
        0,
        number(0, 5, whole=True),
        (
            "how many reverse proxies in front of central set `X-Forwarded-For`, `-Proto` and `-Host` (0–5); "
            "central trusts exactly that many, so the login limit per address counts the client's address, "
            "not the proxy's, and HTTPS at the proxy gets HSTS: `1` behind nginx or Caddy on the same host "
            "(see [Behind a reverse proxy with TLS](operations.md#behind-a-reverse-proxy-with-tls)); "
            "keep `0` when clients reach gunicorn directly, or any of them could name any address"
        ),
    )
    #: Where the values came from, for messages (set by the loader; the default only keeps the fields
    #: without a default ahead of it, as dataclasses ask).
    source: str = "defaults"


#: key -> (default, check), derived from :class:`CentralConfig`.
SCHEMA = schema_of(CentralConfig)


def load_central_config(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> CentralConfig:
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
