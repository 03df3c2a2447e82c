"""README stays true: every config key and command is documented, and the
two commands are the ones CI runs."""

import re
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import main
from kiosk.config import SCHEMA
from sync.central.config import SCHEMA as CENTRAL_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_in_the_readme_table():
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", README, flags=re.MULTILINE))
    assert set(SCHEMA) <= documented
    assert set(CENTRAL_SCHEMA) <= documented


def test_every_command_is_documented():
    for name, command in main.commands.items():
        assert f"`hymy {name}" in README
        for sub in getattr(command, "commands", {}):
            assert f"`hymy {name} {sub}" in README or f"/ `{sub}" in README
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0


def test_ci_runs_the_readme_test_command():
    assert "    bash tests/run.sh\n" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == [
        "bash tests/run.sh"
    ]
