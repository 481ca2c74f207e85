"""What an evaluation runs against: the local index in-process, or a service over HTTP.

Both give the same three things, so every metric is computed the same way
whichever is measured.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from dossier.settings import Settings
from dossier.types import Answer, Document, Mode, ScoredPassage


class TargetError(Exception):
    pass


class Target(Protocol):
    def source_ids(self) -> set[str]: ...

    def document(self, source_id: str) -> Document: ...

    def search(self, question: str, *, k: int, mode: Mode) -> list[ScoredPassage]: ...

    def ask(self, question: str, *, mode: Mode) -> Answer: ...

    def describe(self) -> dict[str, object]: ...


class LocalTarget:
    """The index under the data directory, through the same engine the service uses."""

    def __init__(self, settings: Settings) -> None:
        from dossier.service.engine import Engine, EngineError

        self.engine = Engine(settings)
        try:
            self._ids = {s.id for s in self.engine.sources() if s.status == "ok"}
        except EngineError as exc:
            raise TargetError(str(exc)) from exc

    def source_ids(self) -> set[str]:
        return self._ids

    def document(self, source_id: str) -> Document:
        return self.engine.document(source_id)

    def search(self, question: str, *, k: int, mode: Mode) -> list[ScoredPassage]:
        return self.engine.search(question, k=k, mode=mode).passages

    def ask(self, question: str, *, mode: Mode) -> Answer:
        return self.engine.ask(question, mode=mode)

    def describe(self) -> dict[str, object]:
        """Which index and embedding model answered (from the index's manifest)."""
        manifest = self.engine.index.manifest
        return {
            "kind": "local",
            "data_dir": str(self.engine.settings.data_dir),
            "index_id": manifest.index_id,
            "model": manifest.model,
        }


class HttpTarget:
    """A running Dossier service; sends the API key from settings when one is set."""

    def __init__(self, url: str, settings: Settings) -> None:
        headers = {}
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self.http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=120)
        sources = self._get("/sources")
        self._ids = {s["id"] for s in sources if s["status"] == "ok"}
        self._documents: dict[str, Document] = {}

    def _call(self, method: str, path: str, **kwargs: object) -> object:
        try:
            response = self.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise TargetError(f"cannot reach {self.http.base_url}: {exc}") from exc
        if response.status_code != 200:
            raise TargetError(
                f"{method} {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def _get(self, path: str) -> list[dict]:
        return self._call("GET", path)  # type: ignore[return-value]

    def source_ids(self) -> set[str]:
        return self._ids

    def document(self, source_id: str) -> Document:
        if source_id not in self._documents:
            self._documents[source_id] = Document.model_validate(
                self._call("GET", f"/sources/{source_id}/text")
            )
        return self._documents[source_id]

    def search(self, question: str, *, k: int, mode: Mode) -> list[ScoredPassage]:
        body = self._call("POST", "/search", json={"query": question, "k": k, "mode": mode})
        return [ScoredPassage.model_validate(p) for p in body["passages"]]  # type: ignore[index]

    def ask(self, question: str, *, mode: Mode) -> Answer:
        return Answer.model_validate(
            self._call("POST", "/ask", json={"question": question, "mode": mode})
        )

    def describe(self) -> dict[str, object]:
        """The service's URL and the index it serves (its /readyz); the model is not exposed."""
        ready = self._call("GET", "/readyz")
        return {
            "kind": "http",
            "url": str(self.http.base_url).rstrip("/"),
            "index_id": ready.get("index_id") if isinstance(ready, dict) else None,
            "model": None,
        }
