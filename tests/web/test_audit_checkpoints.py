"""The web server checkpoints the audit chain outside the database while it runs and at stop."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from kizashi.store.audit_checkpoints import read_checkpoints
from kizashi.web.app import create_app
from tests.store.audit_attacks import fill


def test_server_writes_checkpoints_at_intervals_and_at_stop(store, settings):
    settings.audit_checkpoint_interval_seconds = 1
    directory = settings.resolved_audit_checkpoint_dir
    key = store.audit_key.get()
    app = create_app(settings, store)
    with TestClient(app) as client:
        fill(store, 3)
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if [c.head_id for c in read_checkpoints(directory, key)[0]] == [3]:
                break
            time.sleep(0.2)
        assert [c.head_id for c in read_checkpoints(directory, key)[0]] == [3]
        time.sleep(1.5)  # an unchanged chain is not checkpointed again
        assert len(read_checkpoints(directory, key)[0]) == 1
        fill(store, 2)
    # Stopping the server writes the last head.
    checkpoints, bad = read_checkpoints(directory, key)
    assert bad == [] and checkpoints[-1].head_id == 5
