"""Logs: one logfmt line per event, whatever the message holds; a rotating file only when asked."""
import io
import logging
import os
import re
import shlex

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.cli.central_serve import gunicorn_logging
from sync.common.logs import LogfmtFormatter, configure_logging, logfmt_value

LINE = re.compile(r'^(?:[a-z_]+=(?:"(?:[^"\\]|\\.)*"|[^ "=\\]+) ?)+$')


def parse(line):
    """A logfmt line as a dict (shlex reads the double-quoted values with their escapes)."""
    assert LINE.match(line), line
    return dict(part.split("=", 1) for part in shlex.split(line))


def record(message, *args, exc_info=None, **extra):
    return logging.makeLogRecord({"name": "kiosk.recorder", "levelname": "WARNING", "levelno": 30, "msg": message,
                                  "args": args, "exc_info": exc_info, **extra})


def test_a_record_is_one_line_of_keys_and_values():
    line = LogfmtFormatter().format(record("stored %s", 4, kiosk="k-1"))
    fields = parse(line)
    assert fields["level"] == "warning" and fields["logger"] == "kiosk.recorder"
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
