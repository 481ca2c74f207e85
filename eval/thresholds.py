"""The gate: eval/thresholds.toml's minimums and maximums, checked against a summary.

One table per evaluation set, named after the set's file (``[article]`` for
``article.jsonl``); ``split`` says which split the figures are for. Each
metric is ``{ min = …, measured = …, target = … }`` (or ``max`` for a metric
where lower is better): ``min``/``max`` is what CI enforces, ``measured`` what
the command in the file's header printed when the gate was last reviewed,
``target`` what the issue asks for (shown, not enforced).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "thresholds.toml"


class ThresholdsError(Exception):
    pass


@dataclass(frozen=True)
class Check:
    metric: str
    value: float | None
    bound: str  # "min" or "max"
    limit: float
    target: float | None
    measured: float | None

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.limit if self.bound == "min" else self.value <= self.limit

    @property
    def meets_target(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.bound == "min" else self.value <= self.target

    def as_json(self) -> dict:
        return {
            "metric": self.metric,
            "value": self.value,
            self.bound: self.limit,
            "passed": self.passed,
            "target": self.target,
            "meets_target": self.meets_target,
            "measured_at_review": self.measured,
        }


@dataclass(frozen=True)
class Gate:
    table: str
    split: str | None
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def as_json(self) -> dict:
        return {
            "table": self.table,
            "split": self.split,
            "passed": self.passed,
            "checks": [c.as_json() for c in self.checks],
        }


def load(path: Path = DEFAULT_PATH) -> dict[str, dict]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ThresholdsError(f"{path}: no such file") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThresholdsError(f"{path}: {exc}") from exc


def check(table: str, rules: dict, summary: dict) -> Gate:
    """Every metric rule of one table against the summary; a rule names min or max."""
    checks = []
    for metric, rule in rules.items():
        if not isinstance(rule, dict):
            continue  # "split" and other settings of the table
        bounds = [b for b in ("min", "max") if b in rule]
        if len(bounds) != 1:
            raise ThresholdsError(f"[{table}] {metric}: give exactly one of min or max")
        value = summary.get(metric)
        checks.append(
            Check(
                metric=metric,
                value=None if value is None else float(value),
                bound=bounds[0],
                limit=float(rule[bounds[0]]),
                target=None if rule.get("target") is None else float(rule["target"]),
                measured=None if rule.get("measured") is None else float(rule["measured"]),
            )
        )
    split = rules.get("split")
    return Gate(table, split if isinstance(split, str) else None, checks)


def gate_for(set_paths: list[Path], summary: dict, path: Path = DEFAULT_PATH) -> Gate | None:
    """The gate of the one set evaluated (its table, by file name); None without one."""
    if len(set_paths) != 1:
        return None
    tables = load(path)
    name = Path(set_paths[0]).stem
    if name not in tables:
        return None
    return check(name, tables[name], summary)
