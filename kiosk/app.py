"""The kiosk application factory.

``create_app(config)`` builds one kiosk: configuration, the local database,
the recorder, the screen, the HTTP API, the manager's screens (each answering
only the client addresses listed for it, and guarded further when the kiosk
listens beyond loopback) and the physical buttons, each wired by its own
``init_app`` in the order of the data path.

Every form is CSRF-protected (Flask-WTF). The customer's JSON API is exempt
and keeps its contract: it takes only ``application/json`` bodies, which
another site's page cannot post without a CORS preflight this kiosk never grants.
"""
import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFProtect

from kiosk.buttons import panel as buttons
from kiosk.config import KioskConfig, load_config
from kiosk.manager import views as manager
from kiosk.resources import CHECKOUT_TEMPLATES, PACKAGE_DIR, STATIC_DIR, TEMPLATE_FOLDERS
from kiosk.screen import api
from kiosk.screen import views as screen
from kiosk.screen.api import MAX_BODY_BYTES
from kiosk.screen.events import Broadcaster
from kiosk.storage import db, hourly
from kiosk.storage.content import Content
from kiosk.storage.content_store import ContentStore
from kiosk.storage.followup_keys import FollowupKeys
from kiosk.storage.identity import kiosk_id
from kiosk.storage.recorder import Recorder
from kiosk.web import i18n, lan_guard
from kiosk.web.parts import KioskParts
from sync.common.clock import Clock, SystemClock
from sync.common.templates import part_templates

log = logging.getLogger(__name__)


def create_app(
    config: KioskConfig | Mapping[str, Any] | None = None,
    *,
    config_path: str | os.PathLike[str] | None = None,
    clock: Clock | None = None,
    pin_factory: Any = None,
) -> Flask:
    """Build a kiosk app.

    :param config: a :class:`KioskConfig`, or a mapping of keys that override
        the defaults, the config file and the environment (tests use this).
    :param config_path: TOML file; defaults to ``HYMY_CONFIG`` if set.
    :param clock: a clock object; the system clock by default.
    :param pin_factory: a gpiozero pin factory; otherwise chosen from config.
    """
    if not isinstance(config, KioskConfig):
        config = load_config(config_path, overrides=config)
    app = Flask(__name__, template_folder=None, static_folder=str(STATIC_DIR))
    app.jinja_loader = part_templates(PACKAGE_DIR, CHECKOUT_TEMPLATES, TEMPLATE_FOLDERS)
    app.config["HYMY"] = config
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False

    clock = clock or SystemClock(config.clock_trusted)
    db.init_app(app)
    events = Broadcaster(max_subscribers=config.max_streams, max_per_client=config.max_streams_per_client,
                         own_screen=config.screen_clients[0])
    followup_keys = FollowupKeys.load(config.data_dir)
    recorder = Recorder(
        clock,
        kiosk_id(config.data_dir),
        ContentStore(Content.from_config(config), config.data_dir),
        press_interval=config.press_interval,
        on_recorded=[lambda recorded: events.publish(screen.screen_event(recorded, followup_keys))],
        languages=config.languages,
    )
    kiosk = app.extensions["hymy"] = KioskParts(config, clock, recorder.kiosk_id, recorder, events, followup_keys)
    kiosk.closers.append(db.close_database)
    with db.connection():  # the first start after the upgrade that added the hourly counts
        hourly.backfill(recorder.content_store.current().opening_hours.zone)

    i18n.init_app(app)
    screen.init_app(app)
    api.init_app(app)
    manager.init_app(app)
    lan_guard.init_app(app)  # first of the request checks: who asks, before what they send
    CSRFProtect(app).exempt(api.bp)
    buttons.init_app(app, pin_factory=pin_factory)
    return app
