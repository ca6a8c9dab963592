"""The ``python -m knowledge`` contract, run as a subprocess with the fake embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cli_env(knowledge_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINFA_")}
    env.update(
        YINFA_KNOWLEDGE_DIR=str(knowledge_dir),
        YINFA_INDEX_DIR=str(tmp_path_factory.mktemp("index")),
        YINFA_EMBEDDING_MODEL="fake",
        PYTHONIOENCODING="utf-8",
    )
    return env


def run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knowledge", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_build_then_ensure(cli_env: dict[str, str]) -> None:
    built = run(cli_env, "build")
    assert built.returncode == 0, built.stderr
    assert "built index" in built.stderr
    assert (Path(cli_env["YINFA_INDEX_DIR"]) / "dense.faiss").exists()
    ensured = run(cli_env, "ensure")
    assert ensured.returncode == 0, ensured.stderr
    assert "up to date" in ensured.stderr


def test_ensure_builds_when_missing(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {**cli_env, "YINFA_INDEX_DIR": str(tmp_path / "fresh")}
    result = run(env, "ensure", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "built index" in result.stderr
    assert (tmp_path / "fresh" / "meta.json").exists()


def test_search_json(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "search", "96110是啥", "--top-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["query"] == "96110是啥"
    assert len(obj["results"]) == 3
    first = obj["results"][0]
    assert set(first) == {"id", "clause_ids", "title", "text", "score"}
    assert first["id"] == "scam-96110"
    assert first["clause_ids"] == ["S7"]
    assert isinstance(first["score"], float)


def test_search_batch_keeps_order(cli_env: dict[str, str], tmp_path: Path) -> None:
    questions = ["老年助餐谁能用", "", "😀", "zcd", "冒充警察让我转钱"]
    batch = tmp_path / "q.txt"
    batch.write_text("\n".join(questions) + "\n", encoding="utf-8")
    result = run(cli_env, "search", "--batch", str(batch), "--top-k", "2", "--json")
    assert result.returncode == 0, result.stderr
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["query"] for o in objs] == questions
    assert objs[0]["results"][0]["id"] == "meal-who-can-use"
    assert objs[1]["results"] == [] and objs[2]["results"] == []
    assert objs[3]["results"][0]["id"] == "meal-where"
    assert all(len(o["results"]) <= 2 for o in objs)


def test_search_errors_are_clear(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = run(cli_env, "search", "--batch", str(tmp_path / "nope.txt"), "--json")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    nothing = run(cli_env, "search")
    assert nothing.returncode == 2 and "question" in nothing.stderr
    bad_k = run(cli_env, "search", "助餐", "--top-k", "0")
    assert bad_k.returncode == 2


def test_search_odd_input(cli_env: dict[str, str]) -> None:
    for query in ["a" * 10_000, "\x01\x02", "Привет 老人 🍚"]:
        result = run(cli_env, "search", query, "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["query"] == query


def test_export(cli_env: dict[str, str], corpus) -> None:  # type: ignore[no-untyped-def]
    result = run(cli_env, "export", "--json")
    assert result.returncode == 0, result.stderr
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in objs] == [d.id for d in corpus.documents]
    assert all(set(o) == {"id", "clause_ids", "title", "text"} for o in objs)
    assert {o["id"] for o in objs} >= {"A1", "T18", "S7", "G3", "meal-where"}


def test_eval(cli_env: dict[str, str], tmp_path: Path) -> None:
    questions = tmp_path / "eval.yml"
    questions.write_text(
        "- {q: 老年助餐谁能用, expect: [meal-who-can-use], kind: faq, noise: none}\n"
        "- {q: zcd, expect: [T1], kind: operator, noise: pinyin}\n"
        "- {q: 96110是啥, expect: [scam-96110], kind: faq, noise: dialect}\n",
        encoding="utf-8",
    )
    result = run(cli_env, "eval", str(questions))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for needle in ("hybrid", "bm25", "dense", "h@3", "mrr", "all", "kind:faq", "noise:pinyin"):
        assert needle in out
    as_json = run(cli_env, "eval", str(questions), "--json")
    numbers = json.loads(as_json.stdout)
    assert numbers["hybrid"]["all"]["hit@3"] == 1.0
    assert set(numbers) == {"hybrid", "bm25", "dense"}


def test_eval_rejects_bad_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- {q: 没有答案}\n", encoding="utf-8")
    result = run(cli_env, "eval", str(bad))
    assert result.returncode == 2
    assert "expect" in result.stderr
