"""A kiosk's data dir as a command sees it: what the files hold, and a kiosk started on one."""

import hashlib


def started_kiosk_dir(tmp_path, ratings=1):
    """A data dir a kiosk has used: its id and its database, with *ratings* ratings."""
    data = tmp_path / "kiosk"
    from kiosk.cli.kiosk_commands import build_app, ready_config

    app = build_app(ready_config(overrides={"data_dir": str(data), "pin_factory": "mock"}))
    try:
        for _ in range(ratings):
            assert app.test_client().post("/api/ratings", json={"rating": 4}).status_code == 201
    finally:
        app.extensions["hymy"].close()
    return data


def snapshot(directory):
    """Every file under *directory* with its content's hash and modification time."""
    return {path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
            for path in sorted(directory.iterdir())}
