"""The plan parser: contract ids, no text lost, departments, page-break repair."""

from __future__ import annotations

import re

from knowledge.clauses import body_paragraphs, parse_departments, parse_plan, split_sentences

CONTRACT_IDS = (
    ["A1", "A2"]
    + [f"T{i}" for i in range(1, 19)]
    + [f"S{i}" for i in range(1, 8)]
    + [f"G{i}" for i in range(1, 4)]
)
HEADING_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]).*$")


def test_all_contract_ids_in_order(plan_text: str) -> None:
    ids = [c.id for c in parse_plan(plan_text)]
    assert ids == CONTRACT_IDS


def test_every_body_sentence_is_in_exactly_one_clause(plan_text: str) -> None:
    clauses = parse_plan(plan_text)
    sentences = [
        s
        for p in body_paragraphs(plan_text)
        if not HEADING_RE.match(p)
        for s in split_sentences(re.sub(r"^\d{1,2}[.．、]\s*", "", p))
    ]
    assert len(sentences) > 150
    for sentence in sentences:
        owners = [c.id for c in clauses if sentence in c.text.replace("\n", "")]
        assert len(owners) == 1, (sentence, owners)


def test_body_ends_before_the_distribution_list(plan_text: str) -> None:
    joined = "".join(c.text for c in parse_plan(plan_text))
    assert "抄送" not in joined
    assert "此件删减后公开" not in joined


def test_page_breaks_are_repaired(plan_text: str) -> None:
    by_id = {c.id: c for c in parse_plan(plan_text)}
    assert "现代服务业等配套产业" in by_id["A2"].text
    assert "不再一一列出" in by_id["T1"].text
    assert "加大宣传力度" in by_id["T10"].text
    assert "“中药+康养”" in by_id["T12"].text
    assert "责任转换政策" in by_id["T14"].text
    assert "养老机构运营" in by_id["S3"].text


def test_titles_and_groups(plan_text: str) -> None:
    by_id = {c.id: c for c in parse_plan(plan_text)}
    assert by_id["A1"].title == "指导思想"
    assert by_id["T1"].title == "老年助餐行动"
    assert by_id["T18"].title == "适老化改造行动"
    assert by_id["S7"].title == "打击涉老诈骗行为"
    assert by_id["G3"].title == "营造友好环境"
    assert "养老服务提升行动" in by_id["T1"].group
    assert "供给扩面行动" in by_id["T12"].group
    assert by_id["S1"].group == "要素支撑"
    assert by_id["G1"].group == "保障措施"


def test_departments(plan_text: str) -> None:
    by_id = {c.id: c for c in parse_plan(plan_text)}
    assert by_id["T1"].departments[:4] == ("市商务局", "市民政局", "市财政局", "市税务局")
    assert "高新区管委会" in by_id["T1"].departments
    assert by_id["S7"].departments == (
        "市委宣传部",
        "市公安局",
        "市民政局",
        "市市场监管局",
        "市广播电视台",
    )
    assert by_id["T14"].departments[:2] == ("人行阳泉分行", "国家金融监管总局阳泉分局")
    for clause in by_id.values():
        if clause.id not in ("A1", "A2"):
            assert clause.departments, clause.id
            assert all(len(d) >= 3 and "。" not in d for d in clause.departments)
    assert by_id["A1"].departments == ()


def test_every_task_also_falls_to_the_county_governments(plan_text: str) -> None:
    for clause in parse_plan(plan_text):
        if clause.id.startswith("T"):
            assert "各县区人民政府" in clause.departments, clause.id
        else:
            assert "各县区人民政府" not in clause.departments, clause.id


def test_parse_departments_variants() -> None:
    assert parse_departments("内容。（责任单位：市民政局）") == ("市民政局",)
    assert parse_departments("内容。(责任单位：甲局、乙局，丙政府。不再列出。)") == (
        "甲局",
        "乙局",
        "丙政府",
    )
    assert parse_departments("没有责任单位的句子。") == ()


def test_parse_by_numbering_not_markdown_level() -> None:
    text = "\n".join(
        [
            "# 标题",
            "",
            "前言。",
            "",
            "#### 一、总体要求",
            "",
            "## （一）指导思想",
            "",
            "正文一。",
            "",
            "（二）发展定位",
            "",
            "正文二被分",
            "",
            "页了。",
            "",
            "二、主要任务",
            "",
            "#### （一）第一组",
            "",
            "1. 甲行动。做甲。（责任单位：甲局。各项任务均需县政府落实。）",
            "",
            "### （二）第二组",
            "",
            "2. 乙行动。做乙。（责任单位：乙局）",
            "",
            "### 三、要素支撑",
            "",
            "（一）支撑一",
            "",
            "支撑正文。（责任单位：丙局）",
            "",
            "四、保障措施",
            "",
            "# （一）保障一",
            "",
            "保障正文。（责任单位：丁局）",
            "",
            "---",
            "",
            "抄送：某某。",
        ]
    )
    clauses = {c.id: c for c in parse_plan(text)}
    assert list(clauses) == ["A1", "A2", "T1", "T2", "S1", "G1"]
    assert clauses["A2"].text == "正文二被分页了。"
    assert clauses["T2"].group == "第二组"
    assert clauses["T2"].departments == ("乙局", "县政府")
    assert "抄送" not in clauses["G1"].text
