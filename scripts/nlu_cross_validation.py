"""5-fold NLU cross-validation of the Rasa pipeline; prints per-intent figures.

Runs ``rasa test nlu --cross-validation`` with the project's config and training data,
keeps Rasa's reports under ``var/eval/nlu_cv/`` and writes a summary to
``var/eval/nlu_cv/summary.json``. Exits non-zero when the intent macro F1 is below the
target. Intents the app triggers itself (``EXTERNAL_*``) are never typed by users and are
left out of the macro average (they are still printed).
Standard library only: runs with either environment's Python.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.90


# Rasa draws the folds with numpy's global random state (StratifiedKFold without a seed);
# seeding it first makes the folds, and with DIET's fixed seed the whole run, repeatable.
_SEEDED_RASA = (
    "import sys, numpy; numpy.random.seed(int(sys.argv[1])); "
    "from rasa.__main__ import main; sys.argv = ['rasa'] + sys.argv[2:]; main()"
)


def run_cross_validation(out: Path, folds: int, rasa: str, seed: int) -> Path:
    """Run Rasa's cross-validation; returns the intent report path."""
    out.mkdir(parents=True, exist_ok=True)
    python = str(Path(rasa).with_name("python"))
    cmd = [
        python,
        "-c",
        _SEEDED_RASA,
        str(seed),
        "test",
        "nlu",
        "--nlu",
        "bot/data",
        "--config",
        "config.yml",
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out),
        "--no-plot",
    ]
    result = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr)
    report = out / "intent_report.json"
    if result.returncode != 0 or not report.exists():
        raise SystemExit(f"rasa cross-validation failed (exit {result.returncode})")
    return report


def summarise(
    report: dict[str, dict[str, float]],
) -> tuple[list[tuple[str, float, float, float, int]], float]:
    """Per-intent rows (intent, precision, recall, f1, support) and the macro F1."""
    rows = []
    for intent, figures in sorted(report.items()):
        if not isinstance(figures, dict) or "f1-score" not in figures:
            continue
        if intent in {"accuracy", "macro avg", "weighted avg", "micro avg"}:
            continue
        rows.append(
            (
                intent,
                figures["precision"],
                figures["recall"],
                figures["f1-score"],
                int(figures["support"]),
            )
        )
    typed = [r for r in rows if not r[0].startswith("EXTERNAL_")]
    macro = sum(r[3] for r in typed) / len(typed) if typed else 0.0
    return rows, macro


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "var" / "eval" / "nlu_cv"))
    parser.add_argument("--rasa", default=str(ROOT / ".venv-rasa" / "bin" / "rasa"))
    parser.add_argument(
        "--report", help="summarise an existing intent_report.json instead of running"
    )
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--seed", type=int, default=42, help="seed of the fold split")
    args = parser.parse_args()

    out = Path(args.out)
    report_path = (
        Path(args.report)
        if args.report
        else run_cross_validation(out, args.folds, args.rasa, args.seed)
    )
    rows, macro = summarise(json.loads(report_path.read_text(encoding="utf-8")))
    print(f"NLU {args.folds}-fold cross-validation (test folds), per intent:")
    print(f"| {'intent':<24} | precision | recall |   f1  | support |")
    print(f"|{'-' * 26}|-----------|--------|-------|---------|")
    for intent, p, r, f1, n in rows:
        print(f"| {intent:<24} |   {p:.3f}   | {r:.3f}  | {f1:.3f} | {n:>7} |")
    print(f"intent macro F1 (typed intents): {macro:.3f} (target >= {args.target:.2f})")
    (out / "summary.json").write_text(
        json.dumps(
            {"macro_f1": macro, "intents": {r[0]: r[3] for r in rows}}, ensure_ascii=False, indent=1
        ),
        encoding="utf-8",
    )
    return 0 if macro >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
