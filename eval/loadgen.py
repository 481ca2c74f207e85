"""The benchmark's load generator: a separate process sending real HTTP requests.

    python -m dossier.eval.loadgen URL PATH QUESTIONS.json --clients N --requests M

`QUESTIONS.json` is a list of strings; request i asks question i modulo their
number, with `clients` requests in flight at once (each client one keep-alive
connection). Prints one JSON object: latencies (ms), wall time, errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import httpx


def run(url: str, path: str, questions: list[str], clients: int, requests: int) -> dict:
    field = "question" if path.rstrip("/").endswith("ask") else "query"
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                body = {field: questions[i % len(questions)]}
                started = time.perf_counter()
                try:
                    response = http.post(path, json=body)
                    ok = response.status_code == 200
                    detail = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    ok, detail = False, type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed) if ok else errors.append(detail)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"latencies_ms": latencies, "wall_s": wall, "errors": errors}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("questions")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args(argv)
    with open(args.questions, encoding="utf-8") as handle:
        questions = json.load(handle)
    result = run(args.url, args.path, questions, args.clients, args.requests)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
