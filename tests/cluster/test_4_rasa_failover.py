"""SIGKILL of one Rasa server in the middle of a form: the conversation goes on through the
other one (same sender id), with the form's state kept, because the tracker lives in
PostgreSQL and the conversation lock in Redis; supervisord starts the killed one again."""

from __future__ import annotations

from scripts.cluster import Cluster
from tests.cluster.support import Target, joined, needs_cluster

pytestmark = needs_cluster


def test_killing_one_rasa_in_the_middle_of_a_form(cluster: Cluster, target: Target) -> None:
    sender = "cl-rasa-kill"
    assert "哪个区县" in joined(target.say(sender, "帮我查查我能不能吃上助餐"))
    assert "给谁问" in joined(target.say(sender, "2"))  # 矿区, stored before the kill
    killed = cluster.kill("rasa:rasa-1")

    for _ in range(2):  # round robin would have sent one of these to the dead server
        tracker = target.tracker(f"web:{sender}")
        assert tracker["active_loop"]["name"] == "meal_guide_form"
        assert tracker["slots"]["meal_district"] == "矿区"
    assert "哪种情况" in joined(target.say(sender, "我自己"))
    result = joined(target.say(sender, "一个人住"))
    assert "矿区" in result and "12345" in result  # the answer given before the kill counts

    # supervisord starts it again (loading its model then takes as long as at start-up,
    # which the fixture has already waited for once).
    assert cluster.wait_restarted("rasa:rasa-1", killed) != killed
