"""``kizashi serve`` as a real subprocess for the tests that need a live server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from kizashi.settings import Settings

KIZASHI = [sys.executable, "-c", "from kizashi.cli.main import main; main()"]


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a subprocess the same settings (``KIZASHI_<NAME>``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIZASHI_")}
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            env[f"KIZASHI_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(settings: Settings, log_path: Path, workers: int = 2) -> Iterator[str]:
    """``kizashi serve --workers N`` on a free loopback port; yields its base URL."""
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*KIZASHI, "serve", "--workers", str(workers), "--port", str(port)],
            env=settings_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        try:
            while True:
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            yield base
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
