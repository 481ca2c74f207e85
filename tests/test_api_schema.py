"""The OpenAPI schema says what the server does: schemathesis against the live server.

Every check (`--checks all`): no 5xx, every status and content type
documented, every response valid against its schema, schema-valid requests
accepted and invalid ones rejected, unsupported methods refused.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import LiveServer

# A request can be valid by the schema and still name what the data does not hold (a
# source id that is not in the index, a span past the end of a text): those get 400/404.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "404"]
"""


def run_schemathesis(url: str, tmp_path: Path, *args: str) -> tuple[str, int]:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--workers",
        "1",
        "--seed",
        "20261125",
        "--generation-database",
        "none",
        "--request-timeout",
        "120",
        "--max-response-time",  # `all` would hold answers to 10 s: speed is for bench/
        "120",
        *args,
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=1500, check=False
    )
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    return output if result.returncode else "", int(generated.group(1)) if generated else 0


def test_schemathesis_finds_no_failure(live: LiveServer, tmp_path: Path) -> None:
    # Questions are answered by the model (slow): fewer cases there, more everywhere else.
    questions = ["--include-path-regex", "^/(ask|search|v1/chat/completions)$"]
    failures, asked = run_schemathesis(live.url, tmp_path, "--max-examples", "15", *questions)
    assert failures == "", failures[-8000:]
    rest = ["--exclude-path-regex", "^/(ask|search|v1/chat/completions)$"]
    failures, browsed = run_schemathesis(live.url, tmp_path, "--max-examples", "40", *rest)
    assert failures == "", failures[-8000:]
    assert asked + browsed >= 300, (asked, browsed)
