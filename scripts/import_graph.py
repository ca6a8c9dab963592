"""Print the import graph between the top-level packages (every import, also those inside
functions and under TYPE_CHECKING). ``--modules`` prints module-level edges instead.

    python scripts/import_graph.py            # package -> package (number of imports)
    python scripts/import_graph.py --modules  # module -> module, across packages
    python scripts/import_graph.py --root DIR # another checkout

``tests/app/test_architecture.py`` uses :func:`import_graph` for its cycle scan.
"""

from __future__ import annotations

import argparse
import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "app",
    "core",
    "textnorm",
    "knowledge",
    "actions",
    "alerts",
    "channels",
    "console",
    "bot",
)


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of our packages (a package's ``__init__`` is the package), migrations aside."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _targets(node: ast.AST, name: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parent = name.split(".") if is_package else name.split(".")[:-1]
        parent = parent[: len(parent) - (node.level - 1)]
        base = ".".join([*parent, base] if base else parent)
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module of ours imported by this file, at the top or inside a function."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        for target in _targets(node, name, path.name == "__init__.py"):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the modules it imports."""
    found = modules(root)
    known = set(found)
    return {name: imports_of(path, name, known) for name, path in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", action="store_true")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    graph = import_graph(args.root)
    if args.modules:
        for source in sorted(graph):
            for target in sorted(graph[source]):
                if source.split(".")[0] != target.split(".")[0]:
                    print(f"{source} -> {target}")
        return
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for source, targets in graph.items():
        for target in targets:
            a, b = source.split(".")[0], target.split(".")[0]
            if a != b:
                counts[a][b] += 1
    for package in PACKAGES:
        if counts.get(package):
            edges = ", ".join(f"{k} ({v})" for k, v in sorted(counts[package].items()))
            print(f"{package:10} -> {edges}")


if __name__ == "__main__":
    main()
