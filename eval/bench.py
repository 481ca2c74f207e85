"""`dossier bench`: Dossier's query path and ingest against the hardware's floor, in one run.

Everything is measured in the same run on the same machine:
- the floor: bare `SentenceTransformer.encode` of one question (bundled MiniLM), p50 over the
  benchmark's questions, in-process; the same for Dossier's configured encoder;
- ingest of each corpus in a subprocess (`dossier ingest` for the article; SciFact's
  corpus.jsonl through `build_index`, one document per passage as `dossier eval beir` splits
  it): passages/s against the bare encode of the same passage texts with the same encoder,
  and the ingest's peak RSS;
- `dossier serve` in a subprocess, and a separate load-generating process
  (`dossier.eval.loadgen`) sending real HTTP: `/search` and `/ask` latency one client at a
  time, then throughput at 1, 8 and 32 concurrent clients, errors, the CPU time the server
  and the load generator spent per request (and the throughput ceiling that implies on
  this machine's cores), and the server's RSS before, during and after (its workers'
  summed, with `--workers`/`DOSSIER_WORKERS` above 1). The server runs
  with its query cache off (`DOSSIER_QUERY_CACHE_SIZE=0`), so every request is computed:
  the throughput runs cycle through the questions, and a cache would otherwise answer the
  repeats.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from dossier.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "article.txt"
ARTICLE_SET = ROOT / "eval" / "sets" / "article.jsonl"
CLIENTS = (1, 8, 32)


# The machine -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions = {}
    for package in ("dossier", "torch", "sentence-transformers", "onnxruntime", "faiss-cpu"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1),
        "python": platform.python_version(),
        "versions": versions,
        "load_average": list(os.getloadavg()),
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": 0}
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 2),
        "p95": round(float(np.percentile(array, 95)), 2),
        "p99": round(float(np.percentile(array, 99)), 2),
        "n": len(values),
    }


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


def run_measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a subprocess to completion: (wall seconds, peak RSS MB of that process)."""
    wall, peak, _ = run_usage(command, env)
    return wall, peak


def run_usage(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run a subprocess to completion: (wall seconds, peak RSS MB, CPU seconds, user and
    system, of that process and its threads). On a machine shared with other jobs the
    CPU seconds move much less than the wall time."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        error = child.stderr.read().decode(errors="replace") if child.stderr else ""
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}): {error[-2000:]}")
    return wall, round(usage.ru_maxrss / 1024, 1), usage.ru_utime + usage.ru_stime


# The floor -------------------------------------------------------------------------------


def encode_p50(encode: Any, questions: list[str], rounds: int) -> float:
    for question in questions[:5]:
        encode(question)  # warm-up
    times = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            encode(question)
            times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def floor(questions: list[str], settings: Settings, rounds: int) -> dict[str, Any]:
    from sentence_transformers import SentenceTransformer

    from dossier.index.embed import bundled_model_dir, load_embedder

    bare = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    embedder = load_embedder(settings, queries=True)  # as `dossier serve` encodes questions
    return {
        "bare_st_ms": encode_p50(lambda q: bare.encode(q), questions, rounds),
        "encoder": embedder.spec.describe(),
        "encoder_ms": encode_p50(embedder.encode_query, questions, rounds),
        "encoder_cpu_ms_by_batch": batch_cpu(embedder.encode_queries, questions, rounds),
    }


BATCHES = (1, 8, 32)


def batch_cpu(encode: Any, questions: list[str], rounds: int) -> dict[int, float]:
    """CPU milliseconds per question when questions are encoded `b` at a time: what the
    micro-batcher can save under concurrent requests (on a CPU, little: a batch is padded
    to its longest question, and one question already keeps a core busy)."""
    encode(questions[:8])  # warm-up
    out = {}
    for b in BATCHES:
        started = time.process_time()
        for _ in range(rounds):
            for i in range(0, len(questions), b):
                encode(questions[i : i + b])
        out[b] = round((time.process_time() - started) * 1000 / (rounds * len(questions)), 2)
    return out


# Corpora ---------------------------------------------------------------------------------


def ingest_article(work: Path) -> tuple[Path, dict[str, Any]]:
    corpus = work / "article-corpus" / "sources.toml"
    corpus.parent.mkdir(parents=True, exist_ok=True)
    corpus.write_text(
        f'[[source]]\nid = "article"\npath = "{ARTICLE}"\ntitle = "Article"\nlanguage = "en"\n',
        encoding="utf-8",
    )
    data = work / "article-data"
    command = [sys.executable, "-m", "dossier.cli", "ingest", "--data-dir", str(data)]
    wall, peak, cpu = run_usage([*command, "--corpus", str(corpus), "--no-progress"])
    return data, {"wall_s": round(wall, 2), "peak_rss_mb": peak, "cpu_s": round(cpu, 2)}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _windows(embedder: Any, texts: list[str]) -> list[str] | None:
    """The texts cut into pieces of at most the model's window of word pieces, in order
    (what reading every word piece of them takes), or None when every text fits its
    window or the encoder's tokenizer is not at hand (torch)."""
    tokenizer = getattr(embedder.model, "tokenizer", None)
    if tokenizer is None or not hasattr(tokenizer, "to_str") or not tokenizer.truncation:
        return None
    from tokenizers import Tokenizer

    whole = Tokenizer.from_str(tokenizer.to_str())
    whole.no_truncation()
    whole.no_padding()
    window = int(tokenizer.truncation["max_length"]) - 2  # [CLS] and [SEP]
    pieces: list[str] = []
    cut = False
    for text, encoding in zip(
        texts, whole.encode_batch(texts, add_special_tokens=False), strict=True
    ):
        offsets = encoding.offsets
        if len(offsets) <= window:
            pieces.append(text)
            continue
        cut = True
        for first in range(0, len(offsets), window):
            last = min(first + window, len(offsets)) - 1
            pieces.append(text[offsets[first][0] : offsets[last][1]])
    return pieces if cut else None


def bare_encode(texts: list[str], settings: Settings) -> dict[str, Any]:
    """The bare encode of the passage texts with the configured encoder, in this process:
    wall and CPU seconds; and, when some passages are longer than the model's window (the
    bare encode reads their first window only), the same for their whole text read in
    window-sized pieces, which is what sentence vectors of every sentence must read."""
    from dossier.index.embed import load_embedder

    embedder = load_embedder(settings)
    embedder.encode(texts[:8])  # warm-up
    cpu, started = _cpu_s(), time.perf_counter()
    embedder.encode(texts)
    out: dict[str, Any] = {
        "bare_encode_s": round(time.perf_counter() - started, 2),
        "bare_encode_cpu_s": round(_cpu_s() - cpu, 2),
        "encoder": embedder.spec.describe(),
    }
    pieces = _windows(embedder, texts)
    if pieces is not None:
        cpu, started = _cpu_s(), time.perf_counter()
        embedder.encode(pieces)
        out["whole_text_pieces"] = len(pieces)
        out["bare_whole_text_s"] = round(time.perf_counter() - started, 2)
        out["bare_whole_text_cpu_s"] = round(_cpu_s() - cpu, 2)
    return out


def overheads(passages: int, stats: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """The ingest against the bare encode: passages/s, and its overhead in wall time and
    in CPU time (over the whole text too, when the passages run past the window)."""
    out: dict[str, Any] = {
        "ingest_passages_per_s": round(passages / stats["wall_s"], 1),
        "bare_encode_passages_per_s": round(passages / bare["bare_encode_s"], 1),
        "overhead": round(stats["wall_s"] / bare["bare_encode_s"] - 1, 3),
    }
    if stats.get("cpu_s") and bare.get("bare_encode_cpu_s"):
        out["overhead_cpu"] = round(stats["cpu_s"] / bare["bare_encode_cpu_s"] - 1, 3)
    if "bare_whole_text_s" in bare:
        out["overhead_whole_text"] = round(stats["wall_s"] / bare["bare_whole_text_s"] - 1, 3)
        if stats.get("cpu_s") and bare.get("bare_whole_text_cpu_s"):
            out["overhead_whole_text_cpu"] = round(
                stats["cpu_s"] / bare["bare_whole_text_cpu_s"] - 1, 3
            )
    return out


def ingest_figures(data: Path, stats: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Passages/s of the ingest against the bare encode of the same texts, same encoder."""
    from dossier.index.store import load_index

    index = load_index(settings.model_copy(update={"data_dir": data}))
    texts = [p.text for p in index.passages]
    bare = bare_encode(texts, settings)
    return {
        **stats,
        "passages": len(texts),
        "sentence_vectors": index.manifest.sentence_vectors,
        "texts_encoded": "passages",
        **bare,
        **overheads(len(texts), stats, bare),
    }


def ingest_rows(name: str, ingest: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The table's rows for one corpus's ingest against the bare encode."""
    method = (ingest.get("sentence_vectors") or {}).get("method", "-")
    rows = [
        (
            f"{name}: ingest, {ingest['passages']} passages, sentence vectors {method} "
            f"(peak RSS {ingest['peak_rss_mb']} MB)",
            f"{ingest['ingest_passages_per_s']} vs bare encode "
            f"{ingest['bare_encode_passages_per_s']} passages/s",
            f"overhead {ingest['overhead'] * 100:.0f}%",
        )
    ]
    if "overhead_cpu" in ingest:
        rows.append(
            (
                f"{name}: ingest CPU time vs the bare encode's",
                f"{ingest['cpu_s']} vs {ingest['bare_encode_cpu_s']} s",
                f"overhead {ingest['overhead_cpu'] * 100:.0f}%",
            )
        )
    if "overhead_whole_text" in ingest:
        cpu = ingest.get("overhead_whole_text_cpu")
        rows.append(
            (
                f"{name}: bare encode of the passages' whole text "
                f"({ingest['whole_text_pieces']} window-sized pieces), wall and CPU",
                f"{ingest['bare_whole_text_s']} s, {ingest['bare_whole_text_cpu_s']} s CPU",
                f"overhead {ingest['overhead_whole_text'] * 100:.0f}%"
                + (f" (CPU {cpu * 100:.0f}%)" if cpu is not None else ""),
            )
        )
    return rows


# Serving ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`dossier serve` in a subprocess, its RSS sampled while the load runs."""

    def __init__(self, data: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "dossier.cli", "serve", "--data-dir", str(data)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("dossier serve exited before it was ready")
            time.sleep(0.2)
        raise RuntimeError("dossier serve was not ready within 10 minutes")

    def pids(self) -> list[int]:
        """The server's process and its workers (`DOSSIER_WORKERS` above 1)."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [pid, *map(int, children)]

    def rss(self) -> float:
        return round(sum(rss_mb(pid) for pid in self.pids()), 1)

    def peak(self) -> float:
        return round(sum(rss_mb(pid, "VmHWM") for pid in self.pids()), 1)

    def cpu_s(self) -> float:
        """CPU seconds the server's processes have used, user and system, threads included."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def load(server: Server, path: str, questions: Path, clients: int, requests: int) -> dict:
    command = [sys.executable, "-m", "dossier.eval.loadgen", server.url, path, str(questions)]
    output = subprocess.run(
        [*command, "--clients", str(clients), "--requests", str(requests)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def ceiling(one_client: dict[str, Any]) -> dict[str, float]:
    """The most throughput the machine's cores allow at one client's CPU cost per request.

    One client keeps about one core busy (its request, then the server's answer, in turn),
    so N clients can gain at most cores × one client's wall time over its CPU time; past
    that, clients only queue. Reported beside the measured throughput so a shortfall can be
    told apart from the hardware's limit.
    """
    cpu_ms = one_client["server_cpu_ms"] + one_client["client_cpu_ms"]
    qps = (os.cpu_count() or 1) * 1000 / cpu_ms if cpu_ms > 0 else float("nan")
    return {"qps": round(qps, 1), "ratio": round(qps / one_client["qps"], 2)}


# The server's query cache is off for the whole run: every request, at every concurrency, is
# computed (no answer served from the cache), whatever the number of questions.
SERVE_ENV = {"DOSSIER_QUERY_CACHE_SIZE": "0"}


def serve_figures(
    data: Path, questions: list[str], work: Path, quick: bool, workers: int = 1
) -> dict[str, Any]:
    questions_file = work / f"{data.name}-questions.json"
    questions_file.write_text(json.dumps(questions), encoding="utf-8")
    server = Server(data, SERVE_ENV | {"DOSSIER_WORKERS": str(workers)})
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            samples.append(server.rss())

    out: dict[str, Any] = {
        "rss_before_mb": server.rss(),
        "query_cache": "off",
        "workers": workers,
    }
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        for path in ("/search", "/ask"):
            # Latency: one client, each question once (cold cache), in order.
            single = load(server, path, questions_file, 1, len(questions))
            out[path] = {**percentiles(single["latencies_ms"]), "errors": len(single["errors"])}
            throughput = {}
            for clients in CLIENTS:
                requests = max(len(questions), clients * (4 if quick else 16))
                cpu = server.cpu_s()
                result = load(server, path, questions_file, clients, requests)
                throughput[clients] = {
                    "qps": round(len(result["latencies_ms"]) / result["wall_s"], 2),
                    "requests": requests,
                    "distinct_questions": result["distinct_questions"],
                    **percentiles(result["latencies_ms"]),
                    "errors": len(result["errors"]),
                    "server_cpu_ms": round((server.cpu_s() - cpu) * 1000 / requests, 2),
                    "client_cpu_ms": round(result["cpu_s"] * 1000 / requests, 2),
                }
            out[path]["throughput"] = throughput
            out[path]["ceiling"] = ceiling(throughput[1])
    finally:
        stop.set()
        sampler.join()
        out["rss_during_max_mb"] = max(samples) if samples else float("nan")
        out["rss_after_mb"] = server.rss()
        out["peak_rss_mb"] = server.peak()
        server.stop()
    return out


# The run ---------------------------------------------------------------------------------


def article_questions() -> list[str]:
    lines = ARTICLE_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def scifact_questions(folder: Path, count: int) -> list[str]:
    from dossier.eval.beir import load_split

    queries, _ = load_split(folder, "test")
    return list(queries.values())[:count]


def run(
    settings: Settings,
    *,
    scifact: Path | None,
    quick: bool,
    scifact_docs: int | None,
    work: Path | None = None,
    ingest_only: bool = False,
    scifact_split: str = "beir",
) -> dict[str, Any]:
    """Every figure of the benchmark, in one run; `ingest_only`: the ingests and their bare
    encodes only (no floor, no server, no peer): a quick look at ingest speed."""
    work = work or Path(tempfile.mkdtemp(prefix="dossier-bench-"))
    result: dict[str, Any] = {"machine": machine(), "quick": quick, "ingest_only": ingest_only}
    questions = article_questions()[: 20 if quick else None]
    if not ingest_only:
        result["floor"] = floor(questions, settings, rounds=1 if quick else 3)
    corpora: dict[str, Any] = {}
    data, stats = ingest_article(work)
    corpora["article"] = {
        "questions": len(questions),
        "ingest": ingest_figures(data, stats, settings),
    }
    if not ingest_only:
        corpora["article"]["serve"] = serve_figures(data, questions, work, quick, settings.workers)
    if scifact is not None:  # eval/bench_scifact.py: timed ingest, breakdown, txtai peer
        from dossier.eval import bench_scifact

        data, stats = bench_scifact.ingest(work, scifact, scifact_docs, split=scifact_split)
        corpora["scifact"] = {
            "documents": scifact_docs or "all",
            "split": scifact_split,
            "ingest": bench_scifact.ingest_figures(data, stats, settings),
        }
        if not ingest_only:
            sci_questions = scifact_questions(scifact, 40 if quick else 300)
            corpora["scifact"]["questions"] = len(sci_questions)
            corpora["scifact"]["serve"] = serve_figures(
                data, sci_questions, work, quick, settings.workers
            )
            corpora["scifact"]["peer"] = bench_scifact.peer_figures(work, scifact, data)
    result["corpora"] = corpora
    result["machine"]["load_average_end"] = list(os.getloadavg())
    return result


def table(result: dict[str, Any]) -> str:
    """One table: every figure of the run, with its ratio to the bare encode where it has one."""
    rows: list[tuple[str, str, str]] = []
    if "floor" in result:
        bare = result["floor"]["bare_st_ms"]
        rows += [
            ("bare sentence-transformers encode, one question (p50)", f"{bare} ms", "1.00"),
            (
                f"Dossier's encoder, {result['floor']['encoder']} (p50)",
                f"{result['floor']['encoder_ms']} ms",
                f"{result['floor']['encoder_ms'] / bare:.2f}",
            ),
        ]
        by_batch = result["floor"].get("encoder_cpu_ms_by_batch")
        if by_batch:
            rows.append(
                (
                    "Dossier's encoder, CPU per question encoded "
                    + " / ".join(str(b) for b in by_batch)
                    + " at a time",
                    " / ".join(f"{ms} ms" for ms in by_batch.values()),
                    "",
                )
            )
    for name, corpus in result["corpora"].items():
        serve = corpus.get("serve")
        for path in ("/search", "/ask") if serve else ():
            figures = serve[path]
            rows.append(
                (
                    f"{name}: {path} p50 / p95 / p99, 1 client ({figures['n']} questions)",
                    f"{figures['p50']} / {figures['p95']} / {figures['p99']} ms",
                    f"{figures['p50'] / bare:.2f}",
                )
            )
            levels = figures["throughput"]
            one = levels[1]["qps"] or float("nan")
            rows.append(
                (
                    f"{name}: {path} throughput at 1 / 8 / 32 clients (errors), "
                    f"query cache {serve.get('query_cache', 'on')}, "
                    f"{serve.get('workers', 1)} server worker(s)",
                    " / ".join(f"{levels[c]['qps']} q/s ({levels[c]['errors']})" for c in CLIENTS),
                    f"8: {levels[8]['qps'] / one:.2f}×, 32: {levels[32]['qps'] / one:.2f}×",
                )
            )
            rows.append((f"{name}: {path} p99 at 32 clients", f"{levels[32]['p99']} ms", ""))
            rows.append(
                (
                    f"{name}: {path} CPU per request, server + load generator, 1 / 8 / 32 clients",
                    " / ".join(
                        f"{levels[c]['server_cpu_ms']} + {levels[c]['client_cpu_ms']} ms"
                        for c in CLIENTS
                    ),
                    f"ceiling {figures['ceiling']['qps']} q/s = "
                    f"{figures['ceiling']['ratio']:.2f}× one client",
                )
            )
        if serve:
            rows.append(
                (
                    f"{name}: server RSS before / max during / after (peak)",
                    f"{serve['rss_before_mb']} / {serve['rss_during_max_mb']} / "
                    f"{serve['rss_after_mb']} MB ({serve['peak_rss_mb']})",
                    "",
                )
            )
        rows += ingest_rows(name, corpus["ingest"])
        if name == "scifact":
            from dossier.eval.bench_scifact import rows as scifact_rows

            rows += scifact_rows(name, corpus)
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [f"{'':{width}}  {'value':{value_width}}  × bare encode / ratio"]
    lines += [f"{a:{width}}  {b:{value_width}}  {c}" for a, b, c in rows]
    m = result["machine"]
    lines.append(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f"; load average {m['load_average'][0]:.1f} at start, "
        f"{m['load_average_end'][0]:.1f} at end"
    )
    return "\n".join(lines)


__all__ = ["machine", "run", "table"]
