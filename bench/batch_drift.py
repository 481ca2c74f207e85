"""What micro-batching questions does to their vectors and to the encoder's CPU.

    python bench/batch_drift.py [--set eval/sets/article.jsonl] [--questions 64]

With the configured encoder (DOSSIER_ENCODER; `auto` is ONNX int8 for the
bundled MiniLM), each question is encoded alone and in batches of 2, 8 and
32: the cosine of each batched vector to its vector alone (1.0 when a vector
does not depend on its batch-mates; int8 quantises each forward pass's
activations as a whole), and the encoder's CPU milliseconds per question.
"""

from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path

import numpy as np

from dossier.index.embed import load_embedder
from dossier.settings import Settings


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=Path("eval/sets/article.jsonl"))
    parser.add_argument("--questions", type=int, default=64)
    args = parser.parse_args()
    lines = args.set.read_text("utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    questions = questions[: args.questions]
    embedder = load_embedder(Settings())
    embedder.encode(questions[:8])  # warm-up
    print(f"encoder: {embedder.spec.describe()}; {len(questions)} questions")
    started = cpu_seconds()
    alone = np.stack([embedder.encode([q])[0] for q in questions])
    print(f"batch  1: CPU {1000 * (cpu_seconds() - started) / len(questions):.2f} ms/question")
    for size in (2, 8, 32):
        started = cpu_seconds()
        batched = np.concatenate(
            [embedder.encode(questions[i : i + size]) for i in range(0, len(questions), size)]
        )
        spent = 1000 * (cpu_seconds() - started) / len(questions)
        cosine = (alone * batched).sum(axis=1)
        print(
            f"batch {size:2d}: CPU {spent:.2f} ms/question, cosine to alone "
            f"min {cosine.min():.4f} mean {cosine.mean():.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
