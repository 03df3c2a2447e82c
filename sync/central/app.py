"""The central server's application factory."""
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import peewee
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from sync.central import web
from sync.central.config import CentralConfig, load_central_config
from sync.central.ingest import batch as ingest
from sync.central.reports import export
from sync.central.resources import STATIC_DIR
from sync.central.store import db
from sync.central.web import headers as security_headers
from sync.central.web import kiosk_api, openapi
from sync.common.clock import Clock, SystemClock
from sync.common.web import answer_errors_as_json
from sync.wire.protocol import MAX_BODY_BYTES

log = logging.getLogger(__name__)


@dataclass
class Central:
    """The parts of a running central app, on ``app.extensions["hymy_central"]``."""

    config: CentralConfig
    clock: Clock


def create_central_app(
    config: CentralConfig | Mapping[str, Any] | None = None,
    *,
    config_path: str | os.PathLike[str] | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the central app.

    :param config: a :class:`CentralConfig` or a mapping of overrides.
    :param clock: anything with ``now()`` (tests pin receive times with it).
    """
    if not isinstance(config, CentralConfig):
        config = load_central_config(config_path, overrides=config)
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False
    app.extensions["hymy_central"] = Central(config, clock or SystemClock("always"))
    db.open_central_database(config.database_url, config.max_connections, config.busy_timeout_ms)

    @app.before_request
    def _connect() -> None:
        db.central_db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        # PostgreSQL connections go back to the pool. A SQLite connection stays
        # with its thread for the next request: closing one costs more than a
        # whole batch's inserts (each server thread keeps one open file).
        if not db.central_db.is_closed() and not isinstance(db.central_db.obj, peewee.SqliteDatabase):
            db.central_db.close()

    for blueprint in (ingest.bp, kiosk_api.bp, export.bp, openapi.bp):
        app.register_blueprint(blueprint)
    web.init_app(app)
    security_headers.init_app(app)  # on the APIs' answers too, not only the pages'
    # A browser gets a page for an address that matches nothing or an unexpected error; the APIs, JSON.
    answer_errors_as_json(app, MAX_BODY_BYTES, wants_json=web.errors.wants_json, page=web.errors.html_error)
    if config.proxy_hops:
        # Trust exactly that many proxies' X-Forwarded-* headers, no more: a client could
        # otherwise name any address and slip past the login limit per address.
        # Wrapping wsgi_app is werkzeug's documented way to add a middleware.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops, x_host=config.proxy_hops
        )
    return app
