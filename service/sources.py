"""The corpus as the API and the CLI list it, from an index's documents and ingest report.

Kept apart from the engine so that `dossier sources` and source-id checks work
from the index's JSON files alone, without loading the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import PurePath

from dossier.index.catalog import Catalog, CatalogError, read_catalog
from dossier.service.schemas import SourceInfo
from dossier.settings import Settings
from dossier.types import Document, IngestReport


class UnknownSourceError(ValueError):
    """A requested source id is not in the index; the message lists what is."""


def source_infos(
    documents: Mapping[str, Document], counts: Mapping[str, int], report: IngestReport | None
) -> list[SourceInfo]:
    """Every source: those in the ingest report in its order, then any other indexed one."""
    statuses = {s.source_id: s for s in report.sources} if report else {}
    ids = list(statuses) + [i for i in documents if i not in statuses]
    out = []
    for source_id in ids:
        status = statuses.get(source_id)
        document = documents.get(source_id)
        location = status.location if status else None
        out.append(
            SourceInfo(
                id=source_id,
                title=(document.title if document else None) or (status.title if status else None),
                url=public_url((document.url if document else None) or location),
                file=_file_name(location),
                language=document.language if document else None,
                author=document.author if document else None,
                date=document.date if document else None,
                format=document.format if document else None,
                status="ok" if document else "failed",
                failure=status.failure if status else None,
                reason=hide_paths(status.reason) if status else None,
                http_status=status.http_status if status else None,
                fetched_at=status.fetched_at if status else None,
                origin=status.origin if status else None,
                passages=counts.get(source_id, 0),
                chars=len(document.text) if document else 0,
                pages=len(document.pages) if document and document.pages else None,
            )
        )
    return out


_ABS_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"]+/)+([^\s/'\"]+)")


def public_url(location: str | None) -> str | None:
    """Only web addresses are shown: a local source's path says where the server keeps files."""
    return location if location and location.startswith(("http://", "https://")) else None


def _file_name(location: str | None) -> str | None:
    if not location or location.startswith(("http://", "https://")):
        return None
    return PurePath(location).name


def hide_paths(text: str | None) -> str | None:
    """A failure reason with server paths cut down to their file name."""
    return _ABS_PATH.sub(r"\1", text) if text else text


def check_sources(
    documents: Mapping[str, Document], report: IngestReport | None, sources: Iterable[str] | None
) -> set[str] | None:
    """The requested source ids, or UnknownSourceError saying which are not usable and why."""
    if sources is None:
        return None
    wanted = set(sources)
    unknown = sorted(wanted - set(documents))
    if unknown:
        failed = {s.source_id for s in report.sources if not s.ok} if report else set()
        unusable = [s for s in unknown if s in failed]
        if unusable:
            raise UnknownSourceError(
                f"source(s) {', '.join(unusable)} failed to ingest and have no passages; "
                "see GET /sources for the reason"
            )
        raise UnknownSourceError(
            f"unknown source id(s): {', '.join(unknown)}; known ids: {', '.join(sorted(documents))}"
        )
    return wanted


class NotUsableError(ValueError):
    """A query cannot run: no index, or a model that cannot load; the message says why."""


def preflight(settings: Settings, sources: Iterable[str] | None = None) -> Catalog:
    """Check, from the index's JSON files alone, that a query can run: an index is
    published, the source ids are in it, and the configured model can be the one it
    was built with. Raises NotUsableError or UnknownSourceError in well under a second."""
    try:
        catalog = read_catalog(settings)
    except CatalogError as exc:
        raise NotUsableError(str(exc)) from None
    check_sources(catalog.documents, catalog.report, sources)
    from dossier.index.embed import canonical_model_name, model_problem  # numpy: only here

    problem = model_problem(settings.model)
    if problem is not None:
        raise NotUsableError(problem)
    built_with = catalog.manifest.model
    # Unless the settings name a model, the index's is used (ingest may have chosen it).
    if settings.model_chosen and canonical_model_name(built_with) != canonical_model_name(
        settings.model
    ):
        raise NotUsableError(
            f"index built with model {built_with} but settings say {settings.model}; "
            f"re-run `dossier ingest` or set DOSSIER_MODEL={built_with}"
        )
    return catalog
