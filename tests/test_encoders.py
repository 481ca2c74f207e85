"""Encoder backends with the real bundled MiniLM: ONNX int8 against torch, and which
encoder an index records and accepts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dossier.index.embed import Embedder, get_embedder, load_embedder
from dossier.index.encoders import EncoderSpec, EncoderUnavailable, choose
from dossier.index.store import (
    IndexEncoderMismatchError,
    build_index,
    load_index,
    publish,
)
from dossier.settings import Settings
from dossier.types import Document, Passage

SENTENCES = [
    "The Caspian Pipeline Consortium carries crude oil from the Tengiz field to Novorossiysk.",
    "Russia leases the Baikonur Cosmodrome from Kazakhstan until 2050.",
    "Kazakh is the state language; Russian keeps an official status.",
    "Which pipeline takes Kazakh crude oil to the Black Sea?",
    "Mean arterial pressure fell after the treatment in both groups of patients.",
    "Kazakhstan is the largest producer of uranium in the world.",
]


@pytest.fixture(scope="module")
def onnx() -> Embedder:
    return get_embedder("all-MiniLM-L6-v2", encoder="onnx")


@pytest.fixture(scope="module")
def torch() -> Embedder:
    return get_embedder("all-MiniLM-L6-v2", encoder="torch")


def test_choosing_a_backend() -> None:
    # auto: onnx int8 for the bundled MiniLM (validated against torch), torch for other models.
    assert choose("auto", "sentence-transformers/all-MiniLM-L6-v2") == "onnx"
    assert choose("auto", "/some/other/model") == "torch"
    assert choose("torch", "sentence-transformers/all-MiniLM-L6-v2") == "torch"
    assert load_embedder(Settings()).spec.backend == "onnx"
    assert load_embedder(Settings(encoder="torch")).spec.backend == "torch"
    with pytest.raises(EncoderUnavailable, match="unknown encoder 'tpu'"):
        choose("tpu", "sentence-transformers/all-MiniLM-L6-v2")


def test_onnx_vectors_match_torch(onnx: Embedder, torch: Embedder) -> None:
    assert onnx.spec == EncoderSpec(
        backend="onnx",
        model="sentence-transformers/all-MiniLM-L6-v2",
        quantization="int8-per-channel-7bit",
    )
    assert torch.spec.backend == "torch" and torch.spec.quantization == "none"
    assert onnx.dimension == torch.dimension == 384
    for method in ("encode", "encode_queries"):
        ours, theirs = getattr(onnx, method)(SENTENCES), getattr(torch, method)(SENTENCES)
        assert ours.shape == theirs.shape and ours.dtype == np.float32
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.mean() >= 0.99 and cosines.min() >= 0.98, cosines
    # The nearest sentence to the question is the same for both.
    question_o, question_t = onnx.encode_query(SENTENCES[3]), torch.encode_query(SENTENCES[3])
    docs_o, docs_t = onnx.encode(SENTENCES[:3]), torch.encode(SENTENCES[:3])
    assert int(np.argmax(docs_o @ question_o)) == int(np.argmax(docs_t @ question_t)) == 0


def int8_weights(path: Path) -> list[np.ndarray]:
    import onnx as onnx_format
    from onnx import numpy_helper

    model = onnx_format.load(str(path))
    return [
        numpy_helper.to_array(tensor)
        for tensor in model.graph.initializer
        if tensor.data_type == onnx_format.TensorProto.INT8 and tensor.dims
    ]


def test_onnx_weights_fit_seven_bits_so_no_cpus_kernel_saturates(onnx: Embedder) -> None:
    """uint8 x full-range int8 saturates in AVX2's kernel but not in VNNI's: with 7-bit
    weights the vectors (and the figures measured on them) do not depend on the CPU."""
    weights = int8_weights(onnx.model.path)
    assert len(weights) >= 36  # six layers of Q, K, V, output, and two feed-forward matrices
    largest = [int(np.abs(w.astype(np.int16)).max()) for w in weights]
    assert max(largest) == 64  # 255 * 64 * 2 < 2**15: no pair of products saturates


def test_onnx_query_vector_does_not_depend_on_its_batch(onnx: Embedder) -> None:
    """int8 activations are quantised per forward pass: each question gets its own."""
    alone = onnx.encode_query(SENTENCES[3])
    batched = onnx.encode_queries([SENTENCES[0], SENTENCES[3], "x " * 200])[1]
    assert np.array_equal(alone, batched)


def test_onnx_batches_passages_by_their_token_counts(onnx: Embedder) -> None:
    """Texts of one length in characters can differ threefold in word pieces (figures,
    formulas): each forward pass holds texts of nearly the same token count, padded only
    to its own longest, and every text keeps its own vector."""
    words = ["The field lies north of the Caspian Sea " + "and its oil " * k for k in (8, 9)]
    figures = ["1.5, 2.7 (p<0.01) " * k for k in (5, 6)]
    texts = [words[0], figures[0], words[1], figures[1]]
    model = onnx.model
    encoded = model.tokenizer.encode_batch(texts)
    counts = [len(e.ids) for e in encoded]
    assert max(counts[0], counts[2]) < min(counts[1], counts[3])  # figures: more pieces
    batches = [sorted(int(r) for r in rows) for rows in model._batches(encoded, 2, False)]
    assert batches == [[1, 3], [0, 2]]
    for rows in batches:
        feed = model._feed([encoded[r] for r in rows])
        assert feed["input_ids"].shape[1] == max(counts[r] for r in rows)
        assert feed["attention_mask"].sum() == sum(counts[r] for r in rows)
    alone = np.concatenate([onnx.encode([t]) for t in texts])
    together = Embedder(onnx.name, model, batch_size=2).encode(texts)
    assert float((alone * together).sum(axis=1).min()) >= 0.99


def test_export_is_cached(onnx: Embedder) -> None:
    from dossier.index.encoders import onnx as backend

    path = onnx.model.path
    assert path.is_file() and path.stat().st_size > 10_000_000
    written = path.stat().st_mtime_ns
    again = get_embedder("sentence-transformers/all-MiniLM-L6-v2", encoder="onnx")
    assert again.model is onnx.model  # one load per process
    # Found under its key, not exported again.
    assert backend.exported(onnx.model.source, path.parent.parent) == path
    assert path.stat().st_mtime_ns == written
    assert path.parent.name.startswith(onnx.model.source.name + "-")


# Manifests ----------------------------------------------------------------------------


INDEXED = [s for s in SENTENCES if not s.endswith("?")]


def _corpus() -> tuple[list[Document], list[Passage]]:
    text = "\n\n".join(INDEXED)
    passages, at = [], 0
    for n, sentence in enumerate(INDEXED):
        start = text.index(sentence, at)
        at = start + len(sentence)
        passages.append(Passage(id=f"s:{n:04d}", source_id="s", text=sentence, start=start, end=at))
    document = Document(source_id="s", text=text, format="text", sha256="0" * 64)
    return [document], passages


def _publish(settings: Settings, embedder: Embedder, reuse=None) -> Path:
    documents, passages = _corpus()
    path = build_index(
        documents, passages, embedder=embedder, settings=settings, progress=False, reuse=reuse
    )
    publish(settings, path)
    return path


def test_manifest_records_encoder_and_mismatch_is_refused(
    tmp_path: Path, onnx: Embedder, torch: Embedder
) -> None:
    settings = Settings(data_dir=tmp_path / "data", dense_vectors="passage")  # reuse counted
    path = _publish(settings, torch)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["encoder"] == {
        "backend": "torch",
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "quantization": "none",
    }
    # Queried with vectors of another encoder: refused, saying what to do.
    with pytest.raises(IndexEncoderMismatchError) as caught:
        load_index(settings, embedder=onnx)
    assert "re-run `dossier ingest`" in str(caught.value)
    assert "DOSSIER_ENCODER=torch" in str(caught.value)
    with pytest.raises(IndexEncoderMismatchError):
        load_index(Settings(data_dir=settings.data_dir, encoder="onnx"))
    # auto follows the index: queries are encoded by torch, like its passages.
    index = load_index(Settings(data_dir=settings.data_dir, encoder="auto"))
    assert index.embedder.spec == torch.spec
    assert index.search(SENTENCES[3], k=1, mode="dense")[0].id == "s:0000"

    # The next ingest with onnx re-embeds everything instead of reusing torch's vectors.
    previous = load_index(settings, embedder=torch)
    rebuilt = _publish(settings, onnx, reuse=previous)
    manifest = json.loads((rebuilt / "manifest.json").read_text())
    assert manifest["encoder"]["backend"] == "onnx"
    assert manifest["embedded"] == len(INDEXED) and manifest["reused"] == 0
    index = load_index(settings)
    assert index.embedder.spec == onnx.spec
    assert index.search(SENTENCES[3], k=1, mode="dense")[0].id == "s:0000"
    # Same encoder again: every vector is reused.
    again = _publish(settings, onnx, reuse=index)
    assert json.loads((again / "manifest.json").read_text())["reused"] == len(INDEXED)


def test_index_without_recorded_encoder_is_torch(tmp_path: Path, torch: Embedder) -> None:
    """Indexes written before encoders were recorded were built by torch."""
    settings = Settings(data_dir=tmp_path / "data")
    path = _publish(settings, torch)
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["encoder"]
    (path / "manifest.json").write_text(json.dumps(manifest))
    assert load_index(settings).embedder.spec == torch.spec
    with pytest.raises(IndexEncoderMismatchError):
        load_index(Settings(data_dir=settings.data_dir, encoder="onnx"))
