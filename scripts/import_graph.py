"""Print the import graph between the top-level packages (every import, also those inside
functions and under TYPE_CHECKING). ``--modules`` prints module-level edges instead.

    python scripts/import_graph.py            # package -> {package: number of imports}
    python scripts/import_graph.py --modules  # module -> module
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


def edges(root: Path = ROOT) -> list[tuple[str, str]]:
    """(importing module, imported module) for every absolute import of our packages."""
    out = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module]
                out.extend((module, n) for n in names if n.split(".")[0] in PACKAGES)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", action="store_true")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    pairs = edges(args.root)
    if args.modules:
        for source, target in sorted(set(pairs)):
            if source.split(".")[0] != target.split(".")[0]:
                print(f"{source} -> {target}")
        return
    graph: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for source, target in pairs:
        a, b = source.split(".")[0], target.split(".")[0]
        if a != b:
            graph[a][b] += 1
    for package in PACKAGES:
        if graph.get(package):
            print(
                f"{package:10} -> "
                + ", ".join(f"{k} ({v})" for k, v in sorted(graph[package].items()))
            )


if __name__ == "__main__":
    main()
