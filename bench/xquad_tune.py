"""Tuning data across languages for the answerability model: XQuAD with honest unanswerables.

    python bench/xquad_tune.py [--xquad ../shared/benchmarks/xquad] [--out data/xl-tune]
                               [--models e5] [--languages en,de] [--from data/bench-ml]

XQuAD has no unanswerable questions, and a model fitted on English questions
over English text alone refuses many answerable questions asked across
languages (their cosines sit lower, their word-overlap features are empty).
This writes, per language, a copy of the XQuAD corpus in which one paragraph
of every article is removed: the questions about that paragraph become
near-miss unanswerables (the article, its subject and its other paragraphs
are still there; the answer is not), the others stay answerable.

Only tuning questions are written: every question of the fixed `*.300.jsonl`
subsets is left out (SOURCE.md: report on those, tune on the rest). Spanish
is not a default language here, so it stays a language never tuned on.

Out, per language XX and model M:

- `<out>/XX/sources.toml`, `<out>/XX/texts/`: the corpus without those paragraphs;
- `<out>/XX/tune.<set>.jsonl`: each question set over XX's text (same language
  and the reverse direction: `questions.XX`, `questions.en-over-XX` or
  `questions.YY-over-en`), every line `split: tune`, the removed paragraphs'
  questions `answerable: false`;
- `<out>/XX-M/`: its index, built offline; vectors of unchanged passages and
  sentences are copied from `<from>/XX-M/` (bench/multilingual.py's index of
  the full corpus) when it is there, so only the changed ones are embedded.

Then fit on them, e.g. (bench/fit_answerability.py documents --pair):

    DOSSIER_MODEL=multilingual-e5-small python bench/fit_answerability.py \\
        --pair eval/sets/article.jsonl=data/article-e5 \\
        --pair data/xl-tune/de/tune.questions.en-over-de.jsonl=data/xl-tune/de-e5 ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dossier.eval.sets import locate_quote
from dossier.index.embed import load_embedder
from dossier.index.store import IndexLoadError, load_index
from dossier.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or loaded by file
from multilingual import DEFAULT_XQUAD, MODELS, ROOT, index_corpus

# Per corpus language: the question sets over its text (same language first).
SETS = {
    "en": ["questions.en", "questions.de-over-en"],
    "de": ["questions.de", "questions.en-over-de"],
    "es": ["questions.es", "questions.en-over-es"],  # not tuned on by default
}


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each blank-line-separated block of the text."""
    out, start = [], 0
    for block in text.split("\n\n"):
        out.append((start, start + len(block)))
        start += len(block) + 2
    return out


def removed_block(blocks: list[tuple[int, int]], article: int, titled: bool) -> int:
    """Which block of the article to remove: a content paragraph, rotating over articles.

    `titled`: the first block is the title (en and fr files), never removed.
    XQuAD's translations keep the paragraphs in order, so the same paragraph
    goes in every language.
    """
    first = 1 if titled else 0
    return first + article % (len(blocks) - first)


def build_language(xquad: Path, out: Path, language: str) -> dict[str, int]:
    """Write the corpus copy and its tune sets; returns counts per set."""
    source_dir = xquad / language
    target = out / language
    (target / "texts").mkdir(parents=True, exist_ok=True)
    toml = (source_dir / "sources.toml").read_text("utf-8")
    (target / "sources.toml").write_text(toml, "utf-8")
    texts: dict[str, str] = {}  # source id → original text
    gone: dict[str, tuple[int, int]] = {}  # source id → removed span of the original
    source_ids = [line.split('"')[1] for line in toml.splitlines() if line.startswith("id = ")]
    paths = [line.split('"')[1] for line in toml.splitlines() if line.startswith("path = ")]
    for article, (source_id, rel) in enumerate(zip(source_ids, paths, strict=True)):
        text = (source_dir / rel).read_text("utf-8")
        texts[source_id] = text
        blocks = paragraphs(text)
        titled = language in ("en", "fr")
        drop = removed_block(blocks, article, titled)
        gone[source_id] = blocks[drop]
        kept = [text[s:e] for i, (s, e) in enumerate(blocks) if i != drop]
        (target / rel).write_text("\n\n".join(kept), "utf-8")
    counts = {}
    for stem in SETS[language]:
        held_out = {
            json.loads(line)["id"]
            for line in (source_dir / f"{stem}.300.jsonl").read_text("utf-8").splitlines()
            if line.strip()
        }
        lines, unanswerable = [], 0
        for line in (source_dir / f"{stem}.jsonl").read_text("utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item["id"] in held_out:
                continue
            evidence = item["evidence"][0]
            span = locate_quote(texts[evidence["source"]], evidence["quote"])
            if span is None:
                sys.exit(f"{stem}: {item['id']}'s quote is not in {evidence['source']}")
            start, end = gone[evidence["source"]]
            item["split"] = "tune"
            if start <= span[0] < end:
                item = {
                    "id": item["id"],
                    "split": "tune",
                    "category": "unanswerable-nearmiss",
                    "question": item["question"],
                    "answerable": False,
                }
                unanswerable += 1
            lines.append(json.dumps(item, ensure_ascii=False))
        (target / f"tune.{stem}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
        counts[stem] = len(lines)
        print(
            f"{language}: tune.{stem}.jsonl {len(lines)} questions, {unanswerable} unanswerable",
            file=sys.stderr,
        )
    return counts


def build_index_for(out: Path, language: str, model: str, previous_data: Path) -> None:
    """Ingest the corpus copy offline, copying unchanged vectors from the full corpus's index."""
    settings = Settings(
        data_dir=out / f"{language}-{model}",
        corpus=out / language / "sources.toml",
        model=MODELS[model],
    )
    embedder = load_embedder(settings)
    try:
        load_index(settings, embedder=embedder)
        print(f"{settings.data_dir}: index there, kept", file=sys.stderr)
        return
    except IndexLoadError:
        pass
    previous = None
    try:
        previous = load_index(
            Settings(data_dir=previous_data / f"{language}-{model}", model=MODELS[model]),
            embedder=embedder,
        )
    except IndexLoadError:
        print(f"no index in {previous_data}/{language}-{model}: embedding all", file=sys.stderr)
    passages = index_corpus(settings, embedder, previous)
    print(f"{settings.data_dir}: indexed {passages} passages", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xquad", type=Path, default=DEFAULT_XQUAD)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "xl-tune")
    parser.add_argument("--models", default="e5")
    parser.add_argument("--languages", default="en,de")
    parser.add_argument("--from", dest="previous", type=Path, default=ROOT / "data" / "bench-ml")
    args = parser.parse_args()
    for language in [x for x in args.languages.split(",") if x]:
        if language not in SETS:
            print(f"unknown language {language!r}; choose from {', '.join(SETS)}", file=sys.stderr)
            return 2
        build_language(args.xquad, args.out, language)
        for model in [m for m in args.models.split(",") if m]:
            if model not in MODELS:
                print(f"unknown model {model!r}; choose from {', '.join(MODELS)}", file=sys.stderr)
                return 2
            build_index_for(args.out, language, model, args.previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
