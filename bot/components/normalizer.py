"""Rasa NLU component that repairs older users' typing before tokenisation.

Placed first in the pipeline. It rewrites the message text with the project's one text
normaliser (:mod:`textnorm`, the same code and vocabulary the retriever uses), so that every
later component (JiebaTokenizer, featurizers, DIET) sees standard words:

* dialect and colloquial words become standard words (``knowledge/data/synonyms.yml``);
* ASCII pinyin (``zhucan``), run-together pinyin and initials (``zcd``) become terms;
* Chinese homophone typos of a vocabulary word (住餐, 是老化) become the word.

The vocabulary (terms, dialect map, corpus words) is read from ``knowledge/data`` when
training and stored in the model, so a trained model does not depend on the working tree.
Redaction placeholders such as ``[身份证号]`` are kept as they are. The normalised text is
also added to the parse output as ``normalized_text``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.base import Component, Node
from textnorm.normalize import Normalizer
from textnorm.vocabulary import Vocabulary, load_vocabulary, vocabulary_digest

logger = logging.getLogger(__name__)

NORMALIZED_TEXT = "normalized_text"
_VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TextNormalizer(Component):
    """Normalises pinyin, homophone typos and dialect words against the shared vocabulary."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # The knowledge data the vocabulary is read from (terms, dialect map, entries).
            "knowledge_dir": "knowledge/data",
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
        self._vocabulary = vocabulary or Vocabulary({}, {}, {})
        self._normalizer: Normalizer = self._vocabulary.normalizer()

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The normaliser's code and vocabulary files, so that Rasa's training cache never
        restores a normalisation (and the featurisers after it) made by older ones."""
        return vocabulary_digest(Path(config.get("knowledge_dir") or "knowledge/data"))

    @classmethod
    def build(cls, config: dict[str, Any], node: Node) -> TextNormalizer:
        """New: the vocabulary read from ``knowledge_dir``. Restored: the one stored in the
        model when it was trained (read from ``knowledge_dir`` when that is missing)."""
        vocabulary = _stored_vocabulary(node) if node.trained else None
        if vocabulary is None:
            vocabulary = _read_vocabulary(config)
        return cls(config, node.model_storage, node.resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            data = self._vocabulary.as_dict()
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
            normalized = normalize(text, self._normalizer)
            message.set(TEXT, normalized)
            message.set(NORMALIZED_TEXT, normalized, add_to_output=True)


_PLACEHOLDER_RE = re.compile(r"(\[[^\[\]]{1,12}\])")


def normalize(text: str, normalizer: Normalizer) -> str:
    """The repaired text; redaction placeholders (``[身份证号]``) pass through unchanged."""
    parts = _PLACEHOLDER_RE.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
        elif part.strip():
            out.append(normalizer.normalize(part).text)
    return " ".join(p for p in out if p).strip() or text


def _stored_vocabulary(node: Node) -> Vocabulary | None:
    try:
        with node.model_storage.read_from(node.resource) as directory:
            data = json.loads((Path(directory) / _VOCABULARY_FILE).read_text("utf-8"))
        return Vocabulary.from_dict(data)
    except (ValueError, KeyError, OSError) as exc:
        logger.warning("normaliser vocabulary missing from the model (%s); reading files", exc)
        return None


def _read_vocabulary(config: dict[str, Any]) -> Vocabulary:
    vocabulary = load_vocabulary(Path(config["knowledge_dir"]))
    if not vocabulary.terms:
        logger.warning(
            "no domain terms in %s: pinyin and homophone repair is weak", config["knowledge_dir"]
        )
    return vocabulary
