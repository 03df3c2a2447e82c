"""A plain (non-editable) install works: the wheel carries templates, static
files and catalogs inside the package, and the installed ``hymy`` serves the
screen in every language from a directory where the source tree is not
importable.

The wheel is built from a clean copy of the working tree: an in-tree build
would leave ``build/`` and ``*.egg-info`` behind, and a stale ``build/lib``
can slip files that no longer exist into the wheel. pip's cache is used as
configured on the machine, so a second run installs without downloading.
"""
import html
import io
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import requests
from babel.messages.mofile import read_mo

from tests.helpers.live import answers, free_port, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
QUESTION_MSGID = "How did we do today?"
CATALOG = "kiosk/translations/{}/LC_MESSAGES/messages.mo"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "artifacts", "node_modules"
)


def run(command, timeout, **kwargs):
    """Run *command*; fail the test with its output if it does not succeed."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The project's wheel, built with pip from a clean copy of the tree."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"), str(source)], timeout=120)
    (built,) = (work / "dist").glob("hymy-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel installed (dependencies from the index)."""
    env_dir = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    run([str(env_dir / "bin" / "python"), "-m", "pip", "install", str(wheel)], timeout=180)
    return env_dir


def clean_environment(**settings):
    """This process's environment without anything that would point at the source tree."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HYMY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "GPIOZERO_PIN_FACTORY")}
    env.update(settings)
    return env


def translation(wheel, language, msgid):
    """*msgid*'s msgstr in the wheel's compiled catalog for *language*."""
    with zipfile.ZipFile(wheel) as archive:
        catalog = read_mo(io.BytesIO(archive.read(CATALOG.format(language))))
    message = catalog.get(msgid)
    assert message is not None and message.string, f"{language} catalog does not translate {msgid!r}"
    return message.string


def test_wheel_carries_templates_static_files_and_catalogs(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "kiosk/templates/kiosk/screen.html" in names
    assert any(n.startswith("kiosk/static/") and not n.endswith("/") for n in names), "no static files"
    for language in ("fi", "sv", "en"):
        assert CATALOG.format(language) in names, f"no compiled {language} catalog"
    assert not [n for n in names if n.split("/")[0] == "templates"], "a bare templates/ would land in site-packages"
    # Every package of the source tree is in the wheel, and central's catalogs travel with central.
    source_packages = {str(init.parent.relative_to(ROOT)) for top in ("kiosk", "sync")
                       for init in (ROOT / top).rglob("__init__.py")}
    for package in source_packages:
        assert f"{package}/__init__.py" in names, f"the wheel lacks the package {package}"
    for language in ("fi", "sv", "en"):
        assert f"sync/central/translations/{language}/LC_MESSAGES/messages.mo" in names


def test_installed_command_reports_its_version(installed, wheel):
    version = wheel.name.split("-")[1]
    output = run([str(installed / "bin" / "hymy"), "--version"], timeout=30, env=clean_environment())
    assert version in output


def test_the_installed_hymy_installs_its_own_wheel_with_the_units_it_carries(installed, wheel, tmp_path):
    env = clean_environment()
    where = run([str(installed / "bin" / "python"), "-c",
                 "from kiosk.cli.install.units import unit_dir; print(unit_dir())"],
                timeout=30, cwd=tmp_path, env=env)
    units = Path(where.strip())
    assert units.is_relative_to(installed), f"the units come from {units}"
    def texts(directory):
        return {path.name: path.read_text() for path in directory.iterdir()}

    assert texts(units) == texts(ROOT / "systemd")
    planned = run([str(installed / "bin" / "hymy"), "install", "--central", "--dry-run"], timeout=60, cwd=tmp_path,
                  env=env)
    assert f"virtual environment /opt/hymy: hymy[central] from {wheel}" in planned


@pytest.fixture
def installed_kiosk(installed, tmp_path):
    """``hymy kiosk`` from the fresh install, run from a directory outside the source tree."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    port = free_port()
    env = clean_environment(HYMY_DATA_DIR=str(tmp_path / "data"), HYMY_PIN_FACTORY="mock")
    where = run([str(installed / "bin" / "python"), "-c", "import kiosk; print(kiosk.__file__)"],
                timeout=30, cwd=cwd, env=env)
    assert Path(where.strip()).is_relative_to(installed), f"kiosk imported from {where.strip()}"
    log = tmp_path / "kiosk.log"
    with open(log, "w") as output:
        process = subprocess.Popen([str(installed / "bin" / "hymy"), "kiosk", "--port", str(port)],
                                   cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(f"{url}/healthz"), 30, "hymy kiosk did not answer /healthz", process, log.read_text)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_installed_kiosk_serves_screen_languages_static_and_api(installed_kiosk, wheel):
    url = installed_kiosk
    page = requests.get(f"{url}/", timeout=10)
    assert page.status_code == 200
    assert html.escape(translation(wheel, "fi", QUESTION_MSGID)) in page.text, "question not in Finnish"

    swedish = requests.get(f"{url}/", params={"lang": "sv"}, timeout=10)
    assert swedish.status_code == 200
    assert html.escape(translation(wheel, "sv", QUESTION_MSGID)) in swedish.text, "question not in Swedish"

    referenced = re.findall(r'(?:src|href)="(/static/[^"?#]+)', page.text)
    assert referenced, "the page references no static file"
    assert requests.get(f"{url}{referenced[0]}", timeout=10).status_code == 200

    posted = requests.post(f"{url}/api/ratings", json={"rating": 4}, timeout=10)
    assert posted.status_code == 201, posted.text
    assert requests.get(f"{url}/healthz", timeout=10).json()["counts"]["total"] == 1
