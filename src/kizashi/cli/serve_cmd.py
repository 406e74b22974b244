"""``kizashi serve``: the web UI and the JSON API on one port."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app
from .context import console, settings, store


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: settings.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: settings.port).")
    ] = None,
) -> None:
    """Webサーバーを起動する (serve the web UI and /api/v1)."""
    import uvicorn

    from kizashi.web.app import create_app

    cfg = settings()
    web = create_app(cfg, store())
    bind_host, bind_port = host or cfg.host, port or cfg.port
    console.print(f"kizashi: http://{bind_host}:{bind_port}/  (API: /api/v1, reference: /docs)")
    uvicorn.run(web, host=bind_host, port=bind_port, log_level="info", proxy_headers=False)
