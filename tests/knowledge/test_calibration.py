"""The confidence calibration: it records the model it was fitted on, and a retriever never
uses a calibration fitted on another model's cosines."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from knowledge.calibration import fit, load_calibration, write
from knowledge.embedding import E5_SCALE, USE_SCALE, FakeEmbedder, cosine_scale
from knowledge.retriever import DEFAULT_THRESHOLD, Retriever

# Two signals, separable: the first is high for right answers.
XS = [[0.9, 0.1] * 5, [0.8, 0.2] * 5, [0.2, 0.7] * 5, [0.1, 0.9] * 5] * 5
YS = [1, 1, 0, 0] * 5


def test_a_written_calibration_keeps_its_model_and_its_probabilities(tmp_path: Path) -> None:
    fitted = fit(XS, YS, 0.6, "some-model")
    write(fitted, tmp_path, "test")
    loaded = load_calibration(tmp_path)
    assert loaded is not None
    assert loaded.model == "some-model" and loaded.threshold == 0.6
    assert loaded.probability(XS[0]) > 0.5 > loaded.probability(XS[2])
    assert loaded.probability(XS[0]) == pytest.approx(fitted.probability(XS[0]), abs=1e-4)


@pytest.mark.parametrize(("model", "used"), [("fake", True), ("", True), ("other-model", False)])
def test_the_retriever_uses_only_a_calibration_of_its_own_model(
    model: str,
    used: bool,
    knowledge_dir: Path,
    tmp_path: Path,
    app_settings,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(knowledge_dir, data)
    write(fit(XS, YS, 0.6, model), data, "test")
    settings = app_settings.model_copy(
        update={"knowledge_dir": data, "index_dir": tmp_path / "index", "embedding_model": "fake"}
    )
    with caplog.at_level(logging.WARNING, logger="knowledge.retriever"):
        retriever = Retriever.load(settings)
    if used:
        assert retriever.calibration is not None and retriever.threshold == 0.6
    else:
        assert retriever.calibration is None and retriever.threshold == DEFAULT_THRESHOLD
        assert "fitted on other-model" in caplog.text


def test_each_model_has_its_cosine_scale() -> None:
    class E5Like:
        scale = E5_SCALE

    assert cosine_scale(FakeEmbedder()) is USE_SCALE
    assert cosine_scale(E5Like()) is E5_SCALE
