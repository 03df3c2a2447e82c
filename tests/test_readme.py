"""README and docs/ stay true: every config key and command is documented, the
examples are what the kiosk takes and answers, and the two commands are the ones CI runs."""

import json
import re
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import main
from kiosk.config import SCHEMA, load_config
from sync.central.config import SCHEMA as CENTRAL_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
COMMANDS = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
API = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def test_every_config_key_is_in_the_configuration_tables():
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", CONFIGURATION, flags=re.MULTILINE))
    assert set(SCHEMA) <= documented
    assert set(CENTRAL_SCHEMA) <= documented


def test_every_command_is_documented():
    for name, command in main.commands.items():
        assert f"`hymy {name}" in COMMANDS
        for sub in getattr(command, "commands", {}):
            assert f"`hymy {name} {sub}" in COMMANDS or f"/ `{sub}" in COMMANDS
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0


def test_ci_runs_the_readme_test_command():
    assert "    bash tests/run.sh\n" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == [
        "bash tests/run.sh"
    ]


def api_example(after):
    """The indented JSON block that follows the line of docs/api.md starting with *after*."""
    lines = API[API.index(after):].splitlines()[1:]
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
    example = api_example("`GET /healthz`")
    answer = client.get("/healthz").get_json()
    assert set(example) == set(answer)
    assert set(example["database"]) == set(answer["database"])
    assert example["database"]["schema_version"] == answer["database"]["schema_version"]
    assert example["version"] == answer["version"]
    assert set(example["counts"]) == set(answer["counts"])
    assert set(example["sync"]) == set(answer["sync"])
    assert shape(example["counts"]) == shape(answer["counts"])


def documented_answer(after, status):
    """The body docs/api.md's table after the line starting with *after* gives for *status*, as a set of keys."""
    table = API[API.index(after):]
    row = re.search(rf"^\| {status} \| `(\{{.*?\}})` \|", table, flags=re.MULTILINE).group(1)
    return set(re.findall(r'"([a-z_]+)":', row))


def test_the_rating_and_followup_examples_are_accepted_as_documented(client):
    rating = api_example("`POST /api/ratings` — ")
    created = client.post("/api/ratings", json=rating)
    assert created.status_code == 201
    assert set(created.get_json()) == {"id", "filtered", "followup_key"}
    assert documented_answer("`POST /api/ratings` — ", 201) == set(created.get_json())
    followup = api_example("`POST /api/ratings/<id>/followup`")
    rating_id = created.get_json()["id"]
    # As documented, the example answers only with the key from the rating's 201.
    assert set(followup) == {"reason", "comment", "followup_key"}
    refused = client.post(f"/api/ratings/{rating_id}/followup", json=followup)
    assert refused.status_code == 403 and "followup_key" in refused.get_json()["error"]
    followup["followup_key"] = created.get_json()["followup_key"]
    answered = client.post(f"/api/ratings/{rating_id}/followup", json=followup)
    assert answered.status_code == 201
    assert set(answered.get_json()) == {"id", "rating_id"}


def test_the_network_example_is_a_valid_kiosk_config(tmp_path):
    section = API[API.index("## On a network"):]
    example = section[section.index("```toml\n") + len("```toml\n"):section.index("```\n", section.index("```toml"))]
    path = tmp_path / "kiosk.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path, environ={})
    assert config.host == "0.0.0.0" and config.screen_clients[0] == "127.0.0.1"
    assert "192.168.1.31" in config.screen_clients and config.manager_clients == ("127.0.0.1", "::1")
