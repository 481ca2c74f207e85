"""sentence-transformers on torch: runs any model sentence-transformers can load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dossier.index.encoders import (
    EncoderOptions,
    EncoderSpec,
    Later,
    Pooled,
    Ranges,
    pool_ranges,
    resolve,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

POOLS = True  # sentence vectors pooled from a passage's own forward pass (PoolingEncoder)
NAME = "torch"
DOCUMENT_PROMPTS = ("document", "passage", "corpus")  # what `encode_document` looks for


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

    def encode_documents_pooled(
        self,
        texts: list[str],
        ranges: list[list[Ranges]] | Later,
        batch_size: int,
        progress: bool,
    ) -> tuple[np.ndarray, list[Pooled]]:
        """The passages' vectors and their sentences' pooled from the same forward pass
        (`PoolingEncoder`): sentence-transformers gives every token's embedding beside
        the text's; the fast tokenizer gives each token's characters."""
        prompts = self.st.prompts or {}
        prompt = next((prompts[p] for p in DOCUMENT_PROMPTS if prompts.get(p)), "")
        outputs = self.st.encode(
            [prompt + t for t in texts],
            prompt="",
            batch_size=batch_size,
            show_progress_bar=progress,
            output_value=None,
        )
        encoded = self.st.tokenizer(
            [prompt + t for t in texts],
            truncation=True,
            max_length=self.st.max_seq_length,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
        )
        ranges = resolve(ranges)  # after the forward passes: they ran while it was worked out
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled: list[Pooled] = []
        for row, output in enumerate(outputs):
            vector = output["sentence_embedding"].float().cpu().numpy()
            vectors[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            length = int(output["attention_mask"].sum())  # rows past it are the batch's padding
            tokens = output["token_embeddings"][:length].float().cpu().numpy()
            special = np.asarray(encoded["special_tokens_mask"][row], dtype=bool)
            if len(special) != len(tokens):
                raise RuntimeError(
                    f"{len(tokens)} token embeddings but {len(special)} tokens for text {row}"
                )
            offsets = np.asarray(encoded["offset_mapping"][row], dtype=np.int64)[~special]
            pooled.append(pool_ranges(tokens[~special], offsets, ranges[row], len(prompt)))
        return vectors, pooled


def load(model: str, source: str, options: EncoderOptions) -> TorchEncoder:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if options.device == "cpu" and options.threads > 0:
        torch.set_num_threads(options.threads)
    return TorchEncoder(model, SentenceTransformer(source, device=options.device))
