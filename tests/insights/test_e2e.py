"""The question log on the real stack (real Rasa, real actions): outcomes and privacy."""

from __future__ import annotations

import re
import time

import pytest

from core.database import Database
from tests.insights.support import log_rows
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def _rows_until(database: Database, last_text: str, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    """The log once its newest row is ``last_text`` (rows are written in turn order by one
    writer; rows of earlier tests on the shared stack may still land before ours)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = log_rows(database)
        if (rows and rows[-1].text == last_text) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_real_turns_are_logged_with_their_outcome_and_no_numbers(stack: Stack) -> None:
    database = Database(f"sqlite:///{stack.app_db}")
    before = len(log_rows(database))
    said = [
        ("insights-e2e", "谁能用老年助餐"),
        ("insights-e2e", "有人打电话说我孙子出事了，让我转钱"),
        ("insights-e2e", "我身份证110105194912310021，电话13812345678，验证码482913"),
        ("insights-e2e-hello", "你好"),
    ]
    for sender, text in said:
        assert stack.chat(sender, text).status_code == 200
    rows = _rows_until(database, said[-1][1])[before:][-len(said) :]
    database.dispose()
    assert len(rows) == len(said)
    assert rows[0].text == said[0][1] and rows[-1].text == said[-1][1]  # ours, in turn order
    outcomes = [r.outcome for r in rows]
    assert outcomes[0] == "answered" and rows[0].entry_id and rows[0].confidence is not None
    assert outcomes[1] == "scam_warning"
    assert outcomes[3] == "other"
    everything = " ".join(f"{r.text} {r.entry_id} {r.topic} {r.conversation_key}" for r in rows)
    assert not re.search(r"\d{6,}", everything)
    assert "insights-e2e" not in everything
