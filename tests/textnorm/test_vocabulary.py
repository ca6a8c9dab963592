"""The NLU normaliser is the shared one: same code and vocabulary as the retriever."""

from __future__ import annotations

from pathlib import Path

import pytest

from textnorm.normalize import Normalizer
from textnorm.vocabulary import Vocabulary, load_vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return load_vocabulary(ROOT / "knowledge" / "data").normalizer()


def repair(normalizer: Normalizer, text: str) -> str:
    return normalizer.normalize(text).text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("住餐是什么", "助餐"),  # homophone typo
        ("是老化改造", "适老化"),
        ("zhucan", "助餐"),  # pinyin
        ("以就换新", "以旧换新"),
        ("验正码", "验证码"),
    ],
)
def test_typos_become_domain_terms(normalizer: Normalizer, typed: str, expected: str) -> None:
    assert expected in repair(normalizer, typed)


def test_dialect_words_become_standard(normalizer: Normalizer) -> None:
    assert repair(normalizer, "俺想问问咋办") == "我想问问怎么办"


@pytest.mark.parametrize("text", ["你好", "城区", "一个人住", "再见"])
def test_ordinary_words_are_left_alone(normalizer: Normalizer, text: str) -> None:
    assert repair(normalizer, text) == text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("俺好像上当了", "我好像上当了"),  # not 暗号 (an/hao across 俺|好像)
        ("哪趟公交去火车站", "哪趟公交去火车站"),  # not 公郊区 (jiao/qu across 公交|去)
    ],
)
def test_a_repair_never_cuts_through_a_real_word(
    normalizer: Normalizer, typed: str, expected: str
) -> None:
    assert repair(normalizer, typed) == expected


def test_without_vocabulary_nothing_changes() -> None:
    assert repair(Vocabulary({}, {}, {}).normalizer(), "住餐 zhucan") == "住餐 zhucan"


def test_there_is_one_normaliser() -> None:
    """No drifted copy: the Rasa component and the retriever import textnorm, and nothing
    else in the tree defines a Normalizer or a pinyin repair."""
    component = (ROOT / "bot" / "components" / "normalizer.py").read_text(encoding="utf-8")
    retriever = (ROOT / "knowledge" / "retriever.py").read_text(encoding="utf-8")
    assert "from textnorm" in component and "from textnorm" in retriever
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"textnorm", ".venv", ".venv-rasa", "tests", "var"}:
            continue
        source = path.read_text(encoding="utf-8")
        if "lazy_pinyin" in source or "class Normalizer" in source:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


def test_textnorm_imports_only_its_three_libraries() -> None:
    import ast

    allowed = {"jieba", "pypinyin", "yaml", "textnorm", "__future__"}
    stdlib_ok = {
        "hashlib",
        "logging",
        "re",
        "unicodedata",
        "collections",
        "dataclasses",
        "itertools",
        "pathlib",
        "typing",
        "functools",
        "math",
    }
    for path in (ROOT / "textnorm").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in allowed | stdlib_ok, f"{path.name} imports {name}"


@pytest.mark.parametrize("text", ["助洁服务收钱不", "上门助浴服务"])
def test_known_words_are_no_typo_of_a_near_term(normalizer: Normalizer, text: str) -> None:
    # 助洁 + 服务 are both known: one character away from 助餐服务 is not a typo.
    assert repair(normalizer, text) == text


def test_a_window_with_an_unknown_piece_is_still_repaired(normalizer: Normalizer) -> None:
    assert "幸福食堂" in repair(normalizer, "社区幸福食唐在哪")


def test_digest_follows_the_vocabulary_files(tmp_path: Path) -> None:
    """Rasa's training cache keys the NLU normaliser on this digest: an entry edited must
    change it, so no stale normalisation is restored."""
    import shutil

    from textnorm.vocabulary import vocabulary_digest

    data = tmp_path / "data"
    shutil.copytree(ROOT / "knowledge" / "data", data, ignore=shutil.ignore_patterns("sources"))
    (data / "sources").mkdir()
    shutil.copy(ROOT / "knowledge" / "data" / "sources" / "plan.md", data / "sources")
    before = vocabulary_digest(data)
    assert vocabulary_digest(data) == before
    entry = next((data / "entries").glob("*.yml"))
    entry.write_text(entry.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert vocabulary_digest(data) != before
