"""Schemathesis fuzzes a live central from outside with its own OpenAPI document.

For each backend (the ``central`` fixture: SQLite and PostgreSQL) the
schemathesis CLI runs as a subprocess against ``/api/v1/openapi.json``: once
with a kiosk token for the kiosk operations, once with a head-office user's
token for the export. 50 examples per operation (plus schemathesis' coverage
cases), every check on but those named in EXCLUDED_CHECKS. Any 5xx or
conformance failure fails the test; the number of cases run is printed.
tests/helpers/schemathesis_hooks.py keeps the two cross-field rules that no
schema can state (the enrolled device's id, the export's date order).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
HOOKS = Path(__file__).resolve().parents[1] / "helpers" / "schemathesis_hooks.py"
KIOSK_OPERATIONS = ("/api/v1/enroll", "/api/v1/batches", "/api/v1/heartbeat", "/api/v1/config")
EXPORT = "/api/v1/ratings"
#: Examples per operation, and a fixed seed so the suite is repeatable; for a deeper search
#: run with HYMY_SCHEMATHESIS_EXAMPLES=500 HYMY_SCHEMATHESIS_SEED=random.
EXAMPLES = int(os.environ.get("HYMY_SCHEMATHESIS_EXAMPLES", "50"))
SEED = os.environ.get("HYMY_SCHEMATHESIS_SEED", "20260105")

#: Checks that cannot hold for an operation, and why. Everything else runs.
EXCLUDED_CHECKS = {
    "/api/v1/batches": {
        # Rows are judged one by one, by design (no row may block the queue): a batch whose
        # envelope is valid but which carries a malformed rating or follow-up is answered 200
        # and names that row in `rejected`, storing the rest. The schema describes a storable
        # row (so valid rows reach ingest), hence a body with one bad row is "schema-invalid"
        # yet rightly accepted. A malformed envelope is still a 422, checked in test_refusals.
        "negative_data_rejection",
    },
}


def _config(tmp_path):
    """schemathesis.toml: every check on, the exclusions above, nothing written outside tmp_path."""
    lines = ["[checks]", "enabled = true", ""]
    for path, checks in EXCLUDED_CHECKS.items():
        lines += ["[[operations]]", f'include-path = "{path}"']
        lines += [f"checks.{check}.enabled = false" for check in sorted(checks)]
        lines.append("")
    config = tmp_path / "schemathesis.toml"
    config.write_text("\n".join(lines))
    return config


def run_schemathesis(central, tmp_path, name, token, selection, env=None):
    """Run the schemathesis CLI on *central*; return its JSON report (the test fails on any failure)."""
    report_path = tmp_path / f"{name}.json"
    environment = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    environment.update(
        SCHEMATHESIS_HOOKS=str(HOOKS),
        PYTHONPATH=str(REPOSITORY),
        NO_PROXY="*",
        **(env or {}),
    )
    command = [
        str(SCHEMATHESIS), "--config-file", str(_config(tmp_path)), "--no-color",
        "run", f"{central.url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        *selection,
        "--max-examples", str(EXAMPLES),
        "--workers", "2",
        "--seed", SEED if SEED != "random" else str(int.from_bytes(os.urandom(8), "big")),
        "--generation-database", "none",  # no .hypothesis directory, no examples carried between runs
        "--continue-on-failure",
        "--request-timeout", "30",
        "--report", "json", "--report-json-path", str(report_path),
    ]
    result = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600)
    output = result.stdout[-12000:] + result.stderr[-4000:]
    assert report_path.exists(), f"schemathesis wrote no report (exit {result.returncode}):\n{output}"
    report = json.loads(report_path.read_text())
    cases = report["test_cases"]["generated"]
    print(f"schemathesis on {central.backend}, {name}: {cases} cases, "
          f"{report['test_cases']['with_failures']} with failures, seed {report['seed']}")
    assert report["failures"] == [] and report["errors"] == [], output
    assert result.returncode == 0, output
    assert report["operations"]["errored"] == 0 and report["operations"]["tested"] == report["operations"]["selected"]
    return report


def test_schemathesis_finds_no_5xx_and_no_conformance_failure(central, tmp_path):
    token, device = central.enrolled_kiosk()
    _, user_token = central.add_user("olli", "admin")

    kiosk = run_schemathesis(central, tmp_path, "kiosk", token,
                             [arg for path in KIOSK_OPERATIONS for arg in ("--include-path", path)],
                             env={"HYMY_TEST_KIOSK_ID": device})
    assert kiosk["operations"]["tested"] == len(KIOSK_OPERATIONS)
    assert kiosk["test_cases"]["generated"] >= EXAMPLES * len(KIOSK_OPERATIONS)
    # Valid bodies got past the token and the device check into ingest, not only refusals.
    for path in ("/api/v1/batches", "/api/v1/heartbeat", "/api/v1/enroll"):
        rates = kiosk["valid_rates"][f"POST {path}"]
        assert sum(phase["accepted"] for phase in rates.values()) > 0, (path, rates)
    assert central.count("KioskStatus") == 1

    export = run_schemathesis(central, tmp_path, "export", user_token, ["--include-path", EXPORT])
    assert export["operations"]["tested"] == 1
    assert export["test_cases"]["generated"] >= EXAMPLES
    print(f"schemathesis on {central.backend}: "
          f"{kiosk['test_cases']['generated'] + export['test_cases']['generated']} cases in all")
