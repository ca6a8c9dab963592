"""Locust scenario for ``make bench-load``: residents using the web page.

Each simulated resident does what the page does (channels/web/static/js/chat.js and
feedback.js): ``POST /api/chat`` with its ``sender_id`` and text (a tapped button sends
its payload), and ``POST /api/feedback`` with the ``message_id`` of an answer's last
bubble. The mix, by weight:

* 6 — a policy question from the development set (tests/eval/dev/e2e.yml, never the
  frozen test set; the messages are in ``scripts/question_mix.py``), as the first message of a new conversation; a third of them are
  followed by 有用/没用 feedback;
* 1 — the meal guide: its trigger, then the first button of every reply, up to 6 turns;
* 1 — the scam check: the development set's scam-check conversation;
* 1 — 你好, the greeting a new conversation often starts with.

Think time between a user's requests comes from ``LOAD_THINK_S`` (seconds, mean; 0 = a
closed loop, each user sending the next message as soon as the answer arrives). A reply
that is not 200 or has no bubble is a failure.
"""

from __future__ import annotations

import os
import random
import uuid
from typing import Any

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser
from question_mix import GUIDE_TRIGGER, GUIDE_TURNS, SCAM_TURNS, policy_questions

QUESTIONS = policy_questions()
THINK_S = float(os.environ.get("LOAD_THINK_S", "0") or 0)


class Resident(FastHttpUser):
    """One older resident at the web page."""

    wait_time = between(0.5 * THINK_S, 1.5 * THINK_S) if THINK_S > 0 else constant(0)

    def _chat(self, sender: str, text: str) -> list[dict[str, Any]]:
        with self.client.post(
            "/api/chat",
            json={"sender_id": sender, "text": text},
            name="/api/chat",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return []
            messages = list((response.json() or {}).get("messages") or [])
            if not messages:
                response.failure("no bubble")
            return messages

    def _think(self) -> None:
        if THINK_S > 0:
            self.wait()

    @staticmethod
    def _sender() -> str:
        return f"load-{uuid.uuid4().hex[:16]}"

    @task(6)
    def policy_question(self) -> None:
        sender = self._sender()
        messages = self._chat(sender, random.choice(QUESTIONS))
        if messages and random.random() < 1 / 3:
            self._think()
            last = messages[-1]
            body = {
                "sender_id": sender,
                "message_id": last.get("message_id", ""),
                "useful": random.random() < 0.8,
                "answer_text": str(last.get("text") or "")[:2000],
            }
            with self.client.post(
                "/api/feedback", json=body, name="/api/feedback", catch_response=True
            ) as response:
                if response.status_code != 201:
                    response.failure(f"status {response.status_code}")

    @task(1)
    def meal_guide(self) -> None:
        sender = self._sender()
        messages = self._chat(sender, GUIDE_TRIGGER)
        for _ in range(GUIDE_TURNS - 1):
            buttons = [b for m in messages for b in m.get("buttons") or []]
            if not buttons:
                return
            self._think()
            messages = self._chat(sender, str(buttons[0]["payload"]))

    @task(1)
    def scam_check(self) -> None:
        sender = self._sender()
        for number, text in enumerate(SCAM_TURNS):
            if number:
                self._think()
            self._chat(sender, text)

    @task(1)
    def greeting(self) -> None:
        self._chat(self._sender(), "你好")
