"""The parts keep their borders (README "How it fits together").

import-linter checks the contracts in ``.importlinter``; these tests run it,
make sure every module belongs to exactly one part, and show from a fresh
interpreter that the borders hold at run time too.
"""
import ast
import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def contracts():
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return {section: parser[section] for section in parser.sections() if section.startswith("importlinter:contract")}


def modules():
    """Every module of the project, by dotted name (packages as themselves)."""
    found = set()
    for top in ("kiosk", "sync"):
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_the_import_contracts_hold():
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{len(contracts())} kept, 0 broken" in done.stdout


def layer_parts():
    """The parts the layers contract names, each a package (or module) of the project."""
    layers = contracts()["importlinter:contract:layers"]["layers"]
    return [part.strip() for line in layers.split("\n") for part in line.split("|") if part.strip()]


def test_every_module_belongs_to_exactly_one_part():
    parts = layer_parts()
    unplaced, twice = [], []
    for module in sorted(modules()):
        if module in ("kiosk", "sync", "kiosk.__main__"):
            continue
        owning = [part for part in parts if module == part or module.startswith(part + ".")]
        if not owning:
            unplaced.append(module)
        elif len(owning) > 1:
            twice.append((module, owning))
    assert unplaced == [], f"modules in no part (move them into a part's folder): {unplaced}"
    assert twice == [], f"modules in two parts: {twice}"


def test_every_package_is_shipped():
    """pyproject.toml lists packages by hand (some come from other folders): a new folder must be listed."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(path.parent.relative_to(ROOT).parts) for top in ("kiosk", "sync")
               for path in (ROOT / top).rglob("__init__.py")}
    assert folders - listed == set()


def printed_by(code):
    """What a fresh interpreter running *code* in the checkout prints (its imports are its own)."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_a_package_has_no_side_effects():
    assert printed_by("import sys, kiosk, sync, sync.central\n"
                      "print(sorted(m for m in sys.modules if m.startswith(('kiosk', 'sync'))))"
                      ) == "['kiosk', 'sync', 'sync.central']"


def test_central_runs_without_the_kiosk_or_gpio():
    assert printed_by("import sys\n"
                      "from sync.central.app import create_central_app\n"
                      "print(sorted(m for m in sys.modules if m == 'gpiozero' or m.startswith(('gpiozero.', 'kiosk'))))"
                      ) == "[]"


def test_the_protocol_imports_nothing_but_the_standard_library():
    loaded = printed_by("import sys; before = set(sys.modules); import sync.wire.protocol\n"
                        "print(sorted(m.split('.')[0] for m in set(sys.modules) - before if not m.startswith('sync')))")
    third_party = [m for m in ast.literal_eval(loaded) if m not in sys.stdlib_module_names]
    assert third_party == []


def test_the_benches_import_nothing_from_the_tests():
    """bench/ measures the product with its own helpers (the throwaway PostgreSQL is bench/_postgres.py,
    which the tests import): a test's refactoring can never change what a bench measures."""
    found = []
    for path in sorted((ROOT / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {name}" for name in names if name == "tests" or name.startswith("tests.")]
    assert found == []
