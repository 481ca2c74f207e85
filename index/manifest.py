"""What an index directory says about itself: `manifest.json`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dossier.types import Document

FORMAT_VERSION = 1
FILENAME = "manifest.json"


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=())

    format_version: int = FORMAT_VERSION
    index_id: str
    dossier_version: str
    created_at: datetime
    model: str = Field(description="The configured embedding model name the vectors come from.")
    dimension: int
    encoder: dict[str, Any] = Field(
        default_factory=dict,
        description="The encoder the vectors come from: backend, model, quantization "
        "(empty in indexes written before it was recorded: torch).",
    )
    passage_count: int
    document_count: int
    source_ids: list[str]
    corpus_fingerprint: str = Field(
        description="sha256 over the sorted (source_id, document sha256) pairs and the splitter."
    )
    splitter: dict[str, Any] = Field(default_factory=dict)
    lexical: dict[str, Any] = Field(default_factory=dict)
    dense: dict[str, Any] = Field(default_factory=dict)
    languages: dict[str, int] = Field(
        default_factory=dict, description="Documents per language (ISO 639-1), where known."
    )
    embedded: int = Field(description="Passages whose vectors were computed for this index.")
    reused: int = Field(description="Passages whose vectors were taken from the previous index.")
    has_report: bool = False
    sentence_count: int = Field(default=0, description="Sentences in sentences.jsonl.")
    has_sentences: bool = Field(
        default=True, description="False for a retrieval-only index (benchmarks): no answer step."
    )
    sentence_vectors: dict[str, Any] = Field(
        default_factory=dict,
        description="How the sentence vectors were made: method (`pooled`: the mean of the "
        "passage's token embeddings over the sentence, from the passage's own forward pass, "
        "a sentence outside every passage's tokenised window encoded on its own; "
        "`separate`: every sentence, and every sentence with the one before, encoded on its "
        "own) and counts (pooled, encoded, reused). Empty in indexes written before it was "
        "recorded: separate.",
    )


def corpus_fingerprint(documents: Iterable[Document], splitter: dict[str, Any] | None) -> str:
    """Identifies the corpus an index was built from: same sources, bytes and splitting."""
    pairs = sorted((d.source_id, d.sha256) for d in documents)
    payload = json.dumps(
        {"documents": pairs, "splitter": splitter or {}}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def text_key(text: str) -> str:
    """The key a passage vector is reused under: sha256 of the passage text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["FILENAME", "FORMAT_VERSION", "Manifest", "corpus_fingerprint", "text_key"]
