"""The web app served for real: uvicorn on a free loopback port, in a thread of the test process.

Browser tests and the API contract test drive it over HTTP. ``serve`` starts it, waits until
it accepts connections (or fails the test if it does not), yields the base URL and stops it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    app: Any,
    *,
    lifespan: Literal["on", "off"] = "off",
    start_within: float = 15.0,
    stop_within: float = 10.0,
) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1; yields ``http://127.0.0.1:PORT``."""
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
