#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run them.
#   bash tests/run.sh [pytest arguments]
# Installs the Debian packages the tests drive (tests/debian_packages.sh says
# which and why; none of their services is started or enabled), makes a virtual
# environment in .venv with the project and its test extras, and runs pytest.
# pytest's "no tests ran" (exit 5) counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian packages the tests drive, installed with none of their services started or enabled.
bash tests/debian_packages.sh

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "tests/run.sh: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))" >&2
    exit 1
}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,central]'

# Two workers on two cores (pytest-xdist, -n auto); tests that must not run beside each other share an
# xdist_group (the demo's, the throwaway system accounts'). `-n 0` runs everything in this process.
# The 20 slowest tests are listed at the end of every run.
status=0
.venv/bin/python -m pytest -n auto --dist loadgroup --durations=20 "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "tests/run.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
