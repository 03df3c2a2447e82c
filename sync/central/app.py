"""The central server's application factory."""
import logging
from dataclasses import dataclass

import peewee
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..common.clock import SystemClock
from ..protocol import MAX_BODY_BYTES
from . import db, export, ingest, kiosk_api, openapi
from .body import TOO_LARGE
from .config import CentralConfig, load_central_config

log = logging.getLogger(__name__)


@dataclass
class Central:
    """The parts of a running central app, on ``app.extensions["hymy_central"]``."""

    config: CentralConfig
    clock: object


def create_central_app(config=None, *, config_path=None, clock=None):
    """Build the central app.

    :param config: a :class:`CentralConfig` or a mapping of overrides.
    :param clock: anything with ``now()`` (tests pin receive times with it).
    """
    if not isinstance(config, CentralConfig):
        config = load_central_config(config_path, overrides=config)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    app.extensions["hymy_central"] = Central(config, clock or SystemClock("always"))
    db.open_central_database(config.database_url, config.max_connections, config.busy_timeout_ms)

    @app.before_request
    def _connect():
        db.central_db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        # PostgreSQL connections go back to the pool. A SQLite connection stays
        # with its thread for the next request: closing one costs more than a
        # whole batch's inserts (each server thread keeps one open file).
        if not db.central_db.is_closed() and not isinstance(db.central_db.obj, peewee.SqliteDatabase):
            db.central_db.close()

    for blueprint in (ingest.bp, kiosk_api.bp, export.bp, openapi.bp):
        app.register_blueprint(blueprint)
    _json_errors(app)
    return app


def _json_errors(app):
    @app.errorhandler(HTTPException)
    def _http_error(error):
        # Werkzeug's own descriptions are prose for browsers; ours say what to fix.
        friendly = {413: TOO_LARGE, 415: "send the body as application/json"}
        own = error.description != type(error).description
        message = error.description if own else friendly.get(error.code, error.description)
        response = jsonify(error=message, status=error.code)
        response.status_code = error.code
        # The error's own headers stay: Allow on a 405 (RFC 9110 requires it), WWW-Authenticate on a 401.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        if error.code == 401 and "WWW-Authenticate" not in response.headers:
            response.headers["WWW-Authenticate"] = 'Bearer realm="hymy"'
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error="internal error; the server logged the detail", status=500), 500
