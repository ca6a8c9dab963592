"""Train the Rasa model only when its inputs changed; print the model's path.

The model is named after a content hash of config.yml, domain.yml, bot/ (training data and
components), the shared normaliser (textnorm/) and its vocabulary (knowledge/data), so an unchanged bot is never trained twice.
Standard library only: runs with either environment's Python.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = (
    "config.yml",
    "domain.yml",
    "bot",
    "textnorm",  # the shared normaliser runs inside the NLU pipeline
    # The normaliser's vocabulary (textnorm.vocabulary): terms, dialect map, plan, entries.
    "knowledge/data/jieba",
    "knowledge/data/synonyms.yml",
    "knowledge/data/sources/plan.md",
    "knowledge/data/entries",
)


def content_hash(root: Path = ROOT) -> str:
    """sha256 over the relative paths and bytes of every training input."""
    h = hashlib.sha256()
    for name in INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if not f.exists() or "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            h.update(str(f.relative_to(root)).encode())
            h.update(b"\0")
            h.update(f.read_bytes())
            h.update(b"\0")
    return h.hexdigest()[:16]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "var" / "models"))
    parser.add_argument("--rasa", default=str(ROOT / ".venv-rasa" / "bin" / "rasa"))
    parser.add_argument("--check", action="store_true", help="only say whether training is needed")
    args = parser.parse_args()

    name = f"bot-{content_hash()}"
    model = Path(args.out) / f"{name}.tar.gz"
    if model.exists():
        print(f"model up to date: {model}", file=sys.stderr)
        print(model)
        return 0
    if args.check:
        print(f"model missing: {model}", file=sys.stderr)
        return 1
    Path(args.out).mkdir(parents=True, exist_ok=True)
    # One training at a time: a second caller waits, then finds the model ready.
    with open(Path(args.out) / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train(args, name, model)


def _train(args: argparse.Namespace, name: str, model: Path) -> int:
    if model.exists():
        print(f"model up to date: {model}", file=sys.stderr)
        print(model)
        return 0
    print(f"training Rasa model {name} (inputs changed) ...", file=sys.stderr)
    cmd = [
        args.rasa,
        "train",
        "--data",
        "bot/data",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--out",
        args.out,
        "--fixed-model-name",
        name,
    ]
    result = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr)
    if result.returncode != 0 or not model.exists():
        print(f"rasa train failed (exit {result.returncode})", file=sys.stderr)
        return result.returncode or 1
    print(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
