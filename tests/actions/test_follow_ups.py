"""Follow-ups: searched with the subject of the entry just discussed, within its topic,
the entry answering the follow-up's facet first; a referral's nearest entry carries on."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_ups import FollowUps, by_facet, facets_asked, facets_of, subject_of
from actions.policy_answer import ActionAnswerPolicy
from knowledge.documents import Hit
from knowledge.retriever import SearchResult
from tests.support.dialogue import make_tracker


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        ("谁能用老年助餐", "用老年助餐"),
        ("阳泉养老院多少钱", "阳泉养老院"),
        ("申请家床带啥材料", "家床"),
        ("卫生间扶手", "卫生间扶手"),
        ("谁能申请", "谁能申请"),  # nothing left: the title itself
        ("学用智能手机", "学用智能手机"),  # 智能 is a word, not 能
        ("失能等级评估", "失能等级评估"),
        ("阳泉有没有长护险", "阳泉长护险"),
    ],
)
def test_the_subject_of_a_title_leaves_out_what_it_asks(title: str, subject: str) -> None:
    assert subject_of(title) == subject


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("那要钱不", "cost"),
        ("去哪儿办", "where"),
        ("多大岁数能上", "age"),
        ("要带啥", "materials"),
        ("政府给补不", "subsidy"),
        ("那找谁来装", "provider"),
        ("一年得弄几回", "often"),
    ],
)
def test_a_follow_up_names_its_facet(text: str, facet: str) -> None:
    assert facet in facets_of(text)


def test_the_entry_whose_title_answers_the_facet_comes_first(corpus) -> None:  # type: ignore[no-untyped-def]
    docs = [corpus.by_id[i] for i in ("meal-who-can-use", "meal-how-to-apply", "meal-is-it-free")]
    result = SearchResult("q", "q", [Hit(d, 1.0 - n / 10) for n, d in enumerate(docs)], 0.6, True)
    assert by_facet(result, {"cost"}).hits[0].document.id == "meal-is-it-free"
    assert by_facet(result, {"apply"}).hits[0].document.id == "meal-how-to-apply"
    # no facet, or none of the titles answers it: the order of the search stays
    assert [h.document.id for h in by_facet(result, set()).hits] == [d.id for d in docs]
    assert by_facet(result, {"often"}).hits[0].document.id == "meal-who-can-use"


def test_a_title_naming_other_facets_too_answers_less(corpus) -> None:  # type: ignore[no-untyped-def]
    """ "我妈能申请不" asks who may apply: "谁能申请家庭床位" answers it, "申请家床带啥材料"
    (documents) only shares the word 申请."""
    docs = [corpus.by_id[i] for i in ("fbed-docs", "fbed-who")]
    result = SearchResult("q", "q", [Hit(d, 1.0 - n / 10) for n, d in enumerate(docs)], 0.6, True)
    assert facets_of("我妈能申请不") >= {"who", "apply"}
    assert by_facet(result, facets_of("我妈能申请不")).hits[0].document.id == "fbed-who"
    assert by_facet(result, facets_of("要带啥")).hits[0].document.id == "fbed-docs"


async def test_a_referral_leaves_its_nearest_entry_for_the_follow_up(
    services, retriever, corpus, domain
) -> None:
    """After "我不确定" with buttons, "那要钱不" is about the subject of the nearest entry,
    and that entry may answer it now (it was offered, not said)."""
    near = corpus.by_id["chome-fee-amount"]
    question = "想给我爸找个地方住着有人照顾"
    retriever.answers[question] = [near.id]
    retriever.confident = False
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerPolicy(services).run(dispatcher, make_tracker(question), domain)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["near_entry_id"] == near.id
    assert slots["last_entry_id"] is None  # nothing was said: no "just discussed" entry

    retriever.confident = True
    follow = f"一个月多少钱 {subject_of(near.title)}"
    retriever.answers[follow] = [near.id]
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerPolicy(services).run(
        dispatcher, make_tracker("一个月多少钱", slots=slots), domain
    )
    assert follow in retriever.queries
    assert dispatcher.messages[0]["text"] == near.text
    assert any(e.get("name") == "last_entry_id" and e["value"] == near.id for e in events)
    assert any(e.get("name") == "near_entry_id" and e["value"] is None for e in events)


def test_an_age_said_as_a_number_asks_about_age_but_a_title_with_one_does_not() -> None:
    assert "age" in facets_asked("我妈六十二能住不")
    assert "age" in facets_asked("俺爹78岁了能去不")
    assert "age" not in facets_of("65岁以上免费体检")
    assert "age" not in facets_asked("七十年代的老楼")


class _TopicSearch:
    """Fixed hits: ``within`` for a search inside a topic, ``fresh`` otherwise; ``exclude``
    is honoured, as by the real retriever."""

    def __init__(self, corpus, fresh: list[str], within: list[str], confidence=0.3) -> None:  # type: ignore[no-untyped-def]
        self.corpus, self.fresh, self.within = corpus, fresh, within
        self.confidence = confidence

    def search(self, query, top_k=5, *, topics=None, exclude=None):  # type: ignore[no-untyped-def]
        ids = [i for i in (self.within if topics else self.fresh) if i not in (exclude or ())]
        hits = [Hit(self.corpus.by_id[i], 0.5 - n / 20) for n, i in enumerate(ids)][:top_k]
        return SearchResult(query, query, hits, self.confidence, False)


def test_the_answer_just_said_is_said_again_when_only_it_names_what_is_asked(corpus) -> None:  # type: ignore[no-untyped-def]
    """ "一年来几回" after the answer on blood-pressure follow-ups ("…每年至少随访4次"): no
    other entry of the topic names how often, so that answer is the answer again."""
    last = corpus.by_id["health-chronic-followup"]
    assert "often" in facets_of(last.text)
    search = _TopicSearch(corpus, ["pension-resident-contribution"], ["health-oral-care"])
    follow = FollowUps(search, threshold=0.45).search("一年来几回", last)  # type: ignore[arg-type]
    assert follow.hits[0].document.id == last.id
    # an entry of the topic whose title names the facet still comes first
    search.within = ["health-oral-care", "meal-is-it-free"]
    follow = FollowUps(search, threshold=0.45).search("要钱不", last)  # type: ignore[arg-type]
    assert follow.hits[0].document.id == "meal-is-it-free"


def test_its_own_best_hit_in_the_topic_just_discussed_answers_a_follow_up(corpus) -> None:  # type: ignore[no-untyped-def]
    """ "去哪领" after another trade-in entry: its own words find "怎么领以旧换新补贴" in the
    topic, even when the subject's words push it out of the follow-up search."""
    last = corpus.by_id["tradein-2026-aging-products"]
    search = _TopicSearch(corpus, ["tradein-how-to-apply"], ["tradein-2026-national"])
    fresh = search.search("去哪领")
    chosen = FollowUps(search, threshold=0.45).choose(  # type: ignore[arg-type]
        "去哪领", fresh, fresh.hits[0].document, last
    )
    assert chosen.hits[0].document.id == "tradein-how-to-apply"
    assert chosen.confidence >= 0.45
    # its best hit in another topic does not
    search.fresh = ["pension-high-age-apply"]
    fresh = search.search("去哪领")
    chosen = FollowUps(search, threshold=0.45).choose(  # type: ignore[arg-type]
        "去哪领", fresh, fresh.hits[0].document, last
    )
    assert chosen.hits[0].document.id == "tradein-2026-national"


@pytest.mark.parametrize(
    ("last_id", "contact_id"),
    [
        ("pension-not-received", "general-12333"),  # pensions: 12333
        ("ltc-who-pays", "ltc-which-dept"),  # long-term care: the 医保 office
        ("meal-is-it-free", "general-12345"),  # any other topic: 12345
        (None, "general-hotlines"),  # nothing discussed: the list of numbers
    ],
)
def test_which_number_to_call_follows_the_topic(corpus, last_id, contact_id) -> None:  # type: ignore[no-untyped-def]
    """ "那我打啥电话问" names no subject: its own search finds whichever hotline entry says
    电话 most (12333 after a question about a canteen), so the topic picks the contact."""
    search = _TopicSearch(corpus, ["general-12333", "general-emergency"], [])
    fresh = search.search("那我打啥电话问")
    last = corpus.by_id[last_id] if last_id else None
    chosen = FollowUps(search, threshold=0.45).contact("那我打啥电话问", fresh, last)  # type: ignore[arg-type]
    assert chosen is not None
    assert chosen.hits[0].document.id == contact_id
    assert chosen.confidence >= 0.45


@pytest.mark.parametrize("text", ["养老金没到账打啥电话", "助餐在哪吃", "那要钱不"])
def test_a_question_with_a_subject_or_no_number_is_no_contact_question(corpus, text) -> None:  # type: ignore[no-untyped-def]
    search = _TopicSearch(corpus, ["general-12333"], [])
    last = corpus.by_id["meal-is-it-free"]
    assert FollowUps(search, threshold=0.45).contact(text, search.search(text), last) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["那打啥针", "打什么卡", "打哪儿来的"])
def test_other_uses_of_da_are_no_contact_question(corpus, text) -> None:  # type: ignore[no-untyped-def]
    search = _TopicSearch(corpus, ["general-12333"], [])
    last = corpus.by_id["meal-is-it-free"]
    assert FollowUps(search, threshold=0.45).contact(text, search.search(text), last) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["找谁说理", "跟谁反映"])
def test_whom_to_complain_to_is_asked_of_the_subject_just_discussed(corpus, text) -> None:  # type: ignore[no-untyped-def]
    """ "找谁说理" after a wealth product that lost money names no subject of its own: it
    asks where to complain about that product. The answer just said names where (12345 反映),
    and no other entry of the topic does, so it is the answer again, not some care home's
    complaint desk that its own words find."""
    last = corpus.by_id["finance-misled-complaint"]
    assert "complaint" in facets_asked(text) and "complaint" in facets_of(last.text)
    search = _TopicSearch(corpus, ["chome-complaint"], ["finance-legit-channel"])
    fresh = search.search(text)
    chosen = FollowUps(search, threshold=0.45).choose(  # type: ignore[arg-type]
        text, fresh, fresh.hits[0].document, last
    )
    assert chosen.hits[0].document.id == last.id
    assert chosen.confidence >= 0.45


def test_the_facet_is_looked_for_among_entries_on_the_subject_just_discussed(corpus) -> None:  # type: ignore[no-untyped-def]
    """ "俺家不吃低保，也给发不" after the old-age allowance asks who gets that allowance: the
    residents' pension entry names "who" in its title, but is another subject of the topic."""
    last = corpus.by_id["pension-high-age-allowance"]
    text = "俺家不吃低保，也给发不"
    assert "who" in facets_asked(text)
    search = _TopicSearch(corpus, [], ["pension-high-age-apply", "pension-resident-who"])
    follow = FollowUps(search, threshold=0.45).search(text, last)  # type: ignore[arg-type]
    assert follow.hits[0].document.id == "pension-high-age-apply"
    # with no entry on the subject, the facet still picks among the topic's entries
    search.within = ["pension-not-received", "pension-resident-who"]
    follow = FollowUps(search, threshold=0.45).search(text, last)  # type: ignore[arg-type]
    assert follow.hits[0].document.id == "pension-resident-who"


def test_where_to_do_it_asks_how_to_apply_too(corpus) -> None:  # type: ignore[no-untyped-def]
    """ "去哪办" after who gets the care subsidy: that answer says where to apply is not
    public, and the entry on how to apply for it is the answer, not the same words again."""
    assert facets_asked("去哪办") >= {"where", "apply"}
    last = corpus.by_id["hcare-subsidy-who"]
    search = _TopicSearch(corpus, [], ["hcare-subsidy-what", "hcare-subsidy-how"])
    follow = FollowUps(search, threshold=0.45).search("去哪办", last)  # type: ignore[arg-type]
    assert follow.hits[0].document.id == "hcare-subsidy-how"


def test_a_title_saying_what_is_asked_answers_whatever_facet_word_it_uses(corpus) -> None:  # type: ignore[no-untyped-def]
    """ "去哪查" after "耳背要紧吗": its own words find "怎么查听力" in the topic. That title
    says 查 (what is asked) with 怎么 rather than 去哪, and still answers it, not the
    family doctor's "去哪签" that names the facet word."""
    last = corpus.by_id["health-hearing-why"]
    search = _TopicSearch(
        corpus, ["health-hearing-screen"], ["health-family-doctor-how", "health-hearing-screen"]
    )
    fresh = search.search("去哪查")
    chosen = FollowUps(search, threshold=0.45).choose(  # type: ignore[arg-type]
        "去哪查", fresh, fresh.hits[0].document, last
    )
    assert chosen.hits[0].document.id == "health-hearing-screen"


def test_a_short_question_naming_its_own_subject_is_a_new_question(corpus) -> None:  # type: ignore[no-untyped-def]
    """ "配助听器给补不" after how to check hearing names its own subject, and a sure search
    finds the entry titled so ("助听器补贴"): the follow-up search in the topic just
    discussed, however sure, does not replace it."""
    last = corpus.by_id["health-hearing-screen"]
    search = _TopicSearch(
        corpus, ["assistive-hearing-aid-subsidy"], ["health-hearing-why"], confidence=0.8
    )
    fresh = search.search("配助听器给补不")
    chosen = FollowUps(search, threshold=0.45).choose(  # type: ignore[arg-type]
        "配助听器给补不", fresh, fresh.hits[0].document, last
    )
    assert chosen.hits[0].document.id == "assistive-hearing-aid-subsidy"
    # a follow-up naming no subject of its own still leans on the entry just discussed
    search.fresh = ["meal-where-in-yangquan"]
    fresh = search.search("阳泉哪有")
    chosen = FollowUps(search, threshold=0.45).choose(  # type: ignore[arg-type]
        "阳泉哪有", fresh, fresh.hits[0].document, last
    )
    assert chosen.hits[0].document.id == "health-hearing-why"
