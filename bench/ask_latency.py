"""Time `/ask` in-process: the engine's ask over the questions of a set.

    python bench/ask_latency.py --data-dir DATA [--set eval/sets/article.jsonl] [--rounds 3]

Prints p50 and p95 in milliseconds over every question of every round, after
one warm-up ask. Run it with two checkouts' interpreters on the same index,
alternately, to compare them side by side on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from dossier.service.engine import Engine
from dossier.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--set", type=Path, default=Path("eval/sets/article.jsonl"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    lines = args.set.read_text("utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.limit]
    engine = Engine(Settings(data_dir=args.data_dir))
    engine.ask(questions[0])
    times = []
    for _ in range(args.rounds):
        for question in questions:
            started = time.perf_counter()
            engine.ask(question)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(
        f"ask over {len(times)} questions: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
