"""Two evaluation runs side by side: paired bootstrap intervals per metric, and what changed.

Reads the JSON that ``dossier eval --json`` writes. Only the questions both
runs answered (same id, neither skipped) are compared, so A and B are
measured on exactly the same questions; each run's per-question
(numerator, denominator) shares give every ratio metric.
"""

from __future__ import annotations

import json
from pathlib import Path

from dossier.eval import metrics

RESAMPLES = 10_000
SEED = 0


class CompareError(Exception):
    pass


def load_run(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CompareError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompareError(f"{path}: not a readable JSON file: {exc}") from exc
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list) or not all(
        isinstance(q, dict) and "id" in q and isinstance(q.get("metrics"), dict) for q in questions
    ):
        raise CompareError(
            f"{path}: not the output of `dossier eval --json` (no per-question metrics)"
        )
    return data


def compare(
    a: dict, b: dict, *, resamples: int = RESAMPLES, seed: int = SEED, confidence: float = 0.95
) -> dict:
    """Per metric: A, B, B - A and its paired bootstrap interval; and the changed questions."""
    left = {q["id"]: q for q in a["questions"] if not q.get("skipped")}
    right = {q["id"]: q for q in b["questions"] if not q.get("skipped")}
    shared = [qid for qid in left if qid in right]
    if not shared:
        raise CompareError("the two runs share no question")
    names = [m for m in left[shared[0]]["metrics"] if m in right[shared[0]]["metrics"]]
    rows = {}
    for name in names:
        pairs_a = [left[q]["metrics"].get(name, [0.0, 0.0]) for q in shared]
        pairs_b = [right[q]["metrics"].get(name, [0.0, 0.0]) for q in shared]
        rows[name] = metrics.paired_bootstrap(
            ([p[0] for p in pairs_a], [p[1] for p in pairs_a]),
            ([p[0] for p in pairs_b], [p[1] for p in pairs_b]),
            resamples=resamples,
            seed=seed,
            confidence=confidence,
        )
        rows[name]["significant"] = rows[name]["low"] is not None and (
            rows[name]["low"] > 0 or rows[name]["high"] < 0
        )
    changed = [
        {
            "id": qid,
            "question": left[qid]["question"],
            "category": left[qid].get("category"),
            "a": left[qid].get("grade"),
            "b": right[qid].get("grade"),
            "answer_a": left[qid].get("answer"),
            "answer_b": right[qid].get("answer"),
        }
        for qid in shared
        if left[qid].get("grade") != right[qid].get("grade")
    ]
    return {
        "questions": len(shared),
        "only_in_a": sorted(set(left) - set(right)),
        "only_in_b": sorted(set(right) - set(left)),
        "resamples": resamples,
        "seed": seed,
        "confidence": confidence,
        "metrics": rows,
        "changed": changed,
    }
