"""What runs for the server's lifetime: the audit checkpoint writer (started, then stopped with a
last checkpoint), wrapped around whatever lifespan the app already has."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from kizashi.settings import Settings
from kizashi.store.audit_checkpoints import CheckpointWriter
from kizashi.store.db import Store

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def with_audit_checkpoints(inner: Lifespan, settings: Settings, store: Store) -> Lifespan:
    writer = CheckpointWriter(
        store,
        settings.resolved_audit_checkpoint_dir,
        settings.audit_checkpoint_interval_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        writer.start()
        try:
            async with inner(app) as state:
                yield state
        finally:
            if settings.audit_checkpoint_interval_seconds > 0:
                writer.stop()

    return lifespan
