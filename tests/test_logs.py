"""Logs: one logfmt line per event, whatever the message holds; a rotating file only when asked."""
import io
import logging
import os
import re
import shlex
import stat

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from sync.central.cli.serve import gunicorn_logging
from sync.common.logs import (
    LogfmtFormatter,
    PrivateRotatingFileHandler,
    check_log_file,
    configure_logging,
    logfmt_value,
)

LINE = re.compile(r'^(?:[a-z_]+=(?:"(?:[^"\\]|\\.)*"|[^ "=\\]+) ?)+$')


def parse(line):
    """A logfmt line as a dict (shlex reads the double-quoted values with their escapes)."""
    assert LINE.match(line), line
    return dict(part.split("=", 1) for part in shlex.split(line))


def record(message, *args, exc_info=None, **extra):
    return logging.makeLogRecord({"name": "kiosk.storage.recorder", "levelname": "WARNING", "levelno": 30,
                                  "msg": message,
                                  "args": args, "exc_info": exc_info, **extra})


def test_a_record_is_one_line_of_keys_and_values():
    line = LogfmtFormatter().format(record("stored %s", 4, kiosk="k-1"))
    fields = parse(line)
    assert fields["level"] == "warning" and fields["logger"] == "kiosk.storage.recorder"
    assert fields["msg"] == "stored 4" and fields["kiosk"] == "k-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields["time"])


@pytest.mark.parametrize("text", ['say "hi"', "a=b", "two\nlines", "tab\there", "back\\slash", "", "nul\x00",
                                  "rtl\u202eevil", "ä ö å"])
def test_hostile_text_stays_on_one_line_and_quoted(text):
    line = LogfmtFormatter().format(record("%s", text))
    assert "\n" not in line and "\r" not in line and "\x00" not in line and "\u202e" not in line
    assert LINE.match(line), line


def test_a_traceback_is_one_escaped_value():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        import sys

        line = LogfmtFormatter().format(record("failed", exc_info=sys.exc_info()))
    assert "\n" not in line
    assert "Traceback" in parse(line)["exc"] and "ValueError: boom" in parse(line)["exc"]


def test_bare_values_need_no_quotes():
    assert logfmt_value("checkout") == "checkout" and logfmt_value(42) == "42"
    assert logfmt_value("two words") == '"two words"'


def test_stderr_only_unless_a_log_file_is_set_then_it_rotates(tmp_path):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("info", stream=stream)
        logging.getLogger("hymy.test").info("hello %s", "there")
        assert parse(stream.getvalue().strip())["msg"] == "hello there"
        assert not any(isinstance(h, logging.FileHandler) for h in root.handlers)
        log_file = tmp_path / "hymy.log"
        configure_logging("info", log_file, stream=io.StringIO())
        (handler,) = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
        assert handler.maxBytes == 10 * 1024 * 1024 and handler.backupCount == 5
        logging.getLogger("hymy.test").warning("to the file")
        handler.flush()
        assert parse(log_file.read_text(encoding="utf-8").strip())["msg"] == "to the file"
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = saved


def test_gunicorn_logs_through_the_same_formatter(tmp_path):
    config = gunicorn_logging("warning", str(tmp_path / "central.log"))
    assert config["formatters"]["logfmt"]["()"] is LogfmtFormatter
    assert set(config["loggers"]["gunicorn.access"]["handlers"]) == {"stderr", "file"}
    assert config["root"]["level"] == "WARNING"
    assert "file" not in gunicorn_logging("info")["handlers"]


@pytest.mark.parametrize("args, variable", [
    (["kiosk", "--port", "8765"], "HYMY_LOG_FILE"),
    (["sync", "--loop"], "HYMY_LOG_FILE"),
    (["central", "worker"], "HYMY_CENTRAL_LOG_FILE"),
    (["central", "serve", "--port", "8766"], "HYMY_CENTRAL_LOG_FILE"),
])
def test_a_log_file_that_cannot_be_written_is_one_config_line(tmp_path, args, variable):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    log_file = tmp_path / "no-such-dir" / "hymy.log"
    environ = {name: None for name in os.environ if name.startswith("HYMY_")}
    environ.update({variable: str(log_file), "HYMY_DATA_DIR": str(tmp_path / "kiosk"), "HYMY_PIN_FACTORY": "mock",
                    "HYMY_CENTRAL_DATA_DIR": str(tmp_path / "central")})
    try:
        result = CliRunner().invoke(main, args, env=environ)
    finally:
        root.handlers[:], root.level = saved
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0] == (f"hymy: config: log_file {log_file}: No such file or directory; choose a file this user may "
                        "write, or leave log_file unset (the journal keeps stderr)")


@pytest.fixture
def umask_000():
    """The widest umask: what a file is created with is then exactly the mode asked for."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_log_files_and_rotated_ones_are_created_private_under_any_umask(tmp_path, umask_000):
    log_file = tmp_path / "hymy.log"
    check_log_file(log_file)  # the commands' check creates it first
    assert _mode(log_file) == 0o600
    handler = PrivateRotatingFileHandler(log_file, maxBytes=200, backupCount=3, encoding="utf-8")
    handler.setFormatter(LogfmtFormatter())
    try:
        for n in range(40):  # some 4,000 bytes through a 200-byte file: many rollovers, 3 kept
            handler.emit(record("request GET /overview?site=%s&lang=fi", n))
    finally:
        handler.close()
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == ["hymy.log", "hymy.log.1", "hymy.log.2", "hymy.log.3"]
    assert {name: _mode(tmp_path / name) for name in files} == dict.fromkeys(files, 0o600)
    assert "site=39" in log_file.read_text(encoding="utf-8")


def test_log_files_an_older_version_left_readable_are_narrowed(tmp_path, umask_000):
    log_file = tmp_path / "central.log"
    for path in (log_file, tmp_path / "central.log.1", tmp_path / "central.log.5"):
        path.write_text("old line\n", encoding="utf-8")
        path.chmod(0o644)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("info", log_file, stream=io.StringIO())
        (handler,) = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
        assert isinstance(handler, PrivateRotatingFileHandler)
        logging.getLogger("hymy.test").warning("after the upgrade")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = saved
    assert {path.name: _mode(path) for path in tmp_path.iterdir()} == {
        "central.log": 0o600, "central.log.1": 0o600, "central.log.5": 0o600}
    assert log_file.read_text(encoding="utf-8").startswith("old line\n")
