"""Headless Chromium: a 保証協会's administrator trains a risk model version from the models page
(the job runs in its own process while the page is reloaded), reads its evaluation, makes it
active for its own organisation, stops using it (the shared model applies again), and sets the
organisation's triage weighting — all in Japanese."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kizashi.jobs.demo import build_demo
from kizashi.jobs.demo_world import DEMO_PASSWORD
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from ..conftest import TEST_AUDIT_KEY
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()

    tmp = tmp_path_factory.mktemp("risk_admin")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}", audit_key=TEST_AUDIT_KEY)
    settings = Settings(
        data_dir=tmp,
        database_url=store.url,
        secret_key="browser-test-secret",
        audit_key=TEST_AUDIT_KEY,
    )
    build_demo(store, settings, businesses=150, seed=11)
    run_monitoring_job(store, settings)
    with serve_app(create_app(settings, store)) as base:
        yield base
    store.dispose()


@pytest.fixture(scope="module")
def chromium(server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_train_evaluate_activate_and_weigh(server, chromium) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = chromium.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/login")
    page.fill("input[name=login]", "hosho-admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{server}/admin/models")
    form = page.locator("#train-form")
    form.locator("input[name=test_months]").fill("3")
    form.get_by_role("button", name="学習する").click()
    page.wait_for_load_state()
    expect(page.locator("#job-asked")).to_contain_text("学習ジョブ")
    row = page.locator("#job-list tbody tr").first
    deadline = time.monotonic() + 300
    while row.get_attribute("data-status") not in ("finished", "failed"):
        assert time.monotonic() < deadline, "the training job did not end"
        time.sleep(2)
        page.reload()
        row = page.locator("#job-list tbody tr").first
    assert row.get_attribute("data-status") == "finished", row.inner_text()
    expect(row).to_contain_text("完了")

    row.locator("a.mono").click()
    page.wait_for_load_state()
    expect(page.locator("#evaluation")).to_contain_text("上位5%での捕捉率")
    expect(page.locator("#measures tr[data-measure=model]")).to_contain_text("本モデル")
    expect(page.locator("#calibration")).to_be_visible()
    page.locator("#models").get_by_role("button", name="有効にする").first.click()
    page.wait_for_load_state()
    expect(page.locator("#done")).to_be_visible()
    # the organisation's own version, marked so; stopping it falls back to the shared model
    expect(page.locator("#models tr[data-owner=own]").first).to_contain_text("自組織")
    expect(page.locator("#model-owner-note")).to_contain_text(
        "他の組織は見ることも使うこともできません"
    )
    page.locator("#deactivate-form").get_by_role(
        "button", name="自組織のモデルの使用をやめる"
    ).click()
    page.wait_for_load_state()
    expect(page.locator("#deactivated")).to_contain_text("システム共通のモデル")
    expect(page.locator("#deactivate-form")).to_have_count(0)

    page.get_by_role("link", name="対話の優先順位でのスコアの比重").click()
    page.wait_for_load_state()
    expect(page.locator("#current")).to_contain_text("リスクスコア 50%")
    page.locator("input[name=score_pct]").fill("80")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    expect(page.locator("#current")).to_contain_text("リスクスコア 80%、ルール 20%")
    page.get_by_role("button", name="システムの既定値(50%)に戻す").click()
    page.wait_for_load_state()
    expect(page.locator("#current")).to_contain_text("リスクスコア 50%")
    assert not console_errors, console_errors
    context.close()
