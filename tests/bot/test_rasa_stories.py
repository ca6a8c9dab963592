"""Rasa's own checks as tests: the end-to-end test stories against the trained model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.stack import RASA_BIN, ROOT, model_path

pytestmark = [pytest.mark.slow]

STORIES = ROOT / "tests" / "stories"


def test_there_are_enough_test_stories() -> None:
    text = (STORIES / "test_stories.yml").read_text(encoding="utf-8")
    assert text.count("- story:") >= 40


def test_stories_pass_without_prediction_errors(tmp_path: Path) -> None:
    """``rasa test core --fail-on-prediction-errors`` over tests/stories (NLU included)."""
    result = subprocess.run(
        [
            str(RASA_BIN),
            "test",
            "core",
            "--model",
            str(model_path()),
            "--stories",
            str(STORIES),
            "--e2e",
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
            "--no-plot",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    output = result.stdout + result.stderr
    marker = output.find("Failed Story")
    details = output[max(0, marker - 200) : marker + 3000] if marker >= 0 else output[-3000:]
    assert result.returncode == 0, details
