"""What produced an evaluation: the sets and their sha256, the index, the model, the settings
and the code, so two reports can be told apart and a figure traced back to its run."""

from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from dossier import __version__
from dossier.settings import Settings

REPO = Path(__file__).resolve().parent.parent
# Settings whose values must not be written down, by name; passwords in URLs are masked.
_SECRET_NAME = re.compile(r"key|token|secret|password|credential", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_commit(repo: Path = REPO) -> dict[str, str | bool] | None:
    """HEAD of the checkout Dossier runs from and whether it has local changes; None outside git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(status.strip())} if head else None


def public_settings(settings: Settings) -> dict[str, object]:
    """Every setting but secrets, as JSON-ready values (a URL's password masked)."""
    dumped = settings.model_dump(mode="json")
    return {
        name: _URL_PASSWORD.sub(r"\1***@", value) if isinstance(value, str) else value
        for name, value in sorted(dumped.items())
        if not _SECRET_NAME.search(name)
    }


def describe_run(
    *,
    set_paths: list[Path],
    questions: int,
    split: str | None,
    mode: str,
    k: int,
    settings: Settings,
    target: dict[str, object],
) -> dict[str, object]:
    """The run's provenance, as written into the JSON and shown at the top of the report."""
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sets": [{"path": str(p), "sha256": sha256_file(Path(p))} for p in set_paths],
        "split": split or "all",
        "questions": questions,
        "mode": mode,
        "k": k,
        "target": target,
        "dossier_version": __version__,
        "git": git_commit(),
        "settings": public_settings(settings),
    }
