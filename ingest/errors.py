"""The one exception shape every ingest stage raises for a source it cannot use.

A failure always carries a `FailureKind` (what the report and the CLI table
group by) and a reason a person can act on, so the pipeline can record it
without knowing which stage failed.
"""

from __future__ import annotations

from dossier.types import FailureKind


class SourceError(Exception):
    """A source could not be used; `kind` classifies why, `reason` explains it."""

    def __init__(self, kind: FailureKind, reason: str, http_status: int | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind.value!r}, {self.reason!r})"
