"""Content tests for the knowledge data: schema, coverage, truthfulness, eval set.

Run with ``.venv/bin/python -m pytest tests/test_knowledge_content.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from knowledge.clauses import parse_plan

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "knowledge" / "data"
SHARED_SOURCES = ROOT.parent / "shared" / "sources"
EVAL_FILE = ROOT / "tests" / "eval" / "dev" / "questions.yml"

# Days the dated answers are checked on (issue 11): the 2025 round, the 2026 round, after both.
DAYS = (dt.date(2025, 6, 1), dt.date(2026, 12, 1), dt.date(2027, 3, 1))
# A topic is an entry file (knowledge/data/entries/<topic>.yml); new topics are new files.
TOPICS = {p.stem for p in (DATA / "entries").glob("*.yml")}
CLAUSE_IDS = (
    ["A1", "A2"]
    + [f"T{i}" for i in range(1, 19)]
    + [f"S{i}" for i in range(1, 8)]
    + [f"G{i}" for i in range(1, 4)]
)
FACT_SHEET_IDS = [f"S{i}" for i in range(1, 59)]


def _registry() -> dict[str, dict]:
    """Every source of the registries ``knowledge/data/sources/*.yml`` by id."""
    items: dict[str, dict] = {}
    for path in sorted((DATA / "sources").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items[str(item["id"])] = dict(item)
    return items


REGISTRY = _registry()
SOURCE_IDS = sorted(REGISTRY)
SCOPES = {"yangquan", "shanxi", "national", "elsewhere"}
FACT_SHEETS = ["facts.md", *sorted(p.name for p in (DATA / "sources").glob("national-*.md"))]
REQUIRED_KEYS = {"id", "topic", "title", "questions", "answer", "clause_ids", "sources"}
OPTIONAL_KEYS = {"more", "steps", "valid_from", "valid_until", "scam_type", "added"}
NOISE_KINDS = {"typo", "homophone", "pinyin", "dialect", "short", "long", "none"}
# Every scam type the fact sheet describes must have at least one entry.
REQUIRED_SCAM_TYPES = {
    "health_products",
    "house_pension",
    "pension_project",
    "impersonate_police",
    "impersonate_family",
    "ai_face_swap",
    "fake_prize",
    "fake_subsidy",
    "pension_auth_sms",
    "cheap_tour",
    "collectibles",
    "agent_social_insurance",
    "romance",
}
COLLOQUIAL_RE = re.compile(r"[俺咋甚啥咱]|中不中")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL_RE = re.compile(r"https?://|www\.|\.com\b|\.cn\b", re.IGNORECASE)

# Fact tokens: dates are checked whole, then every number (with its % sign if any).
DATE_RE = re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}-\d{1,2}-\d{1,2}")
NUMBER_RE = re.compile(r"\d+(?:\.\d+)?%?")
FACT_TAG_RE = re.compile(r"\[([SN]\d+)\]")
URL_RE_FULL = re.compile(r"https?://\S+")


# ---------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def load_entries() -> list[dict]:
    entries: list[dict] = []
    for path in sorted((DATA / "entries").glob("*.yml")):
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(items, list), f"{path.name} is not a YAML list"
        for item in items:
            item = dict(item)
            item["_file"] = path.stem
            entries.append(item)
    return entries


@lru_cache(maxsize=1)
def load_eval() -> list[dict]:
    items = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    assert isinstance(items, list)
    return items


@lru_cache(maxsize=1)
def clause_texts() -> dict[str, str]:
    text = (DATA / "sources" / "plan.md").read_text(encoding="utf-8")
    return {clause.id: clause.text for clause in parse_plan(text)}


def _tags(line: str) -> set[str]:
    return set(FACT_TAG_RE.findall(line))


@lru_cache(maxsize=1)
def fact_texts() -> dict[str, str]:
    """Fact-sheet text per source id (``facts.md`` and every ``national-*.md``).

    A line belongs to the ids it is tagged with. Indented sub-bullets also belong to their
    parent bullet's ids; a parent without tags takes the ids of its sub-bullets.
    """
    raw = "\n".join((DATA / "sources" / name).read_text(encoding="utf-8") for name in FACT_SHEETS)
    lines = URL_RE_FULL.sub(" ", raw).splitlines()  # numbers inside web addresses are not facts
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if line.startswith("- "):
            current = [line]
            blocks.append(current)
        elif current is not None and re.match(r"^\s+(?:- |\d+\. )", line):
            current.append(line)
        else:
            current = None
            blocks.append([line])
    by_id: dict[str, list[str]] = defaultdict(list)
    for block in blocks:
        parent = _tags(block[0]) or set().union(*(_tags(line) for line in block))
        for index, line in enumerate(block):
            ids = parent if index == 0 else parent | _tags(line)
            for source_id in ids:
                by_id[source_id].append(line)
    return {key: "\n".join(value) for key, value in by_id.items()}


def entry_text(entry: dict) -> str:
    parts = [entry.get("answer") or "", entry.get("more") or ""]
    parts.extend(entry.get("steps") or [])
    return "\n".join(parts)


def cited_text(entry: dict) -> str:
    clauses = clause_texts()
    facts = fact_texts()
    parts = [clauses[c] for c in entry.get("clause_ids") or [] if c in clauses]
    parts += [facts.get(s, "") for s in entry.get("sources") or []]
    return "\n".join(parts)


def fact_tokens(text: str) -> list[str]:
    """Dates (whole) and numbers (with % when present) stated in ``text``."""
    tokens = DATE_RE.findall(text)
    tokens += NUMBER_RE.findall(DATE_RE.sub(" ", text))
    return tokens


def token_in(token: str, source: str) -> bool:
    if DATE_RE.fullmatch(token):
        return token in source
    pattern = r"(?<![\d.])" + re.escape(token) + r"(?!\.?\d)"
    return re.search(pattern, source) is not None


def normalise(text: str) -> str:
    return re.sub(r"[\W_]+", "", str(text)).lower()


ENTRIES = load_entries()
ENTRY_IDS = [e.get("id", "?") for e in ENTRIES]


# ---------------------------------------------------------------- sources


def test_sources_are_exact_copies() -> None:
    pairs = {
        "plan.md": "yangquan-2025-37-silver-economy-plan.md",
        "facts.md": "facts.md",
    }
    for local, shared in pairs.items():
        shared_path = SHARED_SOURCES / shared
        if not shared_path.exists():
            pytest.skip("shared sources not available")
        assert (DATA / "sources" / local).read_bytes() == shared_path.read_bytes()


def test_plan_has_every_contract_clause() -> None:
    assert sorted(clause_texts()) == sorted(CLAUSE_IDS)


def test_every_fact_sheet_source_is_in_the_registry() -> None:
    assert set(FACT_SHEET_IDS) <= set(REGISTRY)
    for sid, item in REGISTRY.items():
        assert item["scope"] in SCOPES, sid
        assert sid in fact_texts() or sid.startswith("N"), f"{sid}: no fact line"


def test_every_cited_source_has_fact_lines() -> None:
    facts = fact_texts()
    for entry in ENTRIES:
        for sid in entry["sources"]:
            assert sid in facts, f"{entry['id']}: {sid} has no tagged fact line"


# ---------------------------------------------------------------- schema


@pytest.mark.parametrize("entry", ENTRIES, ids=ENTRY_IDS)
def test_entry_schema(entry: dict) -> None:
    keys = set(entry) - {"_file"}
    assert keys >= REQUIRED_KEYS, f"missing {REQUIRED_KEYS - keys}"
    assert keys <= REQUIRED_KEYS | OPTIONAL_KEYS, (
        f"unknown keys {keys - REQUIRED_KEYS - OPTIONAL_KEYS}"
    )
    assert ID_RE.match(entry["id"]), entry["id"]
    assert entry["topic"] in TOPICS
    assert entry["topic"] == entry["_file"], "entry filed under the wrong topic file"
    assert isinstance(entry["title"], str) and 0 < len(entry["title"]) <= 14
    assert isinstance(entry["answer"], str) and 0 < len(entry["answer"]) <= 120, len(
        entry["answer"]
    )
    if "more" in entry:
        assert isinstance(entry["more"], str) and entry["more"].strip()
    if "steps" in entry:
        assert isinstance(entry["steps"], list) and entry["steps"]
        assert all(isinstance(s, str) and s.strip() for s in entry["steps"])
    questions = entry["questions"]
    assert isinstance(questions, list) and len(questions) >= 3
    assert all(isinstance(q, str) and q.strip() for q in questions)
    assert len({normalise(q) for q in questions}) == len(questions), "repeated phrasing"
    assert any(COLLOQUIAL_RE.search(q) for q in questions), "no colloquial phrasing"
    assert isinstance(entry["clause_ids"], list) and isinstance(entry["sources"], list)
    assert set(entry["clause_ids"]) <= set(CLAUSE_IDS), entry["clause_ids"]
    assert set(entry["sources"]) <= set(SOURCE_IDS), entry["sources"]
    if entry["topic"] != "general":
        assert entry["clause_ids"] or entry["sources"], "an entry must rest on a source"
    for key in ("valid_from", "valid_until"):
        if key in entry:
            assert isinstance(entry[key], dt.date), f"{key} must be a date"
    if "valid_from" in entry and "valid_until" in entry:
        assert entry["valid_from"] <= entry["valid_until"]
    if "scam_type" in entry:
        assert entry["topic"] == "scam"


def test_ids_unique() -> None:
    counts = Counter(ENTRY_IDS)
    assert not [i for i, n in counts.items() if n > 1]


def test_phrasings_unique_across_entries() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for entry in ENTRIES:
        for q in entry["questions"]:
            key = normalise(q)
            if key in seen and seen[key] != entry["id"]:
                clashes.append((q, seen[key], entry["id"]))
            seen[key] = entry["id"]
    assert not clashes


# ---------------------------------------------------------------- coverage


def test_counts() -> None:
    topics = Counter(e["topic"] for e in ENTRIES)
    assert len(ENTRIES) >= 160
    assert topics["meal"] >= 28
    assert topics["adaptation"] + topics["trade_in"] >= 28
    assert topics["scam"] >= 28


def test_every_clause_is_cited() -> None:
    cited = {c for e in ENTRIES for c in e["clause_ids"]}
    assert set(CLAUSE_IDS) - cited == set()


def test_every_scam_type_is_covered() -> None:
    types = {e.get("scam_type") for e in ENTRIES if e["topic"] == "scam"}
    assert REQUIRED_SCAM_TYPES - types == set()


def test_trade_in_rounds_are_dated() -> None:
    trade = [e for e in ENTRIES if e["topic"] == "trade_in"]
    ended = {e["valid_until"].year for e in trade if "valid_until" in e}
    started = {e["valid_from"].year for e in trade if "valid_from" in e}
    assert {2024, 2025} <= ended
    assert 2026 in started


@pytest.mark.parametrize("entry", ENTRIES, ids=ENTRY_IDS)
def test_expired_rules_name_their_year(entry: dict) -> None:
    # Later days are covered by the dialogue: say_entry prefixes "<year>年的政策是：".
    day = DAYS[1]
    until = entry.get("valid_until")
    if until is None or until >= day:
        return
    assert f"{until.year}年" in entry["answer"], "an expired rule must say which year it was for"


def test_key_safety_messages_present() -> None:
    texts = [entry_text(e) for e in ENTRIES]
    assert any("12345" in t and "不是紧急电话" in t for t in texts)
    assert any("110" in t and "96110" in t for t in texts)
    assert any("国家反诈中心" in t for t in texts)


# ---------------------------------------------------------------- truthfulness


@pytest.mark.parametrize("entry", ENTRIES, ids=ENTRY_IDS)
def test_numbers_come_from_cited_sources(entry: dict) -> None:
    source = cited_text(entry)
    text = entry_text(entry) + "\n" + entry["title"]
    missing = [t for t in fact_tokens(text) if not token_in(t, source)]
    assert not missing, f"not in cited sources {entry['clause_ids']} {entry['sources']}: {missing}"


def _place_words(place: str) -> list[str]:
    return [w.replace("等地", "").replace("某地", "") for w in re.split(r"[、，,]", place) if w]


def scoped_texts(entry: dict) -> list[tuple[str, str, str]]:
    """(scope, place, text) of everything the entry cites: clauses are Yangquan's."""
    clauses = clause_texts()
    facts = fact_texts()
    found = [("yangquan", "", clauses[c]) for c in entry.get("clause_ids") or [] if c in clauses]
    for sid in entry.get("sources") or []:
        item = REGISTRY.get(sid, {})
        found.append((item.get("scope", "national"), item.get("place") or "", facts.get(sid, "")))
    return found


PHONE_NUMBERS = {"110", "119", "120", "12345", "12333", "96110"}
NATIONAL_WORDS_RE = re.compile(r"国家|全国|国务院|中央|国新办|[^门]部|医保局|总局|世界卫生组织")


def scoped_tokens(sentence: str) -> list[str]:
    """Amounts of a sentence whose scope matters (not years, dates or the national phone numbers)."""
    return [
        t
        for t in fact_tokens(sentence)
        if not DATE_RE.fullmatch(t)
        and t not in PHONE_NUMBERS
        and not re.fullmatch(r"(19|20)\d\d", t)
    ]


@pytest.mark.parametrize("entry", ENTRIES, ids=ENTRY_IDS)
def test_numbers_come_from_sources_of_the_right_scope(entry: dict) -> None:
    """An amount said of 阳泉 comes from the plan or a Yangquan source, one said of 山西 from a
    Shanxi source (or a national one when the sentence names a national body); an amount only
    another place has is said with that place's name in the same bubble."""
    scoped = scoped_texts(entry)
    fields = [entry.get("answer") or "", entry.get("more") or "", *(entry.get("steps") or [])]
    for field in fields:
        for sentence in re.split(r"[。；！？\n]", field):
            if re.search(r"没有|没找到|不代表|还没", sentence):
                continue  # a statement of what is not known
            allowed = {"national"} if NATIONAL_WORDS_RE.search(sentence) else set()
            if "阳泉" in sentence:
                allowed |= {"yangquan"}
            elif "山西" in sentence:
                allowed |= {"shanxi"}
            else:
                allowed = set(SCOPES)
            for token in scoped_tokens(sentence):
                holders = [(scope, place) for scope, place, src in scoped if token_in(token, src)]
                if not holders:
                    continue  # test_numbers_come_from_cited_sources reports it
                scopes = {scope for scope, _ in holders}
                assert scopes & allowed, f"{token} in “{sentence}” comes from {scopes}"
                if scopes == {"elsewhere"} and not NATIONAL_WORDS_RE.search(field):
                    places = [w for _, place in holders for w in _place_words(place)]
                    assert any(w in field for w in places), f"name the place: {field}"


def test_token_check_is_precise() -> None:
    source = "补贴不超过30%，每件最多2000元，2025年1月27日发布，热线96110。"
    assert token_in("30%", source) and token_in("2000", source)
    assert token_in("2025年1月27日", source) and token_in("96110", source)
    assert not token_in("3", source)
    assert not token_in("20%", source)
    assert not token_in("2025年1月28日", source)
    assert not token_in("6110", source)
    assert fact_tokens("T1 没有数字") == ["1"]  # clause ids must not be written into text
    assert "22947457" not in fact_texts()["S37"]  # digits of a web address are not facts


@pytest.mark.parametrize("entry", ENTRIES, ids=ENTRY_IDS)
def test_no_unconfirmed_facts(entry: dict) -> None:
    text = entry_text(entry) + "\n" + entry["title"]
    assert "0353" not in text, "阳泉96110 display number is unconfirmed"
    assert not URL_RE.search(text), "no URLs"
    assert "|" not in text, "no tables"
    assert not re.search(r"[０-９]", text), "write digits in ASCII"
    assert not re.search(r"\d{3,4}-\d{7,8}", text), "no local phone numbers"
    for run in re.findall(r"\d{5,}", text):
        assert run in {"96110", "12345", "12333", "14510"}, f"unexpected number {run}"
    amount = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|元|%|个)")
    for sentence in re.split(r"[。！？\n]", text):
        local = "阳泉" in sentence or "山西" in sentence or "我市" in sentence
        if local and re.search(r"助餐|食堂|餐桌|饭", sentence):
            assert not amount.search(sentence), f"unpublished local meal figure: {sentence}"
        if "阳泉" in sentence and re.search(r"适老化|以旧换新|补贴", sentence):
            assert not amount.search(sentence), f"unpublished Yangquan subsidy: {sentence}"
        if "阳泉" in sentence and "长期护理保险" in sentence:
            assert re.search(r"没有|没找到|不清楚|未|问", sentence), sentence


# ---------------------------------------------------------------- vocabulary


def test_terms_file() -> None:
    lines = (DATA / "jieba" / "terms.txt").read_text(encoding="utf-8").splitlines()
    words = []
    for line in lines:
        parts = line.split()
        assert len(parts) == 3, line
        assert parts[1].isdigit()
        words.append(parts[0])
    assert len(words) >= 150
    assert len(set(words)) == len(words)
    for must in ("助餐", "适老化", "以旧换新", "96110", "12345", "养老金认证", "冒充公检法"):
        assert must in words


def test_synonyms_file() -> None:
    mapping = yaml.safe_load((DATA / "synonyms.yml").read_text(encoding="utf-8"))
    assert isinstance(mapping, dict) and len(mapping) >= 40
    for key, value in mapping.items():
        assert isinstance(key, str) and isinstance(value, str)
        assert key != value and key.strip() and value.strip()
        assert key not in value, f"{key} -> {value} would re-apply forever"
    assert mapping["咋"] == "怎么" and mapping["俺"] == "我"


# ---------------------------------------------------------------- eval set


def test_eval_set() -> None:
    items = load_eval()
    assert len(items) >= 280
    known = set(ENTRY_IDS) | set(CLAUSE_IDS)
    phrasings = {normalise(q) for e in ENTRIES for q in e["questions"]}
    noise: Counter[str] = Counter()
    seen = set()
    for item in items:
        assert set(item) == {"q", "expect", "kind", "noise"}, item
        assert item["kind"] in TOPICS, item
        assert item["noise"] in NOISE_KINDS, item
        assert isinstance(item["expect"], list) and item["expect"], item
        assert set(item["expect"]) <= known, item
        key = normalise(item["q"])
        assert key not in phrasings, f"eval repeats an entry phrasing: {item['q']}"
        assert key not in seen, f"duplicate eval question: {item['q']}"
        seen.add(key)
        if item["noise"] == "long":
            assert 60 <= len(item["q"]) <= 200, item["q"]
        if item["noise"] == "short":
            assert len(item["q"]) <= 10, item["q"]
        noise[item["noise"]] += 1
    for kind in NOISE_KINDS - {"none"}:
        assert noise[kind] >= 30, (kind, noise[kind])


def test_no_entry_is_a_paraphrase_of_another() -> None:
    """Every entry answers its own sub-question: no two first bubbles share most of their
    character pairs (Jaccard above 0.7 of character bigrams)."""
    import itertools

    def pairs(text: str) -> set[str]:
        return {text[i : i + 2] for i in range(len(text) - 1)}

    bubbles = [(e["id"], pairs(e["answer"])) for e in ENTRIES]
    close = [
        (a, b)
        for (a, x), (b, y) in itertools.combinations(bubbles, 2)
        if len(x & y) / max(1, len(x | y)) > 0.7
    ]
    assert not close


def test_at_least_400_entries() -> None:
    assert len(ENTRIES) >= 400
