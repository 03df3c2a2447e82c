"""tests/debian_packages.sh, the first step of the test command: it installs the Debian packages
the tests drive and leaves none of their services started or enabled.

apt-get, dpkg-query and deb-systemd-helper are stand-ins on PATH here (a test must not install
packages on the machine it runs on); they act on a unit directory and a policy-rc.d path in the
test's own directory and record what the script did. The stand-in apt-get runs the policy-rc.d in
place, as invoke-rc.d does before it starts a service, and enables units as Debian's
maintainer scripts do: by links.
"""
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "debian_packages.sh"
README = (ROOT / "README.md").read_text(encoding="utf-8")

APT_GET = """\
#!/bin/sh
[ "$1" = update ] && exit 0
{
  if [ -x "$POLICY_RC_D" ]; then "$POLICY_RC_D" nginx start; echo "policy said $?"; else echo "no policy"; fi
  echo "installing $*"
} >> "$LOG"
mkdir -p "$SYSTEMD_SYSTEM_DIR/multi-user.target.wants" "$SYSTEMD_SYSTEM_DIR/getty.target.wants"
ln -s /lib/systemd/system/nginx.service "$SYSTEMD_SYSTEM_DIR/multi-user.target.wants/nginx.service"
ln -s /lib/systemd/system/postgresql.service "$SYSTEMD_SYSTEM_DIR/multi-user.target.wants/postgresql.service"
ln -s /lib/systemd/system/getty@.service "$SYSTEMD_SYSTEM_DIR/getty.target.wants/getty@tty1.service"
ln -s /lib/systemd/system/systemd-timesyncd.service "$SYSTEMD_SYSTEM_DIR/dbus-org.freedesktop.timesync1.service"
exit "${APT_EXIT:-0}"
"""
DPKG_QUERY = """\
#!/bin/sh
for asked; do :; done  # the last argument: the package
for package in $INSTALLED; do [ "$package" = "$asked" ] && { printf 'install ok installed'; exit 0; }; done
exit 1
"""
DEB_SYSTEMD_HELPER = """\
#!/bin/sh
echo "deb-systemd-helper $*" >> "$LOG"
# As the real one: the unit's links, its aliases among them (they point to the unit).
find "$SYSTEMD_SYSTEM_DIR" -type l | while read -r link; do
  case "$(basename "$link") $(readlink "$link")" in "$2 "* | *"/$2") rm "$link" ;; esac
done
"""
SUDO = """\
#!/bin/sh
exec "$@"
"""


@pytest.fixture
def machine(tmp_path):
    """Stand-ins on PATH, an empty unit directory with one unit the admin enabled, and the environment."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("apt-get", APT_GET), ("dpkg-query", DPKG_QUERY), ("deb-systemd-helper", DEB_SYSTEMD_HELPER),
                       ("sudo", SUDO)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    units = tmp_path / "etc-systemd-system"
    (units / "multi-user.target.wants").mkdir(parents=True)
    (units / "multi-user.target.wants" / "ssh.service").symlink_to("/lib/systemd/system/ssh.service")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", LOG=str(tmp_path / "log"),
               POLICY_RC_D=str(tmp_path / "policy-rc.d"), SYSTEMD_SYSTEM_DIR=str(units), INSTALLED="openssl")
    return env


def run(env, **more):
    return subprocess.run(["bash", str(SCRIPT)], env={**env, **more}, capture_output=True, text=True, timeout=60)


def links(env):
    units = Path(env["SYSTEMD_SYSTEM_DIR"])
    return sorted(str(path.relative_to(units)) for path in units.rglob("*") if path.is_symlink())


def log(env):
    return Path(env["LOG"]).read_text().splitlines()


def test_a_package_it_installs_gets_no_service_started_or_enabled(machine):
    done = run(machine)
    assert done.returncode == 0, done.stderr
    # While apt-get ran, policy-rc.d refused every start; afterwards it is gone.
    assert log(machine)[:2] == ["policy said 101", "installing install -y -qq --no-install-recommends chromium "
                                "fonts-dejavu-core postgresql systemd nginx"]  # openssl was there
    assert not Path(machine["POLICY_RC_D"]).exists()
    # What the install enabled is disabled again; what the admin had enabled stays.
    assert sorted(line for line in log(machine) if line.startswith("deb-systemd-helper")) == [
        "deb-systemd-helper disable getty@tty1.service", "deb-systemd-helper disable nginx.service",
        "deb-systemd-helper disable postgresql.service", "deb-systemd-helper disable systemd-timesyncd.service"]
    assert links(machine) == ["multi-user.target.wants/ssh.service"]


def test_the_policy_goes_when_the_install_fails(machine):
    done = run(machine, APT_EXIT="100")
    assert done.returncode == 100
    assert log(machine)[0] == "policy said 101"
    assert not Path(machine["POLICY_RC_D"]).exists()


@pytest.mark.parametrize("apt_exit", ["0", "100"])
def test_a_policy_the_machine_has_is_left_as_it_is(machine, apt_exit):
    policy = Path(machine["POLICY_RC_D"])
    policy.write_text("#!/bin/sh\n# the machine's own\nexit 104\n")
    policy.chmod(0o700)
    run(machine, APT_EXIT=apt_exit)
    assert log(machine)[0] == "policy said 104"  # the install ran under the machine's policy, not a new one
    assert policy.read_text() == "#!/bin/sh\n# the machine's own\nexit 104\n" and policy.stat().st_mode & 0o777 == 0o700


def test_nothing_is_installed_when_every_package_is_there(machine):
    packages = re.search(r"^DEBIAN_PACKAGES=\(([^)]*)\)", SCRIPT.read_text(), re.MULTILINE)[1].split()
    done = run(machine, INSTALLED=" ".join(packages))
    assert done.returncode == 0 and done.stdout == ""
    assert not Path(machine["LOG"]).exists() and not Path(machine["POLICY_RC_D"]).exists()


def test_the_readme_lists_every_package_the_test_command_installs():
    packages = re.search(r"^DEBIAN_PACKAGES=\(([^)]*)\)", SCRIPT.read_text(), re.MULTILINE)[1].split()
    start = README.index("    bash tests/run.sh\n")
    section = README[start:README.index("\n## ", start)]
    assert packages and all(f"`{package}`" in section for package in packages), textwrap.shorten(section, 400)
