"""ONNX Runtime, int8: the same MiniLM, two to four times faster on a CPU.

The sentence-transformers model is exported once with `torch.onnx.export`
(transformer, mean pooling and L2 normalisation in one graph, so the vectors
match sentence-transformers'), quantised with onnxruntime's
`quantize_dynamic`, per channel (per tensor loses too much: cosine to fp32
about 0.95) with 7-bit weights (`reduce_range`, see below), and cached under
the encoder cache directory, keyed by the model files and the versions of
everything that shaped the file. Afterwards a process needs only onnxruntime
and `tokenizers`: torch is imported only to export.

`DOSSIER_ENCODER=onnx` runs it on any mean-pooled, normalised
sentence-transformers model directory; `VALIDATED` lists the models whose
int8 vectors were compared with torch's (mean cosine ≥ 0.99, SciFact test
nDCG@10 within 0.005): `auto` picks onnx for those. The first process that
needs the file exports it (a few seconds), so a fresh machine needs nothing
but the model package.

Why 7-bit weights: onnxruntime multiplies uint8 activations by int8 weights
with VNNI where the CPU has it and with AVX2's `vpmaddubsw` where it does not,
and the latter saturates on full-range weights. The same 8-bit file then gave
vectors at cosine 0.993 to each other on the two kernels, and five answers in
a hundred changed with the CPU. With weights in [-64, 64] no pair of products
saturates: the two kernels now agree to float rounding (most query vectors
bit for bit, passages at cosine 0.999; checked under valgrind, which hides
AVX-512), and answers in one or two questions in a hundred.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import warnings
from collections import OrderedDict
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from dossier.index.encoders import (
    EncoderOptions,
    EncoderSpec,
    EncoderUnavailable,
    Later,
    Pooled,
    Ranges,
    pool_ranges,
    resolve,
)

log = logging.getLogger(__name__)

POOLS = True  # sentence vectors pooled from a passage's own forward pass (PoolingEncoder)
NAME = "onnx"
QUANTIZATION = "int8-per-channel-7bit"
VALIDATED = frozenset({"sentence-transformers/all-MiniLM-L6-v2"})
EXPORT_FORMAT = 3  # bump when the export below changes what the file computes (3: 7-bit weights)
OPSET = 17
FILENAME = "model.int8.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUTS = ("embedding", "token_embeddings")  # the text's unit vector; each token's, unpooled
# Token embeddings kept while the sentence ranges to pool them over are still being worked
# out (each batch of 64 passages of 256 word pieces holds 25 MB); past this, wait for them.
WAITING_BYTES = 256 * 2**20
DOCUMENT_PROMPTS = ("document", "passage", "corpus")


def supports(model: str) -> str | None:
    if model in VALIDATED:
        return None
    return "its ONNX vectors were not validated against torch's; set DOSSIER_ENCODER=onnx to try"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dossier" / "encoders"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _check_structure(source: Path) -> None:
    """Only what the exported graph computes: transformer → mean pooling → normalise."""
    modules = _read_json(source / "modules.json") or []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    pooling = _read_json(source / "1_Pooling" / "config.json") or {}
    if kinds != ["Transformer", "Pooling", "Normalize"] or not pooling.get(
        "pooling_mode_mean_tokens"
    ):
        raise EncoderUnavailable(
            f"the onnx encoder runs mean-pooled, normalised sentence-transformers models; "
            f"{source} has modules {kinds or 'none'}; set DOSSIER_ENCODER=torch"
        )
    if not (source / "tokenizer.json").is_file():
        raise EncoderUnavailable(f"{source} has no tokenizer.json; set DOSSIER_ENCODER=torch")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def cache_key(source: Path) -> str:
    """Digest of the model files and the versions of everything the exported file depends on."""
    files = []
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            files.append((str(path.relative_to(source)), stat.st_size, stat.st_mtime_ns))
    payload = {
        "format": EXPORT_FORMAT,
        "opset": OPSET,
        "quantization": QUANTIZATION,
        "source": str(source.resolve()),
        "files": files,
        "versions": {p: _version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")},
    }
    blob = json.dumps(payload, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def export(source: Path, target: Path) -> None:
    """Export the model (pooling and normalisation included) and quantise it into `target`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> tuple[torch.Tensor, torch.Tensor]:
            tokens = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1), tokens

    model = Pooled(AutoModel.from_pretrained(str(source)).eval())
    example = {
        "input_ids": torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]]),
        "attention_mask": torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]),
        "token_type_ids": torch.zeros(2, 4, dtype=torch.long),
    }
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    fp32 = target.with_name(f"{target.name}.fp32-{os.getpid()}")
    int8 = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    quiet = logging.getLogger()
    level = quiet.level
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                tuple(example[name] for name in INPUTS),
                str(fp32),
                input_names=list(INPUTS),
                output_names=list(OUTPUTS),
                dynamic_axes={
                    **axes,
                    "embedding": {0: "batch"},
                    "token_embeddings": {0: "batch", 1: "tokens"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        quiet.setLevel(logging.ERROR)  # quantize_dynamic suggests pre-processing on the root logger
        quantize_dynamic(
            str(fp32), str(int8), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8
        )
        os.replace(int8, target)
    finally:
        quiet.setLevel(level)
        fp32.unlink(missing_ok=True)
        int8.unlink(missing_ok=True)


def exported(source: Path, cache_dir: Path) -> Path:
    """The cached int8 file for this model, exporting it first when there is none."""
    folder = cache_dir / f"{source.name}-{cache_key(source)}"
    target = folder / FILENAME
    if target.is_file():
        return target
    with _locked(folder / ".lock"):
        if not target.is_file():  # another process may have exported it meanwhile
            log.info("exporting %s to ONNX int8 in %s (once)", source, folder)
            export(source, target)
    return target


def layer_output(model: Any, layer: int) -> str | None:
    """The name of the hidden state after transformer layer `layer` in an exported BERT-like
    graph (its output LayerNorm), or None when the graph has no such single node."""
    names = [
        node.output[0]
        for node in model.graph.node
        if node.op_type == "LayerNormalization"
        and f"/encoder/layer.{layer}/output/LayerNorm/" in node.name
    ]
    return names[0] if len(names) == 1 else None


class OnnxEncoder:
    # ONNX Runtime owns its thread pool: any thread may call the session (the micro-batcher
    # then encodes in the request's own thread, see dossier.service.batching).
    any_thread = True

    def __init__(self, model: str, source: Path, path: Path, options: EncoderOptions) -> None:
        self.spec = EncoderSpec(backend=NAME, model=model, quantization=QUANTIZATION)
        self.path = path
        self.source = source
        config = _read_json(source / "sentence_bert_config.json") or {}
        hf_config = _read_json(source / "config.json") or {}
        max_length = int(config.get("max_seq_length") or hf_config.get("max_position_embeddings"))
        # Truncated, not padded: texts are tokenised once, batched by their token counts and
        # padded here to their batch's longest (`_feed`), so a batch pads as little as it can.
        self.tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        prompts = (_read_json(source / "config_sentence_transformers.json") or {}).get("prompts")
        prompts = prompts or {}
        self.query_prompt = prompts.get("query", "")
        self.document_prompt = next((prompts[p] for p in DOCUMENT_PROMPTS if p in prompts), "")
        session_options = ort.SessionOptions()
        session_options.intra_op_num_threads = options.thread_count
        self.lanes = options.lanes  # passes the service may run side by side
        session_options.inter_op_num_threads = 1
        session_options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        session_options.log_severity_level = 3
        # Idle pool threads must sleep, not spin: a spinning thread burns the core another
        # request (or the server's Python) needs, which doubled the server's CPU per /ask.
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._options = session_options
        self.session = ort.InferenceSession(
            str(path), session_options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dimension = int(self.session.get_outputs()[0].shape[-1] or self._probe())
        # `share_layer`: the hidden state a query pass also returns, kept by token ids.
        self.shared_layer: tuple[int, str] | None = None
        self._kept: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._kept_lock = threading.Lock()

    def _probe(self) -> int:
        return int(self._forward(["dimension"]).shape[1])

    def _feed(self, encoded: list[Any]) -> dict[str, np.ndarray]:
        """The model's inputs for tokenised texts, padded to the longest of them."""
        width = max(len(e.ids) for e in encoded)
        ids = np.full((len(encoded), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encoded), width), dtype=np.int64)
        types = np.zeros((len(encoded), width), dtype=np.int64)
        for k, e in enumerate(encoded):
            length = len(e.ids)
            ids[k, :length] = e.ids
            mask[k, :length] = e.attention_mask
            types[k, :length] = e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return {name: feed[name] for name in self.inputs}

    def _run(
        self, encoded: list[Any], tokens: bool, extra: tuple[str, ...] = ()
    ) -> list[np.ndarray]:
        outputs = [*(OUTPUTS if tokens else OUTPUTS[:1]), *extra]
        return self.session.run(outputs, self._feed(encoded))

    def _forward(self, texts: list[str]) -> np.ndarray:
        return self._run(self.tokenizer.encode_batch(texts), tokens=False)[0]

    def _batches(self, encoded: list[Any], batch_size: int, progress: bool) -> Any:
        """Rows of the tokenised texts per forward pass: most tokens first, so a batch holds
        texts of nearly the same token count and pads little (sentence-transformers sorts
        by characters, which in technical text say less about the tokens)."""
        if len(encoded) <= batch_size:
            return [np.arange(len(encoded))]
        order = np.argsort([-len(e.ids) for e in encoded], kind="stable")
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        if progress:
            from tqdm.auto import tqdm

            return tqdm(batches, desc="Batches", unit="batch")
        return batches

    def _encode(self, texts: list[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        if prompt:
            texts = [prompt + t for t in texts]
        if len(texts) <= batch_size:
            return self._forward(texts)
        encoded = self.tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in self._batches(encoded, batch_size, progress):
            out[rows] = self._run([encoded[r] for r in rows], tokens=False)[0]
        return out

    def encode_documents(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return self._encode(texts, self.document_prompt, batch_size, progress)

    def encode_documents_pooled(
        self,
        texts: list[str],
        ranges: list[list[Ranges]] | Later,
        batch_size: int,
        progress: bool,
    ) -> tuple[np.ndarray, list[Pooled]]:
        """The passages' vectors, batched as `encode_documents` batches them, and the
        vectors of their sentences pooled from the same forward pass (`PoolingEncoder`).

        With `Later` ranges (the ingest still splitting sentences in another thread), the
        forward passes go on and their token embeddings wait, up to `WAITING_BYTES`, to be
        pooled once the ranges come.
        """
        shift = len(self.document_prompt)
        prompted = [self.document_prompt + t for t in texts] if shift else texts
        encoded = self.tokenizer.encode_batch(prompted)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled: dict[int, Pooled] = {}
        plan = None if isinstance(ranges, Later) else ranges
        waiting: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, their token embeddings)
        held = 0

        def pool(rows: np.ndarray, tokens: np.ndarray, plan: list[list[Ranges]]) -> None:
            for k, row in enumerate(rows):
                real = np.flatnonzero(~np.asarray(encoded[row].special_tokens_mask, dtype=bool))
                offsets = np.asarray(encoded[row].offsets, dtype=np.int64)[real]
                pooled[int(row)] = pool_ranges(tokens[k][real], offsets, plan[row], shift)

        for rows in self._batches(encoded, batch_size, progress):
            vectors, tokens = self._run([encoded[r] for r in rows], tokens=True)
            out[rows] = vectors
            if plan is None and (ranges.ready() or held + tokens.nbytes > WAITING_BYTES):  # type: ignore[union-attr]
                plan = resolve(ranges)
            if plan is None:
                waiting.append((rows, tokens))
                held += tokens.nbytes
                continue
            for early, kept in waiting:
                pool(early, kept, plan)
            waiting.clear()
            pool(rows, tokens, plan)
        if waiting:
            plan = resolve(ranges)
            for early, kept in waiting:
                pool(early, kept, plan)
        return out, [pooled[row] for row in range(len(texts))]

    def encode_queries(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """One forward pass per question: int8 activations are quantised per pass, so a
        batch would make a question's vector depend on the questions sharing it."""
        forward = self._forward if self.shared_layer is None else self._forward_sharing
        if len(texts) == 1:
            return forward([self.query_prompt + texts[0]])
        return np.concatenate([forward([self.query_prompt + t]) for t in texts])

    # Sharing the lower layers with the reader -------------------------------------------

    KEEP = 64  # hidden states kept: a request's reader pass follows its encoder pass

    def share_layer(self, layer: int) -> bool:
        """Have every query pass also give the hidden state after transformer layer `layer`,
        kept by the question's token ids (`hidden_for`): a model whose lower layers are this
        one's (the reader's question tower) then runs only its upper ones over it. The query
        vector is the same bit for bit (the tensor is computed anyway); False when the graph
        has no such layer."""
        if self.shared_layer is not None:
            return self.shared_layer[0] == layer
        import onnx

        model = onnx.load(str(self.path))
        name = layer_output(model, layer)
        if name is None:
            return False
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        )
        self.session = ort.InferenceSession(
            model.SerializeToString(), self._options, providers=["CPUExecutionProvider"]
        )
        self.shared_layer = (layer, name)
        return True

    def hidden_for(self, ids: tuple[int, ...]) -> np.ndarray | None:
        """The kept hidden state of the query pass over exactly these token ids, if any."""
        with self._kept_lock:
            return self._kept.get(ids)

    def _forward_sharing(self, texts: list[str]) -> np.ndarray:
        assert self.shared_layer is not None
        encoded = self.tokenizer.encode_batch(texts)
        vectors, hidden = self._run(encoded, tokens=False, extra=(self.shared_layer[1],))
        with self._kept_lock:
            for k, e in enumerate(encoded):
                self._kept[tuple(e.ids)] = hidden[k : k + 1]
            while len(self._kept) > self.KEEP:
                self._kept.popitem(last=False)
        return vectors


def load(model: str, source: str, options: EncoderOptions) -> OnnxEncoder:
    if options.device != "cpu":
        raise EncoderUnavailable(
            f"the onnx encoder runs on the CPU, device is {options.device!r}; "
            "set DOSSIER_ENCODER=torch"
        )
    folder = Path(source)
    if not folder.is_dir():
        raise EncoderUnavailable(
            f"the onnx encoder exports a local model directory; {source!r} is not one"
        )
    _check_structure(folder)
    path = exported(folder, options.cache_dir or default_cache_dir())
    return OnnxEncoder(model, folder, path, options)
