"""Read the source list (`corpus/sources.toml`) into validated `SourceSpec`s.

Every problem is reported as a `CorpusError` whose message names the file,
the entry and the field, because the person fixing it is editing that file.
Local `path` entries are returned absolute (resolved against the TOML file's
folder), so later stages never depend on the current directory.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dossier.types import SourceSpec


class CorpusError(Exception):
    """The source list cannot be used; the message says what to fix."""


def load_sources(path: Path) -> list[SourceSpec]:
    """The sources listed as `[[source]]` tables in `path`, in file order."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise CorpusError(
            f"source list {path} {what}; pass --corpus or set DOSSIER_CORPUS to a sources.toml"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 puts "(at line L, column C)" in the message itself.
        raise CorpusError(f"{path} is not valid TOML: {exc}") from exc

    unknown = sorted(set(data) - {"source"})
    if unknown:
        hint = " (the table is [[source]], singular)" if "sources" in unknown else ""
        raise CorpusError(
            f"{path}: unknown top-level key(s) {', '.join(map(repr, unknown))}{hint}; "
            "each source is a [[source]] table"
        )
    entries = data.get("source", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CorpusError(f"{path}: `source` must be a list of [[source]] tables")
    if not entries:
        raise CorpusError(f"{path} lists no sources; add at least one [[source]] table")

    folder = path.resolve().parent
    specs: list[SourceSpec] = []
    first_seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        spec = _validate(path, number, entry)
        if spec.id in first_seen:
            raise CorpusError(
                f"{path}: duplicate source id {spec.id!r} (entries #{first_seen[spec.id]} "
                f"and #{number}); ids must be unique"
            )
        first_seen[spec.id] = number
        if spec.path is not None:
            spec = spec.model_copy(update={"path": str(resolve_local_path(spec.path, folder))})
        specs.append(spec)
    return specs


def resolve_local_path(value: str, folder: Path) -> Path:
    """A `path` entry as an absolute path; relative ones are relative to the sources file."""
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else (folder / candidate).resolve()


def _validate(path: Path, number: int, entry: dict[str, Any]) -> SourceSpec:
    try:
        spec = SourceSpec.model_validate(entry)
    except ValidationError as exc:
        source_id = entry.get("id")
        who = f"source #{number} (id {source_id!r})" if source_id else f"source #{number}"
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            message = message.removeprefix(f"source {source_id!r}: ")
            if error["type"] == "extra_forbidden":
                message = "unknown field (check the spelling)"
            elif error["type"] == "string_pattern_mismatch" and field == "id":
                message = "must be lower-case letters, digits, '.', '_' or '-' (at most 64)"
            problems.append(f"`{field}`: {message}" if field else message)
        raise CorpusError(f"{path}: {who} is invalid: " + "; ".join(problems)) from exc
    if spec.pdf_link is not None:
        try:
            re.compile(spec.pdf_link)
        except re.error as exc:
            raise CorpusError(
                f"{path}: source #{number} (id {spec.id!r}) is invalid: `pdf_link`: "
                f"not a valid regular expression ({exc})"
            ) from exc
    return spec
