"""Text normalisation for older users' typing: cleaning, dialect words, pinyin and homophones.

The vocabulary to match against is the shared term list (``terms.txt``) plus the words of
the corpus. Three repairs are made, all driven by that vocabulary:

* dialect and colloquial words are mapped to standard words (``synonyms.yml``);
* ASCII pinyin (``zhucan``), run-together pinyin (``laonianzhucan``) and pinyin initials
  (``zcd``) are mapped to vocabulary terms;
* Chinese substrings whose toneless pinyin equals a vocabulary term's pinyin but whose
  characters differ (住餐 -> 助餐, 是老化 -> 适老化) are replaced by the term.

This module is the public facade; the work is done in

* :mod:`textnorm.loaders` — ``terms.txt`` and ``synonyms.yml``;
* :mod:`textnorm.cleaning` — :func:`clean_text` and character classes;
* :mod:`textnorm.analyser` — jieba segmentation and BM25 tokens;
* :mod:`textnorm.phonetics` — pinyin readings and fuzzy syllables;
* :mod:`textnorm.numerals` — Chinese digits and numerals;
* :mod:`textnorm.repair` — :class:`Normalizer`, the repairs themselves.
"""

from __future__ import annotations

from textnorm.analyser import TextAnalyzer
from textnorm.cleaning import clean_text, has_content, is_cjk_word
from textnorm.loaders import load_synonyms, load_terms
from textnorm.numerals import CN_DIGITS, cn_number, repair_digits, spelled_digits
from textnorm.phonetics import fuzzy_syllable, readings, syllables
from textnorm.repair import NormalizedQuery, Normalizer

__all__ = [
    "CN_DIGITS",
    "NormalizedQuery",
    "Normalizer",
    "TextAnalyzer",
    "clean_text",
    "cn_number",
    "fuzzy_syllable",
    "has_content",
    "is_cjk_word",
    "load_synonyms",
    "load_terms",
    "readings",
    "repair_digits",
    "spelled_digits",
    "syllables",
]
