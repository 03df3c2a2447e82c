#!/usr/bin/env bash
# Install the Debian packages the tests drive, as a good guest: no service of a package
# this installs (or of one it pulls in) is started now or enabled for the next boot.
#   bash tests/debian_packages.sh
# tests/run.sh runs it first. The packages, and why each is needed:
#   chromium, fonts-dejavu-core  the screen and head-office tests drive a real headless Chromium
#   postgresql                    the suite starts its own throwaway cluster with these binaries
#   openssl                       certificates for the TLS tests
#   systemd                       systemd-analyze verifies the unit files
#   nginx                         the reverse-proxy example is tested under a live nginx the test starts
#
# Starting: Debian's maintainer scripts start a service through invoke-rc.d, which
# first asks /usr/sbin/policy-rc.d; its exit code 101 means "not now". One is put
# in place for the install (unless the machine has its own, which is left as it is)
# and removed afterwards, also when the install fails.
# Enabling: deb-systemd-helper enables a new package's units whatever policy-rc.d
# says, by links under /etc/systemd/system; each link the install made is disabled
# again with deb-systemd-helper, which also remembers it so an upgrade keeps it off.
# POLICY_RC_D and SYSTEMD_SYSTEM_DIR name other places (the test of this script).
set -euo pipefail

DEBIAN_PACKAGES=(chromium fonts-dejavu-core postgresql openssl systemd nginx)
POLICY_RC_D="${POLICY_RC_D:-/usr/sbin/policy-rc.d}"
SYSTEMD_SYSTEM_DIR="${SYSTEMD_SYSTEM_DIR:-/etc/systemd/system}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

placed_policy=""
remove_policy() {
    if [ -n "$placed_policy" ]; then
        as_root rm -f "$POLICY_RC_D"
        placed_policy=""
    fi
}
trap remove_policy EXIT
if [ ! -e "$POLICY_RC_D" ] && [ ! -L "$POLICY_RC_D" ]; then
    placed_policy=1
    printf '#!/bin/sh\n# Put here by hymy'"'"'s tests/debian_packages.sh while it installs packages: no service starts.\nexit 101\n' \
        | as_root tee "$POLICY_RC_D" >/dev/null
    as_root chmod 755 "$POLICY_RC_D"
fi

unit_links() {
    # Every link under the unit directory (a .wants/.requires entry, or an alias), sorted.
    if [ -d "$SYSTEMD_SYSTEM_DIR" ]; then
        find "$SYSTEMD_SYSTEM_DIR" -type l | LC_ALL=C sort
    fi
}
links_before="$(unit_links)"

echo "tests/debian_packages.sh: installing Debian packages: ${missing[*]} (their services neither started nor enabled)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
remove_policy

# The units the install enabled: a .wants/.requires entry is named as its unit (an instance such as
# getty@tty1.service too); an alias link points to its unit.
units=()
while IFS= read -r link; do
    [ -n "$link" ] || continue
    case "$(basename "$(dirname "$link")")" in
        *.wants | *.requires | *.upholds) units+=("$(basename "$link")") ;;
        *) units+=("$(basename "$(readlink "$link")")") ;;
    esac
done < <(LC_ALL=C comm -13 <(printf '%s\n' "$links_before") <(unit_links))
if [ "${#units[@]}" -gt 0 ]; then
    mapfile -t units < <(printf '%s\n' "${units[@]}" | LC_ALL=C sort -u)
    echo "tests/debian_packages.sh: disabling what the install enabled: ${units[*]}"
    for unit in "${units[@]}"; do
        as_root deb-systemd-helper disable "$unit" >/dev/null \
            || echo "tests/debian_packages.sh: could not disable $unit; disable it with systemctl disable $unit" >&2
    done
fi
