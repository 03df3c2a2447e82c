"""Run the central app under gunicorn (Linux's production WSGI server)."""
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from sync.common.logs import logging_dict

if TYPE_CHECKING:
    from flask import Flask

    from sync.central.config import CentralConfig


class CentralServer(BaseApplication):
    """gunicorn with options from Hymy's config instead of gunicorn's command line."""

    def __init__(self, config_path: str | None, options: dict[str, Any]) -> None:
        self.config_path = config_path
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> "Flask":
        from sync.central.app import create_central_app

        return create_central_app(config_path=self.config_path)


def gunicorn_logging(log_level: str, log_file: str | None = None) -> dict[str, Any]:
    """gunicorn's and the app's logs as logfmt lines (sync/common/logs.py), one per request too."""
    return logging_dict(log_level, log_file, loggers={"gunicorn.error": log_level, "gunicorn.access": "info"})


def run_gunicorn(config_path: str | None, config: "CentralConfig", host: str, port: int, workers: int) -> None:
    CentralServer(config_path, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": config.threads,
        "worker_class": "gthread",
        "loglevel": config.log_level,
        "accesslog": "-",
        # One request, one line: the client, the request line, the status, the size, the time taken.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(M)sms',
        "logconfig_dict": gunicorn_logging(config.log_level, config.log_file),
        "timeout": 60,
        # The web tier keeps no state: any worker, process or host may answer any request.
        "preload_app": False,
    }).run()

