"""Two instances side by side: each command uses the data directory and database its settings name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from kizashi.store.db import Store
from kizashi.store.models import Organisation

KIZASHI = str(Path(sys.executable).parent / "kizashi")


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KIZASHI_DATA_DIR": str(data_dir)}
    env.pop("KIZASHI_DATABASE_URL", None)
    return subprocess.run([KIZASHI, *args], env=env, capture_output=True, text=True, timeout=120)


def test_two_data_directories_are_two_instances(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(a, "org", "add", "bank-a", "--name", "A銀行", "--kind", "bank").returncode == 0
    assert _run(b, "org", "add", "bank-b", "--name", "B銀行", "--kind", "bank").returncode == 0
    for d, code in ((a, "bank-a"), (b, "bank-b")):
        store = Store(f"sqlite:///{d / 'kizashi.db'}")
        with store.session() as s:
            assert s.execute(select(Organisation.code)).scalars().all() == [code]
        store.dispose()
        assert (d / "secret_key").exists() is False  # created only when the web app needs it
