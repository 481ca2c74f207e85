"""Undo HTTP content codings (gzip, deflate) in bounded steps, however deep they are nested.

httpx inflates each chunk read from the socket in one call, so 2 KB of
`Content-Encoding: gzip, gzip` can become gigabytes in memory before any size
check runs. Here every layer inflates at most `PIECE` bytes at a time and the
caller counts and caps the output between pieces: memory stays bounded by a
few pieces per layer plus whatever the caller keeps (at most `max_bytes`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

PIECE = 64 * 1024
MAX_LAYERS = 3
"""More codings than this on one response is not something a real server sends."""
SUPPORTED = ("gzip", "x-gzip", "deflate")
ACCEPT_ENCODING = "gzip, deflate"


class DecodeError(Exception):
    """The body's content coding is unsupported or its compressed data is corrupt."""


def codings(header: str | None) -> list[str]:
    """`Content-Encoding: gzip, identity, GZIP` → `['gzip', 'gzip']` (in the order applied)."""
    names = [part.strip().lower() for part in (header or "").split(",")]
    return [name for name in names if name and name != "identity"]


class _Layer:
    """One gzip or deflate layer, inflating at most PIECE bytes per call."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._obj: zlib._Decompress | None = None
        self._done = False  # gzip: a member ended; more members may follow

    def _start(self, data: bytes) -> None:
        if self.coding == "deflate":
            # "deflate" should be zlib-wrapped, but servers also send raw deflate.
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        else:
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._obj is None or (self._done and data[:2] == b"\x1f\x8b"):
                self._start(data)
                self._done = False
            elif self._done:
                return  # trailing garbage after the last member: ignored, as browsers do
            assert self._obj is not None
            try:
                out = self._obj.decompress(data, PIECE)
            except zlib.error as exc:
                raise DecodeError(f"corrupt {self.coding} data ({exc})") from exc
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                self._done = True
                data = self._obj.unused_data
            if out:
                yield out

    def flush(self) -> Iterator[bytes]:
        if self._obj is None or self._done:
            return
        while True:
            try:
                out = self._obj.decompress(b"", PIECE)
            except zlib.error as exc:  # pragma: no cover - zlib reports truncation as b""
                raise DecodeError(f"corrupt {self.coding} data ({exc})") from exc
            if not out:
                break
            yield out


def decoder(header: str | None) -> _Chain:
    """A decoder for a response's `Content-Encoding` header; raises DecodeError if unsupported."""
    names = codings(header)
    unknown = [name for name in names if name not in SUPPORTED]
    if unknown:
        raise DecodeError(f"unsupported Content-Encoding {unknown[0]!r}")
    if len(names) > MAX_LAYERS:
        raise DecodeError(f"{len(names)} nested content codings (more than {MAX_LAYERS})")
    return _Chain([_Layer(name) for name in reversed(names)])


class _Chain:
    """Layers applied outermost first; `feed` and `flush` yield decoded pieces."""

    def __init__(self, layers: list[_Layer]) -> None:
        self.layers = layers

    def feed(self, raw: bytes) -> Iterator[bytes]:
        return self._through(0, [raw])

    def flush(self) -> Iterator[bytes]:
        for depth, layer in enumerate(self.layers):
            yield from self._through(depth + 1, layer.flush())

    def _through(self, depth: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
        if depth == len(self.layers):
            yield from pieces
            return
        layer = self.layers[depth]
        for piece in pieces:
            yield from self._through(depth + 1, layer.feed(piece))
