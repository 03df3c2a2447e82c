"""Config: defaults, one TOML file, environment overrides, one clear line when wrong."""

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.config import load_config
from sync.wire.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "hymy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file():
    config = load_config(environ={})
    assert (config.host, config.port, config.threads) == ("127.0.0.1", 8000, 16)
    assert (config.press_interval, config.followup_timeout, config.debounce_ms) == (3.0, 8.0, 50)
    assert config.language == "fi" and config.timezone == "Europe/Helsinki"
    assert config.opening_hours.always_open
    assert [r.key for r in config.reasons][0] == "outcome"
    assert config.data_dir.name == "hymy"


def test_file_then_environment_then_overrides(tmp_path):
    path = write(tmp_path, 'port = 9000\nlanguage = "sv"\npress_interval = 5\n[question]\nid = "visit"\nversion = 3\n')
    config = load_config(path, environ={"HYMY_PORT": "9100", "HYMY_DATA_DIR": str(tmp_path / "d")})
    assert (config.port, config.language, config.press_interval) == (9100, "sv", 5.0)
    assert (config.question.id, config.question.version) == ("visit", 3)
    assert config.data_dir == tmp_path / "d"
    assert load_config(path, overrides={"port": 9200}, environ={"HYMY_PORT": "9100"}).port == 9200


def test_config_path_from_environment(tmp_path):
    path = write(tmp_path, "port = 9001\n")
    assert load_config(environ={"HYMY_CONFIG": str(path)}).port == 9001


def test_reasons_can_be_dropped_and_reordered(tmp_path):
    config = load_config(write(tmp_path, 'reasons = ["waiting", "outcome", "staff"]\n'), environ={})
    assert [(r.key, r.group, r.dimension) for r in config.reasons] == [
        ("waiting", "accessibility", "functional"),
        ("outcome", "outcome", "technical"),
        ("staff", "attitude", "functional"),
    ]


@pytest.mark.parametrize(
    "text, key",
    [
        ("port = 0\n", "port"),
        ('port = "eighty"\n', "port"),
        ("threads = 2\n", "threads"),
        ('language = "de"\n', "language"),
        ('timezone = "Mars/Olympus"\n', "timezone"),
        ("press_interval = -1\n", "press_interval"),
        ("followup_timeout = true\n", "followup_timeout"),
        ("button_pins = [1, 2, 3]\n", "button_pins"),
        ("led_pins = [5, 16, 20, 21]\n", "led_pins"),
        ('pin_factory = "gpio9000"\n', "pin_factory"),
        ('reasons = ["staff", "vibes"]\n', "reasons"),
        ('[opening_hours]\nmonday = ["08:00-16:00"]\n', "opening_hours.monday"),
        ('[opening_hours]\nmon = ["8-16"]\n', "opening_hours.mon"),
        ('[opening_hours]\nmon = ["08:00-25:00"]\n', "opening_hours.mon"),
        ("[question]\nversion = 0\n", "question.version"),
        ("pres_interval = 3\n", "pres_interval"),
        ("port = \n", "hymy.toml"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, text), environ={})
    message = str(raised.value)
    assert key in message and "\n" not in message


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml", environ={})


@pytest.mark.parametrize(
    "text",
    ["port = 0\n", "port = \n", '[opening_hours]\nmon = ["nine to five"]\n'],
)
def test_kiosk_command_reports_bad_config_in_one_line_with_exit_2(tmp_path, text):
    result = CliRunner().invoke(main, ["kiosk", "--config", str(write(tmp_path, text))])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hymy: config: ")
    assert "Traceback" not in result.output


def test_bad_environment_value_is_one_line_with_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["kiosk"], env={"HYMY_PORT": "http", "HYMY_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert result.output.strip() == "hymy: config: port: expected a whole number between 1 and 65535, got 'http'"


def test_unusable_data_dir_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(
        main, ["kiosk"], env={"HYMY_DATA_DIR": str(blocker / "data"), "HYMY_PIN_FACTORY": "mock"}
    )
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("hymy: ")
