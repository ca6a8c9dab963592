"""Knowledge-first answers: scam warning first, other places, referrals, follow-ups, guides."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_ups import subject_of
from actions.places import other_place
from actions.policy_answer import ActionAnswerPolicy
from tests.support.dialogue import make_tracker, texts


async def answer(services, domain, text: str, **kwargs):  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerPolicy(services).run(
        dispatcher, make_tracker(text, **kwargs), domain
    )
    return dispatcher, events


async def test_a_scam_gets_the_warning_in_the_first_bubble(services, retriever, domain) -> None:
    text = "有人打电话说我孙子在外地出车祸了，让我马上转五万块钱"
    retriever.answers[text] = ["scam-impersonate-family"]
    dispatcher, _ = await answer(services, domain, text, intent="ask_policy")
    said = texts(dispatcher)
    assert said[0] == "utter_scam_warning"
    warning = domain["responses"]["utter_scam_warning"][0]["text"]
    assert "110" in warning and "96110" in warning
    assert warning.index("110") < warning.index("96110")  # 110 first: scammed or in danger


async def test_a_single_weak_cue_warns_only_when_retrieval_finds_a_scam(
    services, retriever, domain
) -> None:
    text = "这个保健品正规吗"  # two weak cues: products + legit
    retriever.answers[text] = ["scam-health-products"]
    dispatcher, _ = await answer(services, domain, text)
    assert texts(dispatcher)[0] == "utter_scam_warning"

    plain = "社区食堂正规吗"  # one weak cue, retrieval finds no scam
    retriever.answers[plain] = ["meal-who-can-use"]
    dispatcher, _ = await answer(services, domain, plain)
    assert "utter_scam_warning" not in texts(dispatcher)


async def test_a_privacy_worry_is_answered_plainly(services, retriever, domain) -> None:
    dispatcher, _ = await answer(services, domain, "你要我身份证号干啥")
    assert texts(dispatcher) == ["utter_privacy_reassure"]
    said = domain["responses"]["utter_privacy_reassure"][0]["text"]
    assert "身份证号" in said and "不需要" in said


async def test_what_to_do_right_after_a_scam_answer_warns_first(
    services, retriever, domain
) -> None:
    retriever.answers["那我现在该咋办"] = ["scam-call-110"]
    dispatcher, _ = await answer(
        services, domain, "那我现在该咋办", slots={"last_entry_id": "scam-impersonate-family"}
    )
    assert texts(dispatcher)[0] == "utter_scam_warning"


async def test_another_city_is_named_and_referred(services, retriever, corpus, domain) -> None:
    text = "成都那边老人吃饭有补贴，咱们这有没有"
    retriever.answers[text] = ["meal-subsidy-amount"]
    dispatcher, _ = await answer(services, domain, text)
    first = dispatcher.messages[0]
    assert first["response"] == "utter_other_place" and first["place"] == "成都"
    template = domain["responses"]["utter_other_place"][0]["text"]
    assert "阳泉" in template and "12345" in template
    assert dispatcher.messages[1]["text"] == corpus.by_id["meal-subsidy-amount"].text


def test_yangquan_places_are_home() -> None:
    for text in [
        "城区有老年食堂吗",
        "矿区的日间照料中心",
        "平定县能改造吗",
        "盂县农村助餐",
        "阳泉市郊区",
    ]:
        assert other_place(text) is None, text
    for text, name in [
        ("太原的助餐补贴多少", "太原"),
        ("河北的改造政策", "河北"),
        ("北京朝阳区长护险", "北京朝阳区"),
    ]:
        place = other_place(text)
        assert place is not None and place.name == name


async def test_a_follow_up_is_searched_with_the_entry_just_discussed(
    services, retriever, corpus, domain
) -> None:
    last = corpus.by_id["meal-who-can-use"]
    query = f"那要钱不 {subject_of(last.title)}"
    retriever.answers[query] = [last.id, "meal-is-it-free"]  # itself is left out
    dispatcher, events = await answer(
        services, domain, "那要钱不", slots={"last_entry_id": last.id}
    )
    assert dispatcher.messages[0]["text"] == corpus.by_id["meal-is-it-free"].text
    assert "老年助餐" in retriever.queries[-1]  # searched with the subject just discussed
    assert {"meal"} in retriever.topics_seen  # within its topic first
    assert any(e.get("name") == "last_entry_id" and e["value"] == "meal-is-it-free" for e in events)


async def test_a_question_about_a_guide_topic_offers_the_guide(services, retriever, domain) -> None:
    text = "社区助餐点要带什么证件"
    retriever.answers[text] = ["meal-how-to-apply"]
    dispatcher, _ = await answer(services, domain, text, intent="ask_meal")
    said = texts(dispatcher)
    assert said[-1] == "utter_offer_meal_guide"  # offered, not started
    offer = domain["responses"]["utter_offer_meal_guide"][0]
    assert offer["buttons"][0]["payload"] == "/start_meal_guide"


async def test_plainly_outside_the_plan_is_refused_with_a_referral(
    services, retriever, domain
) -> None:
    retriever.confident = False
    dispatcher, _ = await answer(services, domain, "明天阳泉下雨不", intent="out_of_scope")
    assert texts(dispatcher) == ["utter_out_of_plan"]
    assert "12345" in domain["responses"]["utter_out_of_plan"][0]["text"].replace(
        "{hotline}", "12345"
    )


async def test_right_after_an_answer_only_plain_outside_words_refuse(
    services, retriever, corpus, domain
) -> None:
    """ "量出来高了咋办" after the blood-pressure meter is a follow-up the search was not sure
    of, whatever the classifier said: a referral, not "这个我帮不上忙". Weather still is."""
    retriever.confident = False
    slots = {"last_entry_id": corpus.entries[0].id}
    dispatcher, _ = await answer(
        services, domain, "量出来高了咋办", intent="out_of_scope", slots=slots
    )
    said = texts(dispatcher)
    assert "utter_out_of_plan" not in said and said[-1].startswith("utter_referral_contact")
    dispatcher, _ = await answer(
        services, domain, "明天阳泉下雨不", intent="out_of_scope", slots=slots
    )
    assert texts(dispatcher) == ["utter_out_of_plan"]


async def test_a_pension_referral_names_12333(services, retriever, domain) -> None:
    retriever.confident = False
    text = "我的养老金这个月少了几十块"
    retriever.answers[text] = (
        ["pension-who-to-ask"] if "pension-who-to-ask" in retriever.corpus.by_id else []
    )
    pension = [d.id for d in retriever.corpus.entries if d.topic == "pension"][:2]
    retriever.answers[text] = pension
    dispatcher, _ = await answer(services, domain, text)
    if pension:
        assert texts(dispatcher)[-1] == "utter_referral_contact_pension"
        assert "12333" in domain["responses"]["utter_referral_contact_pension"][0]["text"]


async def test_stop_and_switch_takes_up_the_new_request(
    services, retriever, corpus, domain
) -> None:
    retriever.answers["我想问养老院咋收费"] = ["meal-in-care-homes"]
    dispatcher, _ = await answer(
        services, domain, "算了，我想问养老院咋收费", intent="switch_topic"
    )
    assert dispatcher.messages[0]["custom"]["entry_id"] == "meal-in-care-homes"
    dispatcher, _ = await answer(services, domain, "算了，问问别的", intent="switch_topic")
    assert texts(dispatcher) == ["utter_switch_ask"]


async def test_a_bare_yes_outside_a_form_is_noted(services, domain) -> None:
    dispatcher, _ = await answer(services, domain, "好的", intent="affirm")
    assert texts(dispatcher) == ["utter_affirm_noted"]


async def test_a_long_story_is_reduced_to_its_need_and_gets_a_kind_word(
    services, retriever, domain
) -> None:
    story = (
        "我老伴前年走了，儿女都在外地打工，我一个人住在矿区，腿脚也不好，"
        "做饭可费劲了，天天凑合，听说社区有老年食堂，我这样的能不能去吃"
    )
    dispatcher, _ = await answer(services, domain, story)
    searched = retriever.queries[0]
    assert len(searched) < len(story) and "能不能去吃" in searched
    assert "utter_kind_unwell" in texts(dispatcher)


async def test_an_honest_gap_always_says_who_to_ask(services, retriever, corpus, domain) -> None:
    import re

    gap = re.compile(r"没有公开|没公开|没有找到|没找到")
    contact = re.compile(r"社区|村委会|12345|12333|医保|民政|部门")
    entry = next(
        (d for d in corpus.entries if gap.search(d.text) and not contact.search(d.text)), None
    )
    if entry is None:  # every gap entry names a contact itself
        return
    retriever.answers["这个阳泉有吗"] = [entry.id]
    dispatcher, _ = await answer(services, domain, "这个阳泉有吗")
    assert texts(dispatcher)[1].startswith("utter_gap_contact")


def test_a_county_named_without_its_suffix_is_found() -> None:
    for text, name in [("寿阳的养老院多少钱", "寿阳"), ("昔阳那边有助餐吗", "昔阳")]:
        place = other_place(text)
        assert place is not None and place.name == name and place.in_shanxi
    assert other_place("一城阳光泉漾太行是什么活动") is None  # not 城阳 (Qingdao)


async def test_a_scam_only_the_classifier_saw_still_gets_the_warning(
    services, retriever, domain
) -> None:
    from tests.support.dialogue import make_tracker

    text = "有个人天天给我打电话，说得可好听了"
    tracker = make_tracker(text, intent="ask_policy")
    tracker.latest_message["intent_guard"] = {
        "from": "describe_suspicious",
        "reason": "no scam cue",
    }
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(services).run(dispatcher, tracker, domain)
    assert texts(dispatcher)[0] == "utter_scam_warning"


async def _answer_a_hunch(services, domain, text: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """What is said when only the classifier thought ``text`` a scam (no cue in the words)."""
    tracker = make_tracker(text, intent="ask_policy")
    tracker.latest_message["intent_guard"] = {
        "from": "describe_suspicious",
        "reason": "no scam cue",
    }
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(services).run(dispatcher, tracker, domain)
    return dispatcher.messages


async def test_a_hunch_gives_way_to_a_confident_answer_outside_the_scam_entries(
    services, retriever, domain
) -> None:
    """A hunch of the classifier (no scam cue in the words) does not warn when the
    question is confidently about something else: a carer worried about a care home
    worker gets the answer to what they asked, not "不转钱" first."""
    worried = "老伴住院好几天了，心里一直不踏实"
    retriever.answers[worried] = ["meal-who-can-use"]
    said = await _answer_a_hunch(services, domain, worried)
    assert all(m.get("response") != "utter_scam_warning" for m in said)
    answered = [(m.get("custom") or {}).get("entry_id") for m in said]
    assert "meal-who-can-use" in answered


async def test_a_hunch_that_retrieval_places_among_the_scams_still_warns(
    services, retriever, domain
) -> None:
    """The same hunch with a scam entry as the best answer warns first: a missed scam is
    the worst failure."""
    text = "有个人天天给我打电话，说得可好听了"
    retriever.answers[text] = ["scam-free-gifts"]
    said = await _answer_a_hunch(services, domain, text)
    assert said[0].get("response") == "utter_scam_warning"


@pytest.mark.parametrize(
    ("text", "follow_entry", "own_subject"),
    [
        ("要钱不", "meal-is-it-free", False),
        ("那去哪儿办", "meal-where-in-yangquan", False),
        ("多大岁数", "meal-age-limit", False),
        ("那找谁来装", "meal-is-it-free", True),
        ("咋调大", "meal-is-it-free", True),
    ],
)
def test_a_follow_up_without_a_subject_of_its_own_takes_the_last_entry(
    text: str, follow_entry: str, own_subject: bool, corpus
) -> None:  # type: ignore[no-untyped-def]
    """A short follow-up that names no subject ("要钱不") is answered about the entry just
    discussed even when its own search looks sure (bare "要钱不" matches some cost entry
    of any topic); one that names its own ("那找谁来装") keeps its surer answer."""
    from actions.knowledge_answer import KnowledgeAnswer
    from knowledge.documents import Hit
    from knowledge.retriever import SearchResult

    last = corpus.by_id["meal-who-can-use"]

    class Searches:
        def __init__(self) -> None:
            self.corpus = corpus

        def search(self, query, top_k=5, *, topics=None, exclude=None):  # type: ignore[no-untyped-def]
            follow = bool(exclude)
            doc = corpus.by_id[follow_entry if follow else "adapt-service-providers"]
            confidence = 0.6 if follow else 0.9
            return SearchResult(query, query, [Hit(doc, confidence)], confidence, True)

    responder = KnowledgeAnswer(Searches(), "12345", threshold=0.5)  # type: ignore[arg-type]
    tracker = make_tracker(text, slots={"last_entry_id": last.id})
    chosen = responder.choose(text, responder.search(text), tracker)
    expected = "adapt-service-providers" if own_subject else follow_entry
    assert chosen.hits[0].document.id == expected


async def test_a_practice_question_keeps_its_own_answer_after_the_warning(
    services, retriever, domain
) -> None:
    """ "个人养老金着急用，能提前取不，正规不" has scam cues of a practice (urgency, legit):
    the warning comes first, then the answer to what was asked, not a list of scams."""
    text = "个人养老金着急用，能提前取不，正规不"
    retriever.answers[text] = ["finance-personal-pension-withdraw"]
    dispatcher, _ = await answer(services, domain, text, intent="ask_policy")
    said = dispatcher.messages
    assert said[0].get("response") == "utter_scam_warning"
    assert said[1]["text"] == retriever.corpus.by_id["finance-personal-pension-withdraw"].text
    assert {"scam"} not in retriever.topics_seen


@pytest.mark.parametrize(
    ("text", "own_entry"),
    [
        ("有人让我把个人养老金的钱转到安全账户", "finance-personal-pension-withdraw"),  # strong
        ("陌生号码打电话说要我身份证", "pension-not-received"),  # weak: a stranger, an ID card
    ],
)
async def test_a_contact_scam_is_answered_from_the_scam_entries(
    services, retriever, domain, text: str, own_entry: str
) -> None:
    """With a contact cue, strong or weak, the answer comes from the scam entries."""
    retriever.answers[text] = [own_entry]
    dispatcher, _ = await answer(services, domain, text, intent="ask_policy")
    assert dispatcher.messages[0].get("response") == "utter_scam_warning"
    assert {"scam"} in retriever.topics_seen


async def test_a_long_message_is_answered_from_the_surer_of_its_need_and_its_whole_text(
    services, retriever, domain
) -> None:
    """The main need of a long story is its key words; when the whole story finds its entry
    more surely, that search answers."""
    story = (
        "我老伴去年摔了一跤以后就不大能走动了，家里卫生间地滑，我一个人扶不动他，"
        "听说政府能帮着给家里装扶手，我们这样的能申请不"
    )
    retriever.answers[story] = ["adapt-handrail"]
    dispatcher, _ = await answer(services, domain, story, intent="ask_policy")
    assert any(len(q) < len(story) for q in retriever.queries)  # its need was searched too
    entries = [(m.get("custom") or {}).get("entry_id") for m in dispatcher.messages]
    assert "adapt-handrail" in entries


def test_a_referral_names_no_plan_clause_of_another_subject(corpus) -> None:
    from actions.referral import topic_clause

    no_clause = corpus.by_id["meal-who-can-use"]  # a meal entry resting on no clause
    other = next(
        d
        for d in corpus.documents
        if d.kind == "entry" and d.topic == "adaptation" and d.clause_ids
    )
    clause = corpus.by_id[other.clause_ids[0]]
    # Below the nearest entry, a clause or an entry of another topic is not the subject.
    assert topic_clause(corpus, [no_clause, other]) is None
    assert topic_clause(corpus, [no_clause, clause]) is None
    assert topic_clause(corpus, [no_clause, corpus.by_id["T1"]]) == corpus.by_id["T1"]
    # The nearest entry's own clause, or a clause ranked first, is.
    assert topic_clause(corpus, [other, no_clause]) == clause
    assert topic_clause(corpus, [clause, no_clause]) == clause
    # An entry of another topic may give a clause the nearest entry's topic rests on.
    tour, scam_tour = corpus.by_id["tour-wechat-group"], corpus.by_id["scam-cheap-tour"]
    assert topic_clause(corpus, [tour, scam_tour]) == corpus.by_id["T10"]
    meal = corpus.by_id["meal-what-is"]
    assert topic_clause(corpus, [no_clause, meal]) == corpus.by_id["T1"]
