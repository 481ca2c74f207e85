"""The benchmark's load generator: a separate process sending real HTTP requests.

    python -m dossier.eval.loadgen URL PATH QUESTIONS.json --clients N --requests M

`QUESTIONS.json` is a list of strings; request i asks question i modulo their
number, with `clients` requests in flight at once (each client one keep-alive
connection). Prints one JSON object: latencies (ms), wall time, the load
generator's own CPU time, errors, and how many distinct questions were asked
(`--requests` above the number of questions repeats them, which a server's
query cache then answers).

The clients use the standard library's `http.client`, not httpx: on a 2-core
machine the load generator shares the CPU with the server, and httpx costs
several times more per request, which showed as server latency.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def _connect(host: str, port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(host, port, timeout=120)


def run(url: str, path: str, questions: list[str], clients: int, requests: int) -> dict:
    field = "question" if path.rstrip("/").endswith("ask") else "query"
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    bodies = [json.dumps({field: q}).encode("utf-8") for q in questions]

    def client() -> None:
        connection = _connect(host, port)
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                body = bodies[i % len(bodies)]
                started = time.perf_counter()
                try:
                    connection.request("POST", path, body=body, headers=HEADERS)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                    detail = f"HTTP {response.status}"
                    if response.will_close:
                        connection.close()
                        connection = _connect(host, port)
                except (OSError, http.client.HTTPException) as exc:
                    ok, detail = False, type(exc).__name__
                    connection.close()
                    connection = _connect(host, port)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed) if ok else errors.append(detail)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu = time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "cpu_s": time.process_time() - cpu,
        "latencies_ms": latencies,
        "wall_s": wall,
        "errors": errors,
        "distinct_questions": min(requests, len(set(questions))),
    }


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
