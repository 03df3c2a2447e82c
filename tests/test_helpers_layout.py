"""Shared test code has one home: a module of tests/helpers/, or a fixture of a conftest.py.

A test that imports another test module (or a conftest) runs that module's fixtures and tests' imports
too, and breaks when a test is renamed; tests/fixtures/ is left out (its makers run against old commits).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def _imported_modules(path):
    """The modules *path* imports, relative imports made absolute."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _test_sources():
    return [path for path in TESTS.rglob("*.py") if "fixtures" not in path.relative_to(TESTS).parts]


def test_no_test_imports_a_conftest_or_another_test_module():
    offenders = []
    for path in _test_sources():
        for module in _imported_modules(path):
            last = module.rsplit(".", 1)[-1]
            if module.startswith("tests.") and (last == "conftest" or last.startswith("test_")):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_shared_test_code_outside_tests_and_conftests_lives_in_helpers():
    strays = [
        path.relative_to(ROOT).as_posix()
        for path in _test_sources()
        if not path.name.startswith("test_")
        and path.name not in ("conftest.py", "__init__.py")
        and path.parent.name != "helpers"
    ]
    assert not strays, strays


def test_the_helpers_import_no_test_module():
    for path in (TESTS / "helpers").glob("*.py"):
        imported = [m for m in _imported_modules(path) if m.startswith("tests.") and not m.startswith("tests.helpers")]
        assert not imported, f"{path.name} imports {imported}"
