"""Headless Chromium: a bank CSV kizashi does not recognise — the result page shows its
headings, the owner names the columns on the upload form and saves them for the organisation,
the saved layout is listed and chosen for the next file; then an invoice and the deposit that
paid it (less a ¥440 transfer fee) are matched and shown on the payments page."""

from __future__ import annotations

import pytest

from tests.actions.test_payment_matching import BANK, ISSUED_156

from .conftest import PASSWORD
from .test_browser import browser, server  # noqa: F401  (module fixtures, reused)
from .test_payments_and_layouts import ODD

pytestmark = pytest.mark.browser


def test_layout_named_saved_reused_and_payments_matched(server, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from playwright.sync_api import expect

    base, ids = server
    bid = ids["business"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/businesses/{bid}")

    def upload(name: str, body: bytes, **fields: str) -> None:
        page.goto(f"{base}/businesses/{bid}/upload")
        page.set_input_files(
            "#f-files", files=[{"name": name, "mimeType": "text/csv", "buffer": body}]
        )
        if fields:
            if page.locator("#bank-layout").get_attribute("open") is None:
                page.click("#bank-layout summary")  # closed until the organisation saves one
            for field, value in fields.items():
                if field == "bank_layout":
                    page.select_option("#f-bank-layout", value)
                else:
                    page.fill(f"input[name={field}]", value)
        page.click("button:has-text('ファイルを読み取る')")

    # a date column that is not there: nothing stored, the file's headings shown
    upload("odd.csv", ODD.encode("cp932"), col_date="日付")
    expect(page.locator("#layout-guess")).to_contain_text("取引年月日")
    expect(page.locator("#layout-guess")).to_contain_text("口座残高")
    upload(
        "odd.csv",
        ODD.encode("cp932"),
        col_date="取引年月日",
        col_description="ご利用内容",
        col_out="引落額",
        col_in="振込額",
        col_balance="口座残高",
        col_account="7654321",
        save_layout="地銀C",
    )
    expect(page.locator("#outcome")).to_contain_text("入出金明細: 追加 2 件")
    expect(page.locator("#layout-saved")).to_contain_text("地銀C")
    page.goto(f"{base}/money-presets")
    expect(page.locator("#presets")).to_contain_text("地銀C")
    expect(page.locator("#presets")).to_contain_text("取引年月日")
    later = ODD.replace("2024-04-02,ﾃｽｳﾘﾖｳ,110,,990", "2024-04-03,ｳﾘｱｹﾞ,,10,1000")
    upload("odd2.csv", later.encode("cp932"), bank_layout="地銀C")
    expect(page.locator("#outcome")).to_contain_text("保存しました")

    # an invoice issued, then the deposit that paid it less a transfer fee
    upload("156.xml", ISSUED_156)
    expect(page.locator("#outcome")).to_contain_text("請求書: 追加 1 件")
    upload("meisai.csv", BANK.encode("cp932"))
    expect(page.locator("#outcome")).to_contain_text("保存しました")
    page.goto(f"{base}/businesses/{bid}/payments")
    expect(page.locator("#matches")).to_contain_text("振込手数料の差引")
    expect(page.locator("#matches")).to_contain_text("440円")
    page.click("#match-again")
    expect(page.locator("#match-done")).to_contain_text("入金済みの請求書 1 件")
    # the refused first file is a 422 on purpose; no other console error
    assert [e for e in errors if "422" not in e] == []
    page.close()
