"""The reader: a cross-encoder that scores whether a sentence answers a question.

Hand-written evidence features tell a sentence about the question's subject;
they cannot tell one that answers it from a near-miss on the same subject (a
date that answers another question). A cross-encoder reads the question and
the sentence together and can. Its score, squashed to 0..1, becomes the
`reader` column of the evidence table, so the answerability model must have
a coefficient for it (`bench/fit_answerability.py --reader PATH`).

One reader ships with Dossier, in `reader_model/` beside this module: MiniLM
trained here (`bench/train_reader.py`) on XQuAD and PIAF questions outside
their fixed evaluation subsets, exported to ONNX and quantised to int8 per
channel; it runs on onnxruntime and `tokenizers` alone. The `reader` setting:

- `auto` (the default): the shipped reader when the index's answerability
  model was fitted with one (has a `reader` coefficient), else none;
- `none`: no reader;
- a path: an `.onnx` file (a `tokenizer.json` beside it), a directory
  holding `reader.onnx` and `tokenizer.json`, or a sentence-transformers
  `CrossEncoder` directory (run on torch).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

READER_FEATURE = "reader"
SHIPPED = Path(__file__).with_name("reader_model")
AUTO = "auto"
OFF = frozenset({"none", "off", "false", "0", "no"})
DEFAULT_MAX_LENGTH = 128


class ReaderError(RuntimeError):
    """The configured reader cannot be loaded or run; the message says what to do."""


class _Backend(Protocol):
    def logits(self, question: str, texts: list[str]) -> np.ndarray: ...


LATE_INPUTS = ("question_ids", "question_mask", "sentence_ids", "sentence_mask")
PAIR_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Onnx:
    """An ONNX reader on onnxruntime; the session and the tokenizers may be called from any
    thread. Two kinds of graph: a cross-encoder (`input_ids`, `attention_mask`, optional
    `token_type_ids`: one pair per row), or the shipped late-interaction reader
    (`question_ids`/`question_mask` once, `sentence_ids`/`sentence_mask` per sentence)."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        folder = path.parent
        tokenizer_file = folder / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise ReaderError(f"the reader {path} has no tokenizer.json beside it")
        config = _read_json(folder / "reader_config.json")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's default, one per core
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        # idle pool threads sleep rather than spin: they would take the core the next
        # question's encoder needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ReaderError(f"cannot load the reader {path} as an ONNX model: {exc}") from exc
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.late = set(self.inputs) == set(LATE_INPUTS)
        if not self.late and (
            "input_ids" not in self.inputs or not set(self.inputs) <= set(PAIR_INPUTS)
        ):
            raise ReaderError(
                f"the reader {path} takes inputs {self.inputs}; a reader takes "
                f"{', '.join(PAIR_INPUTS)} (a cross-encoder) or {', '.join(LATE_INPUTS)}"
            )
        if self.late:
            self.question_tokenizer = _tokenizer(
                tokenizer_file, int(config.get("max_question_tokens", 48))
            )
            self.tokenizer = _tokenizer(tokenizer_file, int(config.get("max_sentence_tokens", 96)))
        else:
            self.tokenizer = _tokenizer(
                tokenizer_file, int(config.get("max_length", DEFAULT_MAX_LENGTH))
            )

    def logits(self, question: str, texts: list[str]) -> np.ndarray:
        if self.late:
            asked = self.question_tokenizer.encode(question)
            read = self.tokenizer.encode_batch(texts)
            feed = {
                "question_ids": np.array([asked.ids], dtype=np.int64),
                "question_mask": np.array([asked.attention_mask], dtype=np.int64),
                "sentence_ids": np.array([e.ids for e in read], dtype=np.int64),
                "sentence_mask": np.array([e.attention_mask for e in read], dtype=np.int64),
            }
        else:
            encoded = self.tokenizer.encode_batch([(question, t) for t in texts])
            feed = {
                "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
            }
        out = self.session.run(None, {name: feed[name] for name in self.inputs})[0]
        return np.asarray(out, dtype=np.float32)


def _tokenizer(path: Path, max_length: int) -> Any:
    """A `tokenizers` tokenizer that truncates at `max_length` and pads a batch."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise ReaderError(f"cannot read the tokenizer {path}: {exc}") from exc
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    pad_id = tokenizer.token_to_id("[PAD]") or 0
    tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id))
    return tokenizer


class _CrossEncoder:
    """A sentence-transformers CrossEncoder directory, on torch (one call at a time)."""

    def __init__(self, folder: Path, device: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        try:
            self.model = CrossEncoder(str(folder), device=device, local_files_only=True)
        except Exception as exc:
            raise ReaderError(f"cannot load the reader at {folder}: {exc}") from exc
        self._lock = threading.Lock()

    def logits(self, question: str, texts: list[str]) -> np.ndarray:
        import torch

        with self._lock:
            raw = self.model.predict(
                [(question, t) for t in texts],
                activation_fn=torch.nn.Identity(),
                show_progress_bar=False,
            )
        return np.asarray(raw, dtype=np.float32)


class Reader:
    """A loaded cross-encoder; `score` returns one value in 0..1 per text, in one batch."""

    def __init__(self, path: str | Path, *, device: str = "cpu", threads: int = 0) -> None:
        path = Path(path).expanduser()
        if not path.exists():
            raise ReaderError(f"the reader setting names {path}, which does not exist")
        if path.is_dir() and (path / "reader.onnx").is_file():
            path = path / "reader.onnx"
        backend: _Backend
        if path.is_file():
            if path.suffix != ".onnx":
                raise ReaderError(
                    f"the reader setting names the file {path}: give an .onnx file (with "
                    "tokenizer.json beside it) or a CrossEncoder directory"
                )
            if device != "cpu":
                log.info("the ONNX reader runs on the CPU (device is %s)", device)
            backend = _Onnx(path, threads)
        elif (path / "config.json").is_file():
            backend = _CrossEncoder(path, device)
        else:
            raise ReaderError(
                f"{path} holds no reader: neither reader.onnx nor a CrossEncoder's config.json"
            )
        self.path = path
        self.backend = backend

    def __repr__(self) -> str:
        return f"Reader({str(self.path)!r})"

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        try:
            raw = self.backend.logits(question, texts)
        except ReaderError:
            raise
        except Exception as exc:
            raise ReaderError(f"the reader at {self.path} failed: {exc}") from exc
        if raw.ndim == 2:  # several labels: the last is "answers" by convention
            raw = raw[:, -1]
        if raw.shape != (len(texts),):
            raise ReaderError(
                f"the reader at {self.path} gave {raw.shape} scores for {len(texts)} texts"
            )
        return (1.0 / (1.0 + np.exp(-np.clip(raw, -50, 50)))).astype(np.float32)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_readers: dict[tuple[str, str], Reader] = {}
_lock = threading.Lock()


def reader_path(setting: str | Path | None, wants_reader: bool) -> Path | None:
    """The reader a `reader` setting selects, given whether the answerability model has
    a reader coefficient: `auto` is the shipped reader exactly when it does."""
    text = "" if setting is None else str(setting).strip()
    if text.lower() in OFF or (text == "" and setting is not None):
        return None
    if text == "" or text.lower() == AUTO:
        return SHIPPED if wants_reader else None
    return Path(text)


def load_reader(path: str | Path | None, *, device: str = "cpu", threads: int = 0) -> Reader | None:
    """The reader at `path`, loaded once per process; None when no reader is configured
    ("", "none"). `auto` here means the shipped reader."""
    if path is None:
        return None
    text = str(path).strip()
    if text == "" or text.lower() in OFF:
        return None
    target = SHIPPED if text.lower() == AUTO else Path(text).expanduser()
    key = (str(target.resolve()), device)
    with _lock:
        if key not in _readers:
            log.info("loading reader %s", target)
            _readers[key] = Reader(target, device=device, threads=threads)
        return _readers[key]


__all__ = [
    "AUTO",
    "READER_FEATURE",
    "SHIPPED",
    "Reader",
    "ReaderError",
    "load_reader",
    "reader_path",
]
