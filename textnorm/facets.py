"""What a question asks about a topic: who, cost, how to apply, where, age, choice, complaint.

Residents ask about one topic in a handful of ways ("谁能去", "要钱不", "咋申请", "在哪",
"多大岁数", "能自己挑吗", "不给办咋办"). Entries answer one such sub-question each; the
retriever prefers entries whose own questions ask the same thing as the user.
"""

from __future__ import annotations

import re

FACETS: dict[str, re.Pattern[str]] = {
    "cost": re.compile(r"钱|费|补贴|补助|免费|收费|花多少|掏|价|贵|便宜|报销|出资|谁出|谁付|谁掏|多少元"),
    "who": re.compile(r"谁能|谁可以|哪些人|什么人|啥人|条件|资格|够不够|符合|算不算|能不能(去|用|享受|参加|办|领)|我能|俺能|能享受"),
    "apply": re.compile(r"申请|办理|咋办|怎么办|手续|材料|证件|带什么|带啥|报名|登记|流程|步骤|怎么弄|咋弄|咋申|怎么申"),
    "where": re.compile(r"哪里|哪儿|在哪|哪有|地址|附近|哪个部门|找谁|去哪"),
    "age": re.compile(r"岁|年龄|年纪|多大|高龄"),
    "choose": re.compile(r"选|挑|自己定|换一家|自愿|强制|必须|非得|可以不"),
    "complain": re.compile(r"投诉|不满意|不给办|拒绝|举报|不合理|乱收|反映|维权|被拒"),
}


def facets(text: str) -> frozenset[str]:
    """The sub-questions ``text`` asks (empty when it asks none of them)."""
    return frozenset(name for name, rx in FACETS.items() if rx.search(text or ""))
