"""``hymy enroll URL`` takes the kiosk token where no other user of the machine can read it: a hidden
prompt in a terminal, or standard input from a script. The token as an argument still works, with a
warning that it shows in ``ps`` and in the shell's history."""
import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.cli.sync_commands import TOKEN_IN_ARGV
from kiosk.storage.enrollment import ENROLLMENT_FILE

ROOT = Path(__file__).resolve().parents[2]


def cli(args, env, input=None):
    return CliRunner().invoke(main, args, env=env, input=input, catch_exceptions=False)


def enrollment(world):
    return world.config.data_dir / ENROLLMENT_FILE


def test_the_token_on_standard_input_enrolls_without_a_warning(make_world):
    world = make_world(enroll=False)
    result = cli(["enroll", world.central_url], world.kiosk_env, input=f"{world.token}\n")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith("enrolled as kiosk 'kamppi-1'")
    assert world.token in enrollment(world).read_text()


def test_the_token_as_an_argument_still_works_and_warns(make_world):
    world = make_world(enroll=False)
    result = cli(["enroll", world.central_url, world.token], world.kiosk_env)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [TOKEN_IN_ARGV]
    assert "shows in ps" in TOKEN_IN_ARGV and "history" in TOKEN_IN_ARGV
    assert result.stdout.startswith("enrolled as kiosk 'kamppi-1'")


@pytest.mark.parametrize("given", ["", "\n", "   \n", "x" * 5000 + "\n"])
def test_no_token_or_no_plausible_one_is_one_line_and_nothing_is_enrolled(make_world, given):
    world = make_world(enroll=False)
    result = cli(["enroll", world.central_url], world.kiosk_env, input=given)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("hymy: ") and "token" in line
    assert not enrollment(world).exists()


def test_a_bad_url_is_refused_before_the_token_is_asked(make_world):
    world = make_world(enroll=False)
    result = cli(["enroll", "ftp://central.example/"], world.kiosk_env, input=f"{world.token}\n")
    assert result.exit_code == 2
    assert result.output.strip() == "hymy: URL: expected https://central.example/"


class Terminal:
    """A pseudo-terminal a command runs in as its controlling terminal, as in an ssh session."""

    def __init__(self, args, env):
        self.master, slave = pty.openpty()
        self.seen = b""
        self.process = subprocess.Popen(
            args, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))  # getpass reads /dev/tty
        os.close(slave)

    def wait_for(self, text, timeout=30):
        """Read what the terminal shows until *text* appears."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never appeared; the terminal showed {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the command ended and closed the terminal
                    chunk = b""
                assert chunk, f"the terminal closed before {text!r}; it showed {self.seen!r}"
                self.seen += chunk

    def type(self, text):
        os.write(self.master, text.encode())

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.master)


@pytest.mark.slow
def test_in_a_terminal_the_token_is_asked_for_and_never_shown(make_world):
    world = make_world(enroll=False)
    env = {key: value for key, value in os.environ.items() if not key.startswith("HYMY_")}
    env.update({key: value for key, value in world.kiosk_env.items() if value is not None})
    env["PYTHONPATH"] = str(ROOT)
    terminal = Terminal([sys.executable, "-m", "kiosk.cli", "enroll", world.central_url], env)
    try:
        terminal.wait_for("Kiosk token (from hymy central add-kiosk): ")
        terminal.type(world.token + "\n")
        terminal.wait_for("enrolled as kiosk 'kamppi-1'")
        assert terminal.process.wait(timeout=30) == 0
    finally:
        terminal.close()
    assert world.token.encode() not in terminal.seen  # typed with echo off
    assert b"warning" not in terminal.seen
    assert world.token in enrollment(world).read_text()
