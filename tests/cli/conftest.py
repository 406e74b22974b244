from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kizashi.cli import context


@pytest.fixture
def cli(store, tmp_path, monkeypatch):
    """Run ``kizashi`` commands in-process against the test store."""
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.store.cache_clear()
    from kizashi.cli.main import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    yield run
    context.settings.cache_clear()
    context.store.cache_clear()
