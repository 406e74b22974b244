"""``kizashi serve``: the web UI and the JSON API on one port, in several worker processes."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from .app import app
from .context import console, settings, store

# Seconds an idle connection is kept open. uvicorn's 5 s closes a connection whose next request
# is already on its way when the workers are busy for longer (50 logins at once on a loaded
# machine: the client then reads a closed connection, no answer); and a reverse proxy that reuses
# its connections (idle timeouts of 60 s are common) must find them open, so this is longer.
KEEP_ALIVE_SECONDS = 75


def default_workers() -> int:
    """``web_workers`` if set, else one worker per CPU."""
    return settings().web_workers or os.cpu_count() or 1


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: settings.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: settings.port).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes (default: settings.web_workers, else the CPU count).",
        ),
    ] = None,
) -> None:
    """Webサーバーを起動する (serve the web UI and /api/v1)."""
    import uvicorn

    cfg = settings()
    bind_host, bind_port = host or cfg.host, port or cfg.port
    count = workers or default_workers()
    st = store()  # migrates the database once, before any worker starts
    console.print(
        f"kizashi: http://{bind_host}:{bind_port}/  (API: /api/v1, reference: /docs)  "
        f"workers: {count}"
    )
    if count == 1:
        from kizashi.web.app import create_app

        uvicorn.run(
            create_app(cfg, st),
            host=bind_host,
            port=bind_port,
            log_level="info",
            proxy_headers=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        return
    from kizashi.web.worker import IMPORT_STRING

    # Keys the workers would otherwise each create on first use: made once, here.
    cfg.resolved_secret_key()
    st.audit_key.get()
    st.dispose()
    uvicorn.run(
        IMPORT_STRING,
        factory=True,
        workers=count,
        host=bind_host,
        port=bind_port,
        log_level="info",
        proxy_headers=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
