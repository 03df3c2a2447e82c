"""README stays true: every config key and command is documented, and the
two commands are the ones CI runs."""

import json
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


def readme_example(after):
    """The indented JSON block that follows the README line starting with *after*."""
    lines = README[README.index(after):].splitlines()[1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("    "))
    block = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line)
    value, _ = json.JSONDecoder().raw_decode("\n".join(block).strip())  # a note may follow the JSON
    return value


def shape(value):
    """The keys of *value* at every depth (JSON objects), with the type of each leaf."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__ if value is not None else "null"


def test_the_healthz_example_is_what_the_kiosk_answers(client):
    example = readme_example("`GET /healthz`")
    answer = client.get("/healthz").get_json()
    assert set(example) == set(answer)
    assert set(example["database"]) == set(answer["database"])
    assert example["database"]["schema_version"] == answer["database"]["schema_version"]
    assert example["version"] == answer["version"]
    assert set(example["counts"]) == set(answer["counts"])
    assert set(example["sync"]) == set(answer["sync"])
    assert shape(example["counts"]) == shape(answer["counts"])


def test_the_rating_and_followup_examples_are_accepted_as_documented(client):
    rating = readme_example("`POST /api/ratings` — ")
    created = client.post("/api/ratings", json=rating)
    assert created.status_code == 201
    assert set(created.get_json()) == {"id", "filtered"}
    followup = readme_example("`POST /api/ratings/<id>/followup`")
    answered = client.post(f"/api/ratings/{created.get_json()['id']}/followup", json=followup)
    assert answered.status_code == 201
    assert set(answered.get_json()) == {"id", "rating_id"}
