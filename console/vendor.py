"""``python -m console.vendor``: copy the chart library from ``node_modules`` into the
console's static files.

The console's delivery dashboard draws its chart with uPlot. The files are copied from the
npm package locked in ``package-lock.json`` and committed under ``console/static/vendor/``,
so the app serves them itself (no CDN) and a server needs no Node.js; a test checks that the
committed copies are byte for byte the locked package's.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
VENDOR = Path(__file__).with_name("static") / "vendor"
# Served name -> file in node_modules.
FILES = {
    "uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
    "uPlot.min.css": "uplot/dist/uPlot.min.css",
    "uPlot.LICENSE": "uplot/LICENSE",
}


def copy(node_modules: Path = NODE_MODULES, vendor: Path = VENDOR) -> list[Path]:
    """Copy every file of :data:`FILES`; returns the copies.

    Raises:
        FileNotFoundError: the package is not installed (run ``npm ci``).
    """
    missing = [src for src in FILES.values() if not (node_modules / src).is_file()]
    if missing:
        raise FileNotFoundError(f"not in {node_modules}: {', '.join(missing)}; run `npm ci`")
    vendor.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(node_modules / src, vendor / name)) for name, src in FILES.items()]


def main() -> int:
    try:
        for path in copy():
            print(f"copied {path.relative_to(ROOT)}")
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
