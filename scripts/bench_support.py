"""What the benchmark scripts share: the repository on ``sys.path`` and the timed query loop.

A script imports it by its bare name (``from bench_support import ROOT``), since Python puts
the script's own folder (``scripts/``) on ``sys.path``; importing it puts the repository
there too, so the script can then import the project's packages.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

T = TypeVar("T")


def time_queries(
    run: Callable[[str], T], queries: Sequence[str], n: int, warmup: int
) -> list[tuple[float, T]]:
    """``warmup`` untimed calls, then ``n`` timed ones, cycling through ``queries``: each
    timed call's milliseconds and result."""
    for i in range(warmup):
        run(queries[i % len(queries)])
    timed = []
    for i in range(n):
        start = time.perf_counter()
        result = run(queries[i % len(queries)])
        timed.append(((time.perf_counter() - start) * 1000, result))
    return timed
