"""The web app served for real, for the tests that need a live server: ``kizashi serve`` as a
subprocess (``serve``: workers, signals, the command itself), or the app of a test's own store
in a thread of the test process (``serve_app``: browser tests, the API contract)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

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


@contextmanager
def serve_app(
    app: Any,
    *,
    lifespan: Literal["on", "off"] = "off",
    start_within: float = 15.0,
    stop_within: float = 10.0,
) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 in a thread; yields ``http://127.0.0.1:PORT``."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_within
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=stop_within)
