"""Micro-batching: questions that arrive together are encoded in one call.

Each request thread hands its question to `MicroBatcher.encode` and blocks;
one worker thread takes everything pending (up to `max_batch`) and encodes it
with a single call of the batch function, then hands each caller its own
vector. While the worker is busy, new questions queue, so under load batches
form by themselves; the worker waits `max_wait` for companions only when the
previous batch had several questions (one client alone never waits). With
`inline`, there is no worker: a caller that finds a free lane runs the pending batch in
its own thread, and with `lanes` > 1 that many batches run side by side (a single-threaded
encoder per pass, one pass per core: concurrent questions then use every core without the
cost of splitting one short pass across threads).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)


@dataclass
class _Request:
    text: str
    done: threading.Event = field(default_factory=threading.Event)
    vector: np.ndarray | None = None
    error: BaseException | None = None
    taken: bool = False  # in a batch being encoded


class MicroBatcher:
    """Thread-safe: any number of threads may call `encode` at once.

    `inline=True` is for a batch function that may run on any thread (ONNX Runtime owns its
    thread pool): the calling thread that finds the encoder idle encodes the pending batch
    itself, so a lone question costs no hand-over to another thread and back; up to `lanes`
    callers encode at once. Otherwise one
    worker thread runs every batch (torch's OpenMP pool belongs to the thread that calls it,
    so torch called from many threads would start a pool per thread).
    """

    def __init__(
        self,
        encode_batch: Callable[[list[str]], np.ndarray],
        *,
        max_batch: int = 32,
        max_wait: float = 0.001,
        inline: bool = False,
        lanes: int = 1,
        name: str = "dossier-batcher",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if lanes < 1:
            raise ValueError("lanes must be at least 1")
        self._encode_batch = encode_batch
        self.max_batch = max_batch
        self.max_wait = max(0.0, max_wait)
        self.inline = inline
        self.lanes = lanes if inline else 1
        self._name = name
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._worker: threading.Thread | None = None
        self._busy = 0  # batches being encoded (inline mode)
        self._closed = False
        self._last_size = 0
        self.calls = 0  # batch-function calls (forward passes), for tests and the benchmark
        self.encoded = 0  # questions encoded

    def encode(self, text: str) -> np.ndarray:
        """`text`'s vector, computed in a batch with whatever else arrived meanwhile."""
        request = _Request(text)
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._pending.append(request)
            if not self.inline:
                if self._worker is None or not self._worker.is_alive():
                    self._worker = threading.Thread(target=self._run, name=self._name, daemon=True)
                    self._worker.start()
                self._cond.notify_all()
        if self.inline:
            self._lead_until_done(request)
        else:
            request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.vector is not None
        return request.vector

    def close(self) -> None:
        """Take no new questions; those pending are still answered."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _collect(self) -> list[_Request]:
        """The next batch from a non-empty queue (the condition held). After a batch of several
        questions, wait up to `max_wait` for more: questions are arriving together."""
        if self.max_wait > 0 and self._last_size > 1:
            deadline = time.monotonic() + self.max_wait
            while len(self._pending) < self.max_batch:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        batch = self._pending[: self.max_batch]
        del self._pending[: self.max_batch]
        for request in batch:
            request.taken = True
        self._last_size = len(batch)
        return batch

    def _lead_until_done(self, request: _Request) -> None:
        """Inline mode: wait while every lane is taken; when one is free, encode the pending
        batch here (ours is in it, or in a later one if more than `max_batch` wait, or another
        caller took it into its lane)."""
        while True:
            with self._cond:
                while self._busy >= self.lanes and not request.done.is_set():
                    self._cond.wait()
                if request.done.is_set():
                    return
                if request.taken:  # in another lane's batch: wait for it
                    self._cond.wait()
                    continue
                self._busy += 1
                batch = self._collect()
                if not batch:  # another lane took ours while this one waited for companions
                    self._busy -= 1
                    continue
            try:
                self._process(batch)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _take(self) -> list[_Request] | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            return self._collect()

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            self._process(batch)

    def _process(self, batch: list[_Request]) -> None:
        texts = list(dict.fromkeys(r.text for r in batch))  # a repeated question once
        try:
            vectors = self._encode_batch(texts)
            if len(vectors) != len(texts):
                raise RuntimeError(f"{len(vectors)} vectors for {len(texts)} questions")
            by_text = dict(zip(texts, vectors, strict=True))
            for request in batch:
                request.vector = by_text[request.text]
        except BaseException as exc:  # every waiting caller gets the error, none hangs
            log.exception("encoding a batch of %d questions failed", len(texts))
            for request in batch:
                request.error = exc
        finally:
            self.calls += 1
            self.encoded += len(texts)
            for request in batch:
                request.done.set()


__all__ = ["MicroBatcher"]
