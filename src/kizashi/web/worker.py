"""The app a ``kizashi serve --workers N`` worker process builds for itself.

uvicorn starts each worker as a fresh process and imports ``app_from_env`` (a factory), so no
app, store or settings exist at import time. The worker reads the same ``KIZASHI_*``
environment the ``kizashi serve`` command was started with (that command resolved the secret
and audit keys and migrated the database first), and ``create_app`` stays the one builder.
"""

from __future__ import annotations

from fastapi import FastAPI

from kizashi.settings import Settings

from .app import create_app

IMPORT_STRING = "kizashi.web.worker:app_from_env"


def app_from_env() -> FastAPI:
    """uvicorn's factory: this worker's app, from this process's environment."""
    return create_app(Settings())
