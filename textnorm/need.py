"""The main need of a long, rambling message, and whether its writer is unwell or alone.

Older people often tell a story before they ask ("我老伴去年走了，儿女都在外地，我腿脚
也不好，……社区能不能给送饭"). Retrieval works best on the question itself plus the few
words that carry the topic. :func:`main_need` keeps:

* the clause that asks (question words, see :func:`textnorm.signals.is_question`), or the
  last clause when none asks;
* the strongest keywords of the whole message, by jieba's TF-IDF analyser
  (``jieba.analyse``) with the project's own segmenter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jieba.analyse

from textnorm.normalize import TextAnalyzer
from textnorm.signals import is_question

# Messages up to this long are searched as they are.
SHORT_MESSAGE_CHARS = 40
_KEYWORDS = 6
_CLAUSE_RE = re.compile(r"[^。！？!?；;，,\n、…]+")
_UNWELL_RE = re.compile(
    r"病|不舒服|难受|疼|痛|住院|摔|瘫|腿脚.{0,2}不(好|便|行|灵)|走不动|看不清|听不见|耳背|眼花|手抖|"
    r"失能|半身不遂|中风|卧床|吃不下"
)
_ALONE_RE = re.compile(
    r"一个人|独居|孤单|孤独|寂寞|没人管|没人照顾|没人陪|老伴.{0,3}(走|去世|没了)|儿女.{0,6}(外地|不在|不管)|"
    r"子女.{0,6}(外地|不在|不管)|空巢"
)


@dataclass(frozen=True)
class Need:
    """What a message asks for.

    Attributes:
        text: What to search with (the message itself when it is short).
        core: The clauses that ask (the message itself when it is short).
        reduced: Whether the message was long and was reduced.
        unwell: The writer says they (or the person they care for) are ill or frail.
        alone: The writer says they live alone or have no one to help.
    """

    text: str
    core: str
    reduced: bool
    unwell: bool
    alone: bool


class NeedFinder:
    """Reduces long messages to their main need with the project's segmenter.

    Args:
        analyzer: The shared segmenter (knows the domain terms).
    """

    def __init__(self, analyzer: TextAnalyzer) -> None:
        self._tfidf = jieba.analyse.TFIDF()
        self._tfidf.tokenizer = analyzer.tokenizer
        self._tfidf.postokenizer = None

    def find(self, text: str) -> Need:
        """The main need of ``text``."""
        text = (text or "").strip()
        unwell = bool(_UNWELL_RE.search(text))
        alone = bool(_ALONE_RE.search(text))
        if len(text) <= SHORT_MESSAGE_CHARS:
            return Need(text, text, False, unwell, alone)
        clauses = [c.strip() for c in _CLAUSE_RE.findall(text) if c.strip()]
        asking = [c for c in clauses if is_question(c)]
        core = " ".join(asking[-2:]) if asking else (clauses[-1] if clauses else text)
        keywords = [
            w
            for w in self._tfidf.extract_tags(text, topK=_KEYWORDS)
            if w not in core and len(w) > 1
        ]
        reduced = " ".join([core, *keywords]).strip()
        return Need(reduced or text, core, True, unwell, alone)
