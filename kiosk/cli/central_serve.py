"""Run the central app under gunicorn (Linux's production WSGI server)."""
from gunicorn.app.base import BaseApplication


class CentralServer(BaseApplication):
    """gunicorn with options from Hymy's config instead of gunicorn's command line."""

    def __init__(self, config_path, options):
        self.config_path = config_path
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from sync.central.app import create_central_app

        return create_central_app(config_path=self.config_path)


def run_gunicorn(config_path, host, port, workers, threads, log_level):
    CentralServer(config_path, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "loglevel": log_level,
        "accesslog": "-",
        "timeout": 60,
        # The web tier keeps no state: any worker, process or host may answer any request.
        "preload_app": False,
    }).run()

