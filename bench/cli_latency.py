"""Wall time of the `dossier` commands that must answer without loading the model.

    python bench/cli_latency.py --data-dir data [--runs 5]

Each command runs in a fresh process (as a user runs it), with DOSSIER_MODEL
pointing at a directory that does not exist, so a command that tried to load
the model would fail. Prints the median and the worst wall time of each, the
median CPU time (user + system: what the command costs, whatever else the
machine is doing), the time `python -X importtime` counts for its imports and
the number of modules it imports (one extra run each), and for comparison
`dossier ask` (which loads the model).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of `python -m dossier.cli ARGS` in a fresh process, and its exit."""
    cpu, started = _cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dossier.cli", *args], capture_output=True, env=env, check=False
    )
    return time.perf_counter() - started, _cpu() - cpu, done.returncode


IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)$")


def imports(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds `python -X importtime` counts for the command's imports (the sum of each
    module's own time), and how many modules it imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dossier.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    own = [int(m[1]) for m in map(IMPORT_LINE.match, done.stderr.splitlines()) if m]
    return sum(own) / 1e6, len(own)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--model-runs", type=int, default=1, help="Runs of the model-loading `ask` (slow)."
    )
    options = parser.parse_args()
    data = options.data_dir
    broken = {**os.environ, "DOSSIER_MODEL": "/nonexistent/model"}
    cases = {
        "dossier --help": (["--help"], broken),
        "dossier sources": (["sources", "--data-dir", data], broken),
        "dossier ask -s unknown": (["ask", "x", "-s", "unknown", "--data-dir", data], broken),
        "dossier ask --data-dir wrong": (["ask", "x", "--data-dir", "/nonexistent"], broken),
        "dossier ask -k 0 (usage)": (["ask", "x", "-k", "0"], broken),
        "dossier ask (missing model)": (["ask", "x", "--data-dir", data], broken),
        "dossier ask (loads the model)": (["ask", "Tengiz?", "--data-dir", data], dict(os.environ)),
    }
    print(
        f"{'command':32} {'exit':>4} {'median s':>9} {'max s':>7} {'cpu s':>6} "
        f"{'import s':>8} {'modules':>7}"
    )
    for name, (args, env) in cases.items():
        count = options.model_runs if "loads the model" in name else options.runs
        runs = [timed(args, env) for _ in range(count)]
        if not runs:
            continue
        wall = [w for w, _, _ in runs]
        cpu = statistics.median(c for _, c, _ in runs)
        median = statistics.median(wall)
        seconds, modules = imports(args, env)
        print(
            f"{name:32} {runs[0][2]:>4} {median:>9.2f} {max(wall):>7.2f} {cpu:>6.2f} "
            f"{seconds:>8.2f} {modules:>7}"
        )


if __name__ == "__main__":
    main()
