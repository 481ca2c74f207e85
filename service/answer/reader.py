"""The reader: a trained model that scores whether a sentence answers a question.

Hand-written evidence features tell a sentence about the question's subject;
they cannot tell one that answers it from a near-miss on the same subject (a
date that answers another question). A reader trained on questions and their
answer sentences, against the other sentences of the same paragraph, can do
better. Its score, squashed to 0..1, becomes the `reader` column of the
evidence table, so the answerability model must have a coefficient for it
(`bench/fit_answerability.py --reader PATH`).

One reader ships with Dossier, in `reader_model/` beside this module, trained
here by `bench/train_reader.py` on XQuAD English questions outside the fixed
evaluation subsets (see its MODEL_CARD.md): a question encoder, MiniLM tuned
so that a question's vector lies near the *unchanged* MiniLM vector of the
sentence that answers it and away from same-subject sentences that do not.
It scores the index's own sentence vectors, so it costs one forward pass over
the question (int8 ONNX on onnxruntime + `tokenizers`), whatever the number of
candidates, and needs nothing new at index time. The `reader` setting:

- `auto` (the default): the shipped reader when the index's answerability
  model was fitted with one (has a `reader` coefficient; only the bundled
  MiniLM's does), else none;
- `none`: no reader;
- a path: an `.onnx` file (a `tokenizer.json` beside it) or a directory
  holding `reader.onnx`: a cross-encoder (`input_ids`, `attention_mask`,
  `token_type_ids` → one logit per pair), a question tower like the shipped
  one (`reader_config.json` says so), or a sentence-transformers
  `CrossEncoder` directory (run on torch). A cross-encoder reads text: it is
  given only the `reader_candidates` sentences closest to the question.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dossier.index.encoders import EncoderOptions
from dossier.service.batching import MicroBatcher

log = logging.getLogger(__name__)

READER_FEATURE = "reader"
RECENT = 64  # question vectors a question tower keeps
SHIPPED = Path(__file__).with_name("reader_model")
AUTO = "auto"
OFF = frozenset({"none", "off", "false", "0", "no"})
DEFAULT_MAX_LENGTH = 128
# Threads that run prefetched question-tower passes (`_Tower.prefetch`); as many as the
# micro-batcher may gather into one pass, so concurrent requests' passes still batch.
_PREFETCH = ThreadPoolExecutor(max_workers=32, thread_name_prefix="dossier-reader")


class ReaderError(RuntimeError):
    """The configured reader cannot be loaded or run; the message says what to do."""


class _Backend(Protocol):
    def logits(self, question: str, texts: list[str]) -> np.ndarray: ...


DUAL_INPUTS = ("ids", "mask")
PAIR_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Onnx:
    """An ONNX reader on onnxruntime; the session and the tokenizers may be called from any
    thread. Two kinds of graph: a cross-encoder (`input_ids`, `attention_mask`, optional
    `token_type_ids`: one pair per row), or the shipped reader (`ids`, `mask`: the question
    in the first row, a sentence in each other row; one logit per sentence)."""

    def __init__(self, path: Path, threads: int) -> None:
        folder = path.parent
        tokenizer_file = folder / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise ReaderError(f"the reader {path} has no tokenizer.json beside it")
        config = _read_json(folder / "reader_config.json")
        self.session = _session(path, threads)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dual = set(self.inputs) == set(DUAL_INPUTS)
        pair = "input_ids" in self.inputs and set(self.inputs) <= set(PAIR_INPUTS)
        if not (self.dual or pair):
            raise ReaderError(
                f"the reader {path} takes inputs {self.inputs}; a reader takes "
                f"{', '.join(PAIR_INPUTS)} (a cross-encoder) or {', '.join(DUAL_INPUTS)}"
            )
        max_length = config.get("max_tokens" if self.dual else "max_length")
        self.tokenizer = _tokenizer(tokenizer_file, int(max_length or DEFAULT_MAX_LENGTH))

    def logits(self, question: str, texts: list[str]) -> np.ndarray:
        if self.dual:
            encoded = self.tokenizer.encode_batch([question, *texts])
            feed = {
                "ids": np.array([e.ids for e in encoded], dtype=np.int64),
                "mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            }
        else:
            feed = _feed(self.tokenizer.encode_batch([(question, t) for t in texts]))
        out = self.session.run(None, {name: feed[name] for name in self.inputs})[0]
        return np.asarray(out, dtype=np.float32)


def _feed(encoded: list[Any]) -> dict[str, np.ndarray]:
    """A text model's inputs for texts a padding tokenizer encoded."""
    return {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }


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


class _Tower:
    """The shipped kind: a tuned question encoder (ONNX, `input_ids`/`attention_mask`/
    `token_type_ids` → one unit vector) scored against the index's own sentence vectors of
    the model named in `reader_config.json`: logit = a · cosine + b. Per question it costs
    one forward pass over the question, whatever the number of candidates."""

    def __init__(
        self, path: Path, config: dict[str, Any], threads: int, batch_max: int = 32
    ) -> None:
        tokenizer_file = path.parent / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise ReaderError(f"the reader {path} has no tokenizer.json beside it")
        try:
            self.a, self.b = (float(v) for v in config["scale"])
            self.sentence_model = str(config["sentence_vectors"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ReaderError(f"{path.parent / 'reader_config.json'} is malformed ({exc})") from exc
        self.tokenizer = _tokenizer(tokenizer_file, int(config.get("max_tokens", 48)))
        self.session = _session(path, threads)
        self.inputs = [i.name for i in self.session.get_inputs()]
        if not set(self.inputs) <= set(PAIR_INPUTS) or "input_ids" not in self.inputs:
            raise ReaderError(f"the reader {path} takes inputs {self.inputs}, not a text's")
        # The vectors of the latest questions: a request asks for its question's twice (the
        # reranker, then the answer step), and under concurrent requests one slot would be
        # overwritten in between by another's, costing a second pass.
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._inflight: dict[str, Future[np.ndarray]] = {}  # questions being encoded
        self._recent_lock = threading.Lock()
        self.path, self.threads = path, threads
        # The embeddings and lowest layers left as the sentence model's when it was trained
        # (training.json): an encoder of that model can run them for it (`share_lower`).
        self.frozen_layers = int(_read_json(path.parent / "training.json").get("frozen_layers", 0))
        self._lower: Any = None  # the encoder whose kept hidden states the tower reads
        self._upper: tuple[Any, str, list[str]] | None = None  # (session, hidden, inputs)
        self._share_lock = threading.Lock()
        self._refused: set[int] = set()  # encoders found not to match (by id)
        # One pass per core side by side when each is single-threaded, as the encoder's.
        lanes = EncoderOptions(threads=threads).lanes
        self._batcher = MicroBatcher(
            self._vectors, max_batch=batch_max, max_wait=0.0, inline=True, lanes=lanes
        )

    def vector(self, question: str) -> np.ndarray:
        with self._recent_lock:
            known = self._recent.get(question)
            if known is not None:
                return known
            pending = self._inflight.get(question)
            if pending is None:  # ours to compute
                pending = self._inflight[question] = Future()
                mine = True
            else:  # being computed (prefetched, or another request's): wait for it
                mine = False
        return self._fill(question, pending) if mine else pending.result()

    def prefetch(self, question: str) -> None:
        """Start the question's pass on another thread, beside the caller's own work (the
        encoder's pass over the same question): a lone request then waits for the longer
        of the two passes, not their sum. The next `vector` call takes its result."""
        if self._lower is not None:  # the pass needs the encoder's: it cannot start first
            return
        with self._recent_lock:
            if question in self._recent or question in self._inflight:
                return
            pending = self._inflight[question] = Future()
        _PREFETCH.submit(self._fill, question, pending)

    def _fill(self, question: str, pending: Future[np.ndarray]) -> np.ndarray:
        try:
            if self._lower is not None:  # the encoder ran the lower layers
                vector = self._upper_pass(question)
            else:  # concurrent requests' questions in one pass
                vector = self._batcher.encode(question)
        except BaseException as exc:
            with self._recent_lock:
                self._inflight.pop(question, None)
            pending.set_exception(exc)
            raise
        with self._recent_lock:
            self._recent[question] = vector
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
            self._inflight.pop(question, None)
        pending.set_result(vector)
        return vector

    def _upper_pass(self, question: str) -> np.ndarray:
        encoded = self.tokenizer.encode(question)
        feed = _feed([encoded])
        hidden = self._lower.hidden_for(tuple(encoded.ids))
        if hidden is None or self._upper is None:  # not kept (evicted): the whole pass
            return self._full(question)
        session, name, inputs = self._upper
        out = session.run(None, {n: hidden if n == name else feed[n] for n in inputs})[0][0]
        return np.asarray(out, dtype=np.float32)

    def _vectors(self, questions: list[str]) -> np.ndarray:
        """The whole tower over `questions`, padded to the longest, in one pass."""
        feed = _feed(self.tokenizer.encode_batch(questions))
        out = self.session.run(None, {name: feed[name] for name in self.inputs})[0]
        return np.asarray(out, dtype=np.float32)

    def share_lower(self, encoder: Any) -> bool:
        """Read the hidden state `encoder` keeps from its own pass over the same question
        (`OnnxEncoder.share_layer`) and run only the layers trained above the frozen ones:
        about half the reader's pass. Only for an encoder of the sentence model the tower
        was trained from, and only if on probe questions it gives the tower's own vectors
        (cosine >= SHARE_MIN_COSINE: the encoder's graph computes attention in another
        order, so the vectors agree to rounding, not bit for bit)."""
        with self._share_lock:
            if self._lower is encoder:
                return True
            if id(encoder) in self._refused:
                return False
            ok = self._attach(encoder)
            if not ok:
                self._refused.add(id(encoder))
            return ok

    def _attach(self, encoder: Any) -> bool:
        spec = getattr(encoder, "spec", None)
        if (
            self.frozen_layers < 1
            or getattr(spec, "model", None) != self.sentence_model
            or not hasattr(encoder, "share_layer")
            or not encoder.share_layer(self.frozen_layers - 1)
        ):
            return False
        if self._upper is None:
            self._upper = self._upper_session(self.frozen_layers - 1)
        if self._upper is None:
            return False
        full = [self._full(q) for q in SHARE_PROBES]
        self._lower = encoder
        for question, expected in zip(SHARE_PROBES, full, strict=True):
            encoder.encode_queries([question], 1, False)
            self._forget()
            if float(self.vector(question) @ expected) < SHARE_MIN_COSINE:
                log.warning("the reader does not share %s's lower layers: vectors differ", spec)
                self._lower = None
                return False
        self._forget()
        log.info("the reader runs its upper layers over %s's lower ones", spec)
        return True

    def _forget(self) -> None:
        with self._recent_lock:
            self._recent.clear()

    def _full(self, question: str) -> np.ndarray:
        return self._vectors([question])[0]

    def _upper_session(self, layer: int) -> tuple[Any, str, list[str]] | None:
        """The tower's graph above transformer layer `layer`, fed that layer's output."""
        import onnx
        import onnx.utils

        from dossier.index.encoders.onnx import layer_output

        model = onnx.load(str(self.path))
        name = layer_output(model, layer)
        if name is None:
            return None
        outputs = [o.name for o in model.graph.output][:1]
        upper = onnx.utils.Extractor(model).extract_model([name, *self.inputs], outputs)
        session = _session_from(upper.SerializeToString(), self.threads)
        return session, name, [i.name for i in session.get_inputs()]

    def logits_for_vectors(self, question: str, vectors: np.ndarray) -> np.ndarray:
        q = self.vector(question)
        if vectors.ndim != 2 or vectors.shape[1] != q.shape[0]:
            raise ReaderError(
                f"the reader scores {q.shape[0]}-dimensional sentence vectors of "
                f"{self.sentence_model}, not {vectors.shape[1:]}"
            )
        return (self.a * (vectors @ q) + self.b).astype(np.float32)

    def logits(self, question: str, texts: list[str]) -> np.ndarray:
        from dossier.index.embed import get_embedder

        embedder = get_embedder(self.sentence_model, device="cpu")
        return self.logits_for_vectors(question, embedder.encode(texts))


# Questions a tower sharing an encoder's lower layers is checked on (`_Tower.share_lower`).
SHARE_PROBES = (
    "When did Kazakhstan become independent?",
    "Which city hosts the Baikonur Cosmodrome?",
    "How many people live in the country?",
)
SHARE_MIN_COSINE = 0.999


def _session(path: Path, threads: int) -> Any:
    try:
        return _session_from(str(path), threads)
    except Exception as exc:
        raise ReaderError(f"cannot load the reader {path} as an ONNX model: {exc}") from exc


def _session_from(model: str | bytes, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 0: onnxruntime's default, one per core
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    # idle pool threads sleep rather than spin: they would take the core the next
    # question's encoder needs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


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

    def __init__(
        self, path: str | Path, *, device: str = "cpu", threads: int = 0, batch_max: int = 32
    ) -> None:
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
            config = _read_json(path.parent / "reader_config.json")
            if config.get("kind") == "question-tower":
                backend = _Tower(path, config, threads, batch_max)
            else:
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

    @property
    def sentence_model(self) -> str | None:
        """The embedding model whose sentence vectors `score_vectors` takes; None when the
        reader reads the sentences' text (`score`)."""
        return self.backend.sentence_model if isinstance(self.backend, _Tower) else None

    def share_lower(self, encoder: Any) -> bool:
        """Let a question tower read `encoder`'s lower layers (see `_Tower.share_lower`);
        False for any other reader, or an encoder it cannot share."""
        return isinstance(self.backend, _Tower) and self.backend.share_lower(encoder)

    def prefetch(self, question: str) -> None:
        """Start encoding `question` beside the caller's work, for a later `score_vectors`
        (a question tower only; other readers read text and do nothing here)."""
        if isinstance(self.backend, _Tower):
            self.backend.prefetch(question)

    def score_vectors(self, question: str, vectors: np.ndarray) -> np.ndarray:
        """Scores for sentences given by their vectors of `sentence_model` (unit, float32)."""
        if not isinstance(self.backend, _Tower):
            raise ReaderError(f"the reader at {self.path} reads text, not sentence vectors")
        if len(vectors) == 0:
            return np.zeros(0, dtype=np.float32)
        return self._squash(
            lambda: self.backend.logits_for_vectors(question, vectors), len(vectors)
        )

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        return self._squash(lambda: self.backend.logits(question, texts), len(texts))

    def _squash(self, run: Any, n: int) -> np.ndarray:
        try:
            raw = run()
        except ReaderError:
            raise
        except Exception as exc:
            raise ReaderError(f"the reader at {self.path} failed: {exc}") from exc
        if raw.ndim == 2:  # several labels: the last is "answers" by convention
            raw = raw[:, -1]
        if raw.shape != (n,):
            raise ReaderError(f"the reader at {self.path} gave {raw.shape} scores for {n} texts")
        return (1.0 / (1.0 + np.exp(-np.clip(raw, -50, 50)))).astype(np.float32)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_readers: dict[tuple[str, str, bool, int, int], Reader] = {}
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


def load_reader(
    path: str | Path | None,
    *,
    device: str = "cpu",
    threads: int = 0,
    sharing: bool = False,
    batch_max: int = 32,
) -> Reader | None:
    """The reader at `path`, loaded once per process and way of running it; None when no
    reader is configured ("", "none"). `auto` here means the shipped reader. `sharing` gives
    a reader of its own for callers that let it share an encoder's layers
    (`Reader.share_lower`), so the others keep the full pass. A question tower encodes
    concurrent questions together, up to `batch_max` in one pass."""
    if path is None:
        return None
    text = str(path).strip()
    if text == "" or text.lower() in OFF:
        return None
    target = SHIPPED if text.lower() == AUTO else Path(text).expanduser()
    key = (str(target.resolve()), device, sharing, threads, batch_max)
    with _lock:
        if key not in _readers:
            log.info("loading reader %s", target)
            _readers[key] = Reader(target, device=device, threads=threads, batch_max=batch_max)
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
