"""The screen's helpers: ``hymy wait-ready`` before the browser, ``hymy display`` for the touchscreen.

Both talk to a real kiosk over loopback HTTP. ``wlr-randr`` needs a running
Wayland compositor, which this machine has not (no screen), so a stand-in
``wlr-randr`` first on PATH lists two outputs the way the real one does and
records the arguments it is given: that is the whole interface ``hymy display``
uses.
"""
import os
import threading
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.cli.display import Screen, follow
from tests.helpers.live import free_port, wait_for

#: The first line of each output as wlr-randr prints it; its details are indented.
LISTING = 'HDMI-A-1 "Iiyama North America PL2492H (HDMI-A-1)"\\n  Enabled: yes\\n' \
          'DSI-1 "(null) (null) (DSI-1)"\\n  Enabled: yes\\n  Transform: normal\\n'
MONDAY = {"mon": ["08:00-20:00"]}  # the test clock reads Monday 12:00 in Helsinki


@pytest.fixture
def wlr_randr(tmp_path, monkeypatch):
    """The stand-in wlr-randr on PATH; returns a function giving the argument lines it was called with."""
    calls = tmp_path / "wlr-randr.calls"
    stand_in = tmp_path / "bin" / "wlr-randr"
    stand_in.parent.mkdir()
    stand_in.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n[ $# -eq 0 ] && printf \'{LISTING}\'\nexit 0\n')
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    return lambda: calls.read_text().splitlines() if calls.exists() else []


def display(url):
    return CliRunner().invoke(main, ["display", "--url", url])


def test_the_state_says_whether_the_site_is_open_and_how_the_screen_is_turned(make_app, clock):
    client = make_app(opening_hours=MONDAY, display_rotation=90, display_output="DSI-1").test_client()
    assert client.get("/api/state").get_json() == {"paused": False, "open": True,
                                                   "display": {"rotation": 90, "output": "DSI-1"}}
    clock.advance(timedelta(hours=9).total_seconds())  # 21:00 local
    assert client.get("/api/state").get_json()["open"] is False
    clock.set_wall(clock.now(), trusted=False)  # the time of day is not known: the screen stays on
    assert client.get("/api/state").get_json()["open"] is True


@pytest.mark.slow
def test_display_turns_the_screen_on_while_open_and_off_while_closed(make_app, serve, clock, wlr_randr):
    kiosk = serve(make_app(opening_hours=MONDAY, display_rotation=90))
    shown = display(kiosk.url)
    assert shown.exit_code == 0, shown.output
    assert "screen on (HDMI-A-1, rotation 90)" in shown.output
    assert wlr_randr() == ["", "--output HDMI-A-1 --on --transform 90"]

    clock.advance(timedelta(hours=9).total_seconds())
    assert display(kiosk.url).exit_code == 0
    assert wlr_randr()[-1] == "--output HDMI-A-1 --off"


@pytest.mark.slow
def test_display_drives_the_configured_output_and_names_a_missing_one(make_app, serve, wlr_randr):
    assert display(serve(make_app(display_output="DSI-1")).url).exit_code == 0
    assert wlr_randr()[-1] == "--output DSI-1 --on --transform normal"
    missing = display(serve(make_app(display_output="HDMI-A-2")).url)
    assert missing.exit_code == 2
    assert missing.output.strip() == ("hymy: display_output HDMI-A-2: wlr-randr lists no such output "
                                      "(it lists HDMI-A-1, DSI-1)")


@pytest.mark.slow
def test_display_without_a_kiosk_or_without_wlr_randr_is_one_line(make_app, serve, monkeypatch, tmp_path):
    gone = display(f"http://127.0.0.1:{free_port()}")
    assert gone.exit_code == 1 and gone.output.startswith("hymy: the kiosk at http://127.0.0.1:")
    monkeypatch.setenv("PATH", str(tmp_path))  # no wlr-randr anywhere
    missing = display(serve(make_app()).url)
    assert missing.exit_code == 1
    assert missing.output.strip() == "hymy: wlr-randr is not installed: sudo apt install wlr-randr"


@pytest.mark.slow
def test_following_the_kiosk_changes_the_screen_only_when_the_state_changes(make_app, serve, clock, wlr_randr):
    kiosk = serve(make_app(opening_hours=MONDAY))
    stop = threading.Event()
    with requests.Session() as session:
        loop = threading.Thread(target=follow, args=(Screen(), session, kiosk.url, 0.01, stop), daemon=True)
        loop.start()
        try:
            wait_for(lambda: "--output HDMI-A-1 --on --transform normal" in wlr_randr(), message="screen on")
            first = wlr_randr().count("--output HDMI-A-1 --on --transform normal")
            clock.advance(timedelta(hours=9).total_seconds())
            wait_for(lambda: "--output HDMI-A-1 --off" in wlr_randr(), message="screen off after closing")
        finally:
            stop.set()
            loop.join(timeout=10)
    assert first == 1
    assert wlr_randr().count("--output HDMI-A-1 --off") == 1  # many rounds, one change


def test_wait_ready_returns_once_the_kiosk_answers_and_gives_up_in_one_line(make_app, serve):
    kiosk = serve(make_app())
    ready = CliRunner().invoke(main, ["wait-ready", "--url", f"{kiosk.url}/healthz", "--timeout", "5"])
    assert ready.exit_code == 0 and f"the kiosk answers at {kiosk.url}/healthz (HTTP 200)" in ready.output
    url = f"http://127.0.0.1:{free_port()}/healthz"
    gave_up = CliRunner().invoke(main, ["wait-ready", "--url", url, "--timeout", "0"])
    assert gave_up.exit_code == 1
    assert gave_up.output.strip() == (f"hymy: the kiosk did not answer {url} within 0 s (last: ConnectionError); "
                                      "is it running? sudo systemctl status hymy-kiosk")
