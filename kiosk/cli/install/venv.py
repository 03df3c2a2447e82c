"""The install step that puts hymy, with a role's extras, into the virtual environment ``/opt/hymy``.

Raspberry Pi OS refuses ``pip install`` into the system Python, so hymy lives
in its own environment, made with the standard library's :mod:`venv` and
filled by that environment's own pip. A stamp file beside it records what was
installed (the source, its fingerprint, the extras): a second run with the
same source and extras finds nothing to do, while a ``git pull`` that changed
the code reinstalls. A kiosk and central on one machine share the environment:
extras accumulate, so installing one role never drops the other's packages.
A checkout is installed from a clean copy of what its wheel is built from.

Under ``--root`` pip never runs (it would install into this machine's idea of
that tree, with this machine's Python); the step records the stamp it would
have written, so a second run under the same root compares like a real one.
"""
import json
import shutil
import tempfile
import venv
from dataclasses import dataclass
from pathlib import Path

from kiosk.cli.install.source import BUILT_FROM, fingerprint
from kiosk.cli.install.steps import Step
from kiosk.cli.install.system import System
from sync.common.files import replace_file

#: Beside the environment's own files; what was installed there, read by the next run.
STAMP = "hymy-install.json"


@dataclass
class Venv(Step):
    """``path`` holds hymy from *source* with *extras* (e.g. ``("pi",)``)."""

    path: str
    source: Path
    extras: tuple[str, ...]

    def __post_init__(self) -> None:
        self._fingerprint = fingerprint(self.source)

    @property
    def title(self) -> str:
        return f"virtual environment {self.path}: hymy[{','.join(self.extras)}] from {self.source}"

    def _stamp(self, system):
        try:
            return json.loads(system.path(f"{self.path}/{STAMP}").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def _wanted(self, system):
        extras = sorted(set(self.extras) | set(self._stamp(system).get("extras", ())))
        return {"source": str(self.source), "fingerprint": self._fingerprint, "extras": extras}

    def needed(self, system: System) -> bool:
        broken = system.live and not system.path(f"{self.path}/bin/hymy").exists()
        return broken or self._stamp(system) != self._wanted(system)

    def apply(self, system: System) -> str | None:
        wanted = self._wanted(system)
        where = system.path(self.path)
        note = None
        if system.live:
            if not (where / "bin" / "python").exists():
                venv.EnvBuilder(with_pip=True).create(where)
            with tempfile.TemporaryDirectory(prefix="hymy-install-") as scratch:
                source = _clean_copy(self.source, Path(scratch)) if self.source.is_dir() else self.source
                extras = f"[{','.join(wanted['extras'])}]" if wanted["extras"] else ""
                # No time limit: on a Pi, pip may compile a wheel for many minutes.
                system.run(str(where / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade",
                           f"{source}{extras}", timeout=None)
        else:
            where.mkdir(parents=True, exist_ok=True)
            note = "recorded: pip does not run under --root"
        replace_file(where / STAMP, json.dumps(wanted, indent=2) + "\n", 0o644)
        return note


def _clean_copy(source, scratch):
    """What a wheel of the checkout *source* is built from, copied into *scratch*.

    pip builds a local directory in place: root's build would leave a
    root-owned ``build/`` and ``hymy.egg-info`` in the installer's checkout, and a
    ``build/lib`` left from an earlier version can carry deleted files into the wheel.
    """
    copy = scratch / "hymy"
    copy.mkdir()
    for name in BUILT_FROM:
        entry = source / name
        if entry.is_dir():
            shutil.copytree(entry, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif entry.is_file():
            shutil.copy2(entry, copy / name)
    return copy
