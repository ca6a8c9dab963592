"""The shape of the code (issue: architecture): layers, no import cycles, small modules,
one settings class, one composition root."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.import_graph import import_graph, modules

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    return modules(ROOT)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle between modules (a package's ``__init__`` counts as a module)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_scan_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_even_inside_functions() -> None:
    assert _cycle(import_graph()) is None


def test_layer_contracts_hold() -> None:
    """``lint-imports`` (import-linter, contracts in pyproject.toml), as ``make lint`` runs it."""
    tool = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(tool)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_features_import_no_other_feature() -> None:
    features = {"actions", "alerts", "channels", "console"}
    entry_points = {"alerts.__main__", "console.__main__"}  # composition roots of their process
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in import_graph().items()
        if name.split(".")[0] in features and name not in entry_points
        for target in targets
        if target.split(".")[0] in features | {"app"} and target.split(".")[0] != name.split(".")[0]
    )
    assert wrong == []


def test_exactly_one_settings_class() -> None:
    classes = []
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", getattr(base, "attr", "")) == "BaseSettings"
                for base in node.bases
            ):
                classes.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert classes == ["core/settings.py:Settings"]


@pytest.mark.parametrize("name", sorted(_modules()))
def test_modules_and_functions_are_small(name: str) -> None:
    path = _modules()[name]
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= MAX_MODULE_LINES, f"{path} has over {MAX_MODULE_LINES} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == [], f"{path}: {long}"
