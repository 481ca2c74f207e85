"""`dossier serve` in a subprocess: the real command, its settings from DOSSIER_* variables.

Used where the server must be measured from outside (resident memory in
/proc/PID/status) or attacked at the socket level without disturbing the
test process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from dossier.settings import Settings


class ServeProcess:
    def __init__(self, settings: Settings, **env: object) -> None:
        self.settings = settings
        self.env = {key: str(value) for key, value in env.items()}
        self.stderr_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in __exit__)
            prefix="dossier-serve-", suffix=".log"
        )
        self.url = ""

    def __enter__(self) -> ServeProcess:
        env = os.environ | {"TOKENIZERS_PARALLELISM": "false"} | self.env
        env.pop("DOSSIER_CONFIG", None)
        command = [sys.executable, "-m", "dossier.cli", "serve", "--port", "0"]
        command += ["--data-dir", str(self.settings.data_dir)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=self.stderr_file
        )
        deadline = time.monotonic() + 60
        while not self.url:
            match = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", self.stderr)
            if match:
                self.url = match.group(1)
            elif self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"dossier serve did not start:\n{self.stderr}")
            else:
                time.sleep(0.1)
        return self

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def stderr(self) -> str:
        return Path(self.stderr_file.name).read_text(encoding="utf-8", errors="replace")

    def rss_kib(self) -> int:
        """The server's resident memory, as the kernel counts it."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"not ready:\n{self.stderr}")
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr_file.close()
