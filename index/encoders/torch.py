"""sentence-transformers on torch: runs any model sentence-transformers can load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dossier.index.encoders import EncoderOptions, EncoderSpec

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

NAME = "torch"


def supports(model: str) -> str | None:
    """Every model: this is the reference backend."""
    return None


class TorchEncoder:
    def __init__(self, model: str, st: SentenceTransformer) -> None:
        self.st = st
        self.spec = EncoderSpec(backend=NAME, model=model)
        dimension = st.get_embedding_dimension()
        if dimension is None:  # a model that does not say: ask it
            dimension = int(self._run(st.encode_document, ["dimension"], 1, False).shape[1])
        self.dimension = int(dimension)

    def _run(self, method: Any, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return method(
            texts,
            batch_size=batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )

    def encode_documents(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return self._run(self.st.encode_document, texts, batch_size, progress)

    def encode_queries(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return self._run(self.st.encode_query, texts, batch_size, progress)


def load(model: str, source: str, options: EncoderOptions) -> TorchEncoder:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if options.device == "cpu" and options.threads > 0:
        torch.set_num_threads(options.threads)
    return TorchEncoder(model, SentenceTransformer(source, device=options.device))
