"""Rasa NLU component that repairs older users' typing before tokenisation.

Placed first in the pipeline. It rewrites the message text so that every later component
(JiebaTokenizer, featurizers, DIET) sees standard words:

* dialect and colloquial words become standard words (``knowledge/data/synonyms.yml``);
* ASCII pinyin of a domain term (``zhucan``, ``shilaohua``) becomes the term (助餐, 适老化);
* Chinese homophone typos of a domain term (住餐, 是老化) become the term.

The vocabulary is the knowledge base's shared term list (``knowledge/data/jieba/terms.txt``)
plus the standard words of the synonym map. The files are read when training and the
vocabulary is stored in the model, so a trained model does not depend on the working tree.
The normalised text is also added to the parse output as ``normalized_text``.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.vocabulary import Vocabulary, load_synonyms, load_terms

logger = logging.getLogger(__name__)

NORMALIZED_TEXT = "normalized_text"
_VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TextNormalizer(GraphComponent):
    """Normalises pinyin, homophone typos and dialect words against the shared vocabulary."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # First existing file wins (the knowledge base keeps terms.txt in one of these).
            "terms_path": ["knowledge/data/jieba/terms.txt", "knowledge/data/terms.txt"],
            "synonyms_path": "knowledge/data/synonyms.yml",
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["jieba", "pypinyin"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or Vocabulary({}, {})
        self._vocabulary.teach_jieba()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        return cls(config, model_storage, resource, _read_vocabulary(config))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TextNormalizer:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((Path(directory) / _VOCABULARY_FILE).read_text("utf-8"))
            vocabulary = Vocabulary(data["terms"], data["synonyms"])
        except (ValueError, KeyError, OSError) as exc:
            logger.warning("normaliser vocabulary missing from the model (%s); reading files", exc)
            vocabulary = _read_vocabulary(config)
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            data = {"terms": self._vocabulary.terms, "synonyms": self._vocabulary.synonyms}
            (Path(directory) / _VOCABULARY_FILE).write_text(
                json.dumps(data, ensure_ascii=False, sort_keys=True), "utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._normalize_all(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._normalize_all(messages)
        return messages

    def _normalize_all(self, messages: Iterable[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            normalized = normalize(text, self._vocabulary)
            message.set(TEXT, normalized)
            message.set(NORMALIZED_TEXT, normalized, add_to_output=True)


_SPACE_RE = re.compile(r"\s+")


def normalize(text: str, vocabulary: Vocabulary) -> str:
    """Full-width to half-width, lower-case letters, collapse spaces, then repair words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SPACE_RE.sub(" ", text).strip()
    return vocabulary.repair(text)


def _read_vocabulary(config: dict[str, Any]) -> Vocabulary:
    paths = config["terms_path"]
    candidates = [Path(p) for p in ([paths] if isinstance(paths, str) else paths)]
    terms: dict[str, int] = {}
    for path in candidates:
        terms = load_terms(path)
        if terms:
            logger.info("normaliser terms: %s (%d)", path, len(terms))
            break
    else:
        logger.warning("no domain terms in %s: pinyin and homophone repair is off", paths)
    return Vocabulary(terms, load_synonyms(Path(config["synonyms_path"])))
