"""Headless Chromium: the owner picks a 全銀 statement and a JP PINT invoice on the upload page,
chooses the invoice's side, and reads the result in Japanese."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest import zengin_builder as zb

from .conftest import PASSWORD
from .test_browser import browser, server  # noqa: F401  (module fixtures, reused)

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
PINT = (
    SAMPLES / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
).read_bytes()


def test_owner_uploads_a_statement_and_an_invoice(server, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from playwright.sync_api import expect

    base, ids = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/businesses/{ids['business']}")
    page.goto(f"{base}/businesses/{ids['business']}/upload")
    statement = b"\r\n".join(zb.statement03())
    page.set_input_files(
        "#f-files", files=[{"name": "meisai.txt", "mimeType": "text/plain", "buffer": statement}]
    )
    page.click("button:has-text('ファイルを読み取る')")
    expect(page.locator("#outcome")).to_contain_text("保存しました")
    expect(page.locator("#outcome")).to_contain_text("入出金明細: 追加 4 件")
    page.goto(f"{base}/businesses/{ids['business']}/upload")
    page.set_input_files(
        "#f-files", files=[{"name": "invoice.xml", "mimeType": "application/xml", "buffer": PINT}]
    )
    page.click("button:has-text('ファイルを読み取る')")
    expect(page.locator("tr.issue-error")).to_contain_text(
        "売り手も買い手もこの事業者ではありません"
    )
    page.goto(f"{base}/businesses/{ids['business']}/upload")
    page.set_input_files(
        "#f-files", files=[{"name": "invoice.xml", "mimeType": "application/xml", "buffer": PINT}]
    )
    page.select_option("select[name=direction]", "received")
    page.click("button:has-text('ファイルを読み取る')")
    expect(page.locator("#outcome")).to_contain_text("請求書: 追加 1 件")
    # the refused invoice's page is a 422 on purpose; no other console error
    assert [e for e in errors if "422" not in e] == []
    page.close()
