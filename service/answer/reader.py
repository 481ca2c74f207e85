"""An optional reader: a cross-encoder that scores (question, sentence) pairs.

None ships with Dossier (no registry package carries one). A user who has one
names it with `DOSSIER_READER`: a sentence-transformers `CrossEncoder`
directory, or an `.onnx` file inside such a directory (loaded with the
sentence-transformers ONNX backend, which needs `onnxruntime` and `optimum`).
Its score, squashed to 0..1, becomes the `reader` column of the evidence
table, so the answerability model must have a coefficient for it: refit with
`python bench/fit_answerability.py --reader PATH --out FILE` and point
`DOSSIER_ANSWER_MODEL` at FILE.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

READER_FEATURE = "reader"


class ReaderError(RuntimeError):
    """The configured reader cannot be loaded or run; the message says what to do."""


class Reader:
    """A loaded cross-encoder; `score` returns one value in 0..1 per text."""

    def __init__(self, path: str | Path, *, device: str = "cpu") -> None:
        path = Path(path).expanduser()
        if not path.exists():
            raise ReaderError(f"DOSSIER_READER names {path}, which does not exist")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        kwargs: dict[str, Any] = {"device": device, "local_files_only": True}
        folder = path
        if path.is_file():
            if path.suffix != ".onnx":
                raise ReaderError(
                    f"DOSSIER_READER names the file {path}: give a CrossEncoder directory "
                    "or an .onnx file inside one"
                )
            folder = path.parent
            kwargs.update(backend="onnx", model_kwargs={"file_name": path.name})
        try:
            self.model = CrossEncoder(str(folder), **kwargs)
        except Exception as exc:
            raise ReaderError(f"cannot load the reader at {path}: {exc}") from exc
        self.path = path
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Reader({str(self.path)!r})"

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        import torch

        with self._lock:
            try:
                raw = self.model.predict(
                    [(question, t) for t in texts],
                    activation_fn=torch.nn.Identity(),
                    show_progress_bar=False,
                )
            except Exception as exc:
                raise ReaderError(f"the reader at {self.path} failed: {exc}") from exc
        raw = np.asarray(raw, dtype=np.float32)
        if raw.ndim == 2:  # several labels: the last is "answers" by convention
            raw = raw[:, -1]
        return (1.0 / (1.0 + np.exp(-raw))).astype(np.float32)


_readers: dict[tuple[str, str], Reader] = {}
_lock = threading.Lock()


def load_reader(path: str | Path | None, *, device: str = "cpu") -> Reader | None:
    """The reader at `path`, loaded once per process; None when no reader is configured."""
    if path is None or str(path).strip() == "":
        return None
    key = (str(Path(path).expanduser().resolve()), device)
    with _lock:
        if key not in _readers:
            log.info("loading reader %s", path)
            _readers[key] = Reader(path, device=device)
        return _readers[key]


__all__ = ["READER_FEATURE", "Reader", "ReaderError", "load_reader"]
