"""The shipped answer step's figures on one split of an evaluation set, in-process.

    python bench/answer_split_figures.py --data-dir DATA --split test

Answers every question of the split through the engine (retrieval k=5, the
shipped answerability model and threshold) and prints answer accuracy on
answerable questions (every expected part present), precision when
answering, abstention recall and the false refusal rate. `dossier eval
--split` measures the same with the full report; this is the quick check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fit_answerability import correct, load_questions

from dossier.service.engine import Engine
from dossier.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--set", type=Path, default=Path("eval/sets/article.jsonl"))
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    engine = Engine(Settings(data_dir=args.data_dir))
    questions = load_questions(args.set, args.split)
    answered = right = refused = abstained_right = 0
    for item in questions:
        answer = engine.ask(item["question"])
        answerable = item.get("answerable", True)
        if answer.abstained:
            refused += answerable
            abstained_right += not answerable
        else:
            answered += 1
            right += answerable and correct(answer.answer, item)
    n_answerable = sum(item.get("answerable", True) for item in questions)
    n_unanswerable = len(questions) - n_answerable
    print(f"{args.split}: {len(questions)} questions ({n_answerable} answerable)")
    print(f"answer accuracy           {right / max(1, n_answerable):.3f}")
    print(f"precision when answering  {right / max(1, answered):.3f}")
    print(f"abstention recall         {abstained_right / max(1, n_unanswerable):.3f}")
    print(f"false refusals            {refused / max(1, n_answerable):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
