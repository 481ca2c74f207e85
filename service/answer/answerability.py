"""One calibrated answerability score per sentence, and one threshold.

The score is a logistic regression over the evidence features: the
probability that the sentence (read with its antecedent when it refers back)
states the answer. Its coefficients, the feature standardisation and the
threshold are not constants in code: they are read from a reviewed JSON file
beside this module written by `bench/fit_answerability.py`, which fits them
on the tune split of the evaluation set only and records how, when and with
what results.

The cosine features depend on the embedding model (multilingual-e5's
cosines sit far higher than MiniLM's), so there is one file per model:
`answerability.json` for the default all-MiniLM-L6-v2 and
`answerability.<model>.json` for another (`model_path`). An index is
answered with its own model's file (`model_file`), or the default with a
logged warning when none was fitted for it.

Evidence columns added after a model was fitted (evidence.OPTIONAL_FEATURES,
e.g. whether the sentence is in another language than the question) are
simply not used by a file that does not list them; e5's file, fitted across
languages, lists and uses them.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dossier.service.answer.evidence import OPTIONAL_FEATURES

DEFAULT_MODEL = Path(__file__).with_name("answerability.json")

log = logging.getLogger(__name__)
_warned: set[str] = set()


class AnswerabilityError(ValueError):
    """The model file is missing, malformed or does not fit the features; says what to do."""


@dataclass(frozen=True)
class Answerability:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)

    def probability(self, table: np.ndarray, columns: tuple[str, ...]) -> np.ndarray:
        """P(answers) for each row of an evidence table whose columns are named `columns`."""
        missing = [f for f in self.features if f not in columns]
        if missing:
            raise AnswerabilityError(
                f"the answerability model needs feature(s) {', '.join(missing)} that the "
                "evidence does not have"
                + (
                    " (it was fitted with a reader: set DOSSIER_READER=auto or a reader's "
                    "path, or DOSSIER_ANSWER_MODEL to a model fitted without one)"
                    if "reader" in missing
                    else ""
                )
            )
        # A feature added after the model was fitted (OPTIONAL_FEATURES) is left out, so the
        # model scores as it did; any other unlisted column (a reader's) must not be ignored.
        unused = [c for c in columns if c not in self.features and c not in OPTIONAL_FEATURES]
        if unused:
            raise AnswerabilityError(
                f"the evidence has feature(s) {', '.join(unused)} that the answerability model "
                "has no coefficient for (a reader is configured?): refit with "
                "`python bench/fit_answerability.py --reader PATH --out FILE` and set "
                "DOSSIER_ANSWER_MODEL=FILE"
            )
        if table.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        x = table[:, [columns.index(f) for f in self.features]].astype(np.float64)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))  # no overflow warning

    def typical(self, feature: str) -> float | None:
        """The mean of a feature over the rows the model was fitted on (None if unused)."""
        return float(self.mean[self.features.index(feature)]) if feature in self.features else None

    # File ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            **self.meta,
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coefficients": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
            "threshold": round(float(self.threshold), 4),
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> Answerability:
        path = Path(path) if path is not None else DEFAULT_MODEL
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            features = tuple(data.pop("features"))
            arrays = [np.asarray(data.pop(k), dtype=np.float64) for k in ("mean", "scale")]
            coef = np.asarray(data.pop("coefficients"), dtype=np.float64)
            intercept, threshold = float(data.pop("intercept")), float(data.pop("threshold"))
        except FileNotFoundError:
            raise AnswerabilityError(
                f"no answerability model at {path}: run `python bench/fit_answerability.py`"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AnswerabilityError(f"{path} is not an answerability model ({exc})") from exc
        if not len(features) == len(coef) == len(arrays[0]) == len(arrays[1]):
            raise AnswerabilityError(f"{path}: feature, mean, scale and coefficient counts differ")
        if (arrays[1] <= 0).any():
            raise AnswerabilityError(f"{path}: every scale must be positive")
        return cls(features, arrays[0], arrays[1], coef, intercept, threshold, data)


def model_path(embedding_model: str | None) -> Path:
    """Where the answerability model fitted on `embedding_model`'s features lives (or would).

    The default embedding model's is `answerability.json`; another's is
    `answerability.<name>.json`, named by the last part of its canonical name
    ("intfloat/multilingual-e5-small" → `answerability.multilingual-e5-small.json`).
    """
    from dossier.index.embed import BUNDLED_MODEL, canonical_model_name

    if not embedding_model:
        return DEFAULT_MODEL
    canonical = canonical_model_name(embedding_model)
    if canonical == BUNDLED_MODEL:
        return DEFAULT_MODEL
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(canonical).name)
    return DEFAULT_MODEL.with_name(f"answerability.{name.strip('._') or 'model'}.json")


def model_file(embedding_model: str | None) -> Path:
    """The answerability model to answer an index of `embedding_model` with.

    Its own when one was fitted; else the default one, with a warning (once
    per model): the default's cosine coefficients and threshold were fitted on
    all-MiniLM-L6-v2's cosines, so answers and abstentions are miscalibrated.
    """
    path = model_path(embedding_model)
    if path.is_file() or path == DEFAULT_MODEL:
        return path
    if path.name not in _warned:
        _warned.add(path.name)
        log.warning(
            "no answerability model fitted for embedding model %s (%s): using %s, fitted on "
            "all-MiniLM-L6-v2's features, so abstentions are miscalibrated; fit one with "
            "`python bench/fit_answerability.py --data-dir DATA` on an index of that model",
            embedding_model,
            path.name,
            DEFAULT_MODEL.name,
        )
    return DEFAULT_MODEL


def fit(
    table: np.ndarray,
    labels: np.ndarray,
    features: tuple[str, ...],
    *,
    l2: float = 1.0,
    signs: dict[str, int] | None = None,
    iterations: int = 100,
    weights: np.ndarray | None = None,
) -> Answerability:
    """Logistic regression by Newton's method on standardised features, L2-penalised.

    `weights`, per row (default 1), let several tune sets count the same
    whatever their sizes.

    With `signs`, a coefficient that comes out on the wrong side of zero is
    fixed at zero and the rest refitted, until every one is on its side. The
    threshold is left at 0.5; the fitting script chooses it on the tune split.
    """
    free = list(range(len(features)))
    while True:
        model = _fit(table, labels, features, free, l2=l2, iterations=iterations, weights=weights)
        wrong = [i for i in free if signs and model.coef[i] * signs.get(features[i], 0) < 0]
        if not wrong:
            return model
        worst = max(wrong, key=lambda i: abs(model.coef[i]))
        free.remove(worst)


def _fit(
    table: np.ndarray,
    labels: np.ndarray,
    features: tuple[str, ...],
    free: list[int],
    *,
    l2: float,
    iterations: int,
    weights: np.ndarray | None = None,
) -> Answerability:
    x = table.astype(np.float64)
    y = labels.astype(np.float64)
    s = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.column_stack([((x - mean) / scale)[:, free], np.ones(len(x))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (s * (p - y)) + penalty * w
        hessian = (z * (s * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coef = np.zeros(len(features))
    coef[free] = w[:-1]
    return Answerability(features, mean, scale, coef, float(w[-1]), 0.5)


__all__ = [
    "DEFAULT_MODEL",
    "Answerability",
    "AnswerabilityError",
    "fit",
    "model_file",
    "model_path",
]
