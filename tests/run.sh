#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run them.
#   bash tests/run.sh [pytest arguments]
# Installs the Debian packages the tests drive (Chromium for the screen tests),
# makes a virtual environment in .venv with the project and its test extras,
# and runs pytest. pytest's "no tests ran" (exit 5) counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# systemd for systemd-analyze (the units are verified), nginx for the reverse-proxy example (nginx -t).
DEBIAN_PACKAGES=(chromium fonts-dejavu-core postgresql openssl systemd nginx)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "tests/run.sh: installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "tests/run.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
