"""Types are checked in the suite: mypy with the project's settings ([tool.mypy] in pyproject.toml:
check_untyped_defs over kiosk and sync, the strict flags over the wire and common parts) finds nothing,
and every public function, method and dataclass field says its types."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(path for package in ("kiosk", "sync") for path in (ROOT / package).rglob("*.py"))


@pytest.mark.slow
def test_mypy_finds_no_error():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found")


def _public(name):
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _unannotated(path):
    """``file:line name`` of each public function or method of *path* missing a parameter's or the
    return's annotation (``self`` and ``cls`` need none)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing = []

    def visit(node, public_scope):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if public_scope and _public(child.name):
                    arguments = child.args
                    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                    parameters = [p for p in parameters if p.arg not in ("self", "cls")]
                    parameters += [p for p in (arguments.vararg, arguments.kwarg) if p is not None]
                    if child.returns is None or any(p.annotation is None for p in parameters):
                        missing.append(f"{path.relative_to(ROOT)}:{child.lineno} {child.name}")
                # a function's inner functions are its own business
            elif isinstance(child, ast.ClassDef):
                visit(child, public_scope and _public(child.name))

    visit(tree, True)
    return missing


def test_every_public_function_and_method_is_annotated():
    missing = [line for path in SOURCES for line in _unannotated(path)]
    assert not missing, f"{len(missing)} unannotated:\n" + "\n".join(missing[:50])


def test_every_dataclass_field_has_a_real_type():
    vague = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.AnnAssign) and ast.unparse(item.annotation) == "object":
                        vague.append(f"{path.relative_to(ROOT)}:{item.lineno} {node.name}.{ast.unparse(item.target)}")
    assert not vague, "\n".join(vague)
