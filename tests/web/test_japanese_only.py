"""Japanese pages and the Japanese CLI show Japanese: no English messages, codes or unit ids.

Scans the visible text of the Japanese business page (after a monitoring run) and of an upload
result with warnings, and the output of ``kizashi indicators``, ``kizashi flags``,
``kizashi ingest --dry-run`` and ``kizashi audit verify``, for words in Latin letters beyond
a short allow-list (tests/web/japanese_only.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kizashi.cli import context
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from ..demo_cache import monitored_demo
from .conftest import WebWorld, login
from .japanese_only import latin_words, visible_text
from .test_monitoring import DEMO_PASSWORD
from .test_uploads import post_page, trial_balance

# May is missing between April and June: a warning the result page lists.
TB_GAP = trial_balance(
    ("2022-04", "普通預金", '"1,200,000"'),
    ("2022-04", "資本金", '"1,000,000"'),
    ("2022-04", "売上高", '"300,000"'),
    ("2022-04", "仕入高", '"100,000"'),
    ("2022-06", "普通預金", '"1,300,000"'),
    ("2022-06", "資本金", '"1,000,000"'),
    ("2022-06", "売上高", '"900,000"'),
    ("2022-06", "仕入高", '"600,000"'),
)

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "fixtures"


def _cli(*args: str) -> str:
    from kizashi.cli.main import app

    r = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output
    return r.output


@pytest.fixture
def demo_cli(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monitored_demo(store, settings, businesses=30, seed=11)
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(settings.data_dir))
    context.settings.cache_clear()
    context.store.cache_clear()
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        login(client, "hosho", DEMO_PASSWORD)
        items = client.get("/api/v1/businesses?sort=priority&page_size=200").json()["items"]
        yield client, [i["id"] for i in items if i["monitoring"]][:5]
    context.settings.cache_clear()
    context.store.cache_clear()


def test_business_pages_and_monitoring_cli_speak_japanese(demo_cli) -> None:  # type: ignore[no-untyped-def]
    client, ids = demo_cli
    assert ids
    for bid in ids:
        page = client.get(f"/businesses/{bid}")
        assert page.status_code == 200
        assert latin_words(visible_text(page.text)) == [], bid
        base = ("--business", str(bid), "--as", "hosho")
        assert latin_words(_cli("indicators", *base)) == [], bid
        assert latin_words(_cli("indicators", *base, "--history")) == [], bid
        assert latin_words(_cli("flags", *base, "--all")) == [], bid
    assert latin_words(_cli("audit", "verify")) == []


def test_upload_result_speaks_japanese(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    r = post_page(client, web_world.business_id, [("試算表.csv", TB_GAP)], dry_run="1")
    assert r.status_code == 200
    assert "issue-warning" in r.text  # there are warnings to show
    assert latin_words(visible_text(r.text)) == []


def test_ingest_dry_run_speaks_japanese(tmp_path: Path) -> None:
    path = tmp_path / "試算表.csv"
    path.write_bytes(TB_GAP)
    out = _cli("ingest", str(path), "--dry-run")
    assert "注意" in out  # the missing month is reported
    assert latin_words(out) == [], out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(trial_balance(("2022-04", "普通預金", '"1,000"'), ("2022-04", "資本金", "x")))
    out = _cli("ingest", str(bad), "--dry-run")
    assert "エラー" in out and latin_words(out) == [], out
