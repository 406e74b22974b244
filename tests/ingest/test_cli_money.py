"""``kizashi ingest`` with bank statements, e-invoices and schedules: Japanese output, storing,
refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizashi.cli import context
from kizashi.store.models import BankAccount, BankTransaction, Invoice, OpenItem
from tests.web.japanese_only import latin_words
from tests.world import make_world

from . import zengin_builder as zb
from .conftest import SAMPLES

PINT = SAMPLES.parent / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"


@pytest.fixture
def cli(store, tmp_path, monkeypatch):
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.store.cache_clear()
    from kizashi.cli.main import app

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield run
    context.settings.cache_clear()
    context.store.cache_clear()


@pytest.fixture
def bid(store) -> int:
    with store.session() as s:
        return make_world(s).business.id


def _count(store, model) -> int:
    with store.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_statement_stored_in_japanese_then_no_op(cli, store, bid, tmp_path):
    f = tmp_path / "meisai.txt"
    f.write_bytes(b"\r\n".join(zb.statement03()))
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner", "--today", "2024-05-10")
    assert r.exit_code == 0, r.output
    assert "保存しました" in r.output and "入出金明細: 追加 4 件" in r.output
    assert latin_words(r.output) == [], r.output
    assert _count(store, BankTransaction) == 4
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["reason"] == "duplicate"


def test_dry_run_analysis_without_a_business(cli, tmp_path):
    f = tmp_path / "meisai.txt"
    recs = zb.statement03()
    recs[4] = zb.trailer03(1, 500_001, 2, 420_000, 1_080_000, 3)
    f.write_bytes(b"".join(recs))
    r = cli("ingest", str(f), "--dry-run", "--today", "2024-05-10")
    assert r.exit_code == 1
    assert "エラー トレーラの件数・合計がデータ・レコードと合いません: meisai.txt 5行目" in r.output
    assert "入金額合計" in r.output
    assert latin_words(r.output) == [], r.output


def test_invoice_of_another_company_is_refused_then_confirmed(cli, store, bid, tmp_path):
    f = tmp_path / "invoice.xml"
    f.write_bytes(PINT.read_bytes())
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 1
    assert "売り手も買い手もこの事業者ではありません" in r.output
    assert _count(store, Invoice) == 0
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner", "--direction", "received")
    assert r.exit_code == 0, r.output
    assert "請求書の向き: 受領" in r.output and _count(store, Invoice) == 1


def test_schedule_needs_a_side_and_refusal_without_consent(cli, store, bid, tmp_path):
    f = tmp_path / "zandaka.csv"
    f.write_text("取引先,金額,期日\n山田製作所,1000,2024/05/31\n", encoding="cp932")
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 1 and "売掛金か買掛金かがわかりません" in r.output
    r = cli("ingest", str(f), "--business", str(bid), "--as", "a_officer", "--side", "payable")
    assert r.exit_code == 1 and "提出できません" in r.output
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner", "--side", "payable")
    assert r.exit_code == 0, r.output
    assert _count(store, OpenItem) == 1


def test_formats_lists_money_importers(cli):
    r = cli("ingest", "formats")
    assert "zengin" in r.output and "ubl_invoice" in r.output and "open_items" in r.output


def test_a_saved_layout_reads_an_unusual_bank_csv(cli, store, bid, tmp_path):
    f = tmp_path / "odd.csv"
    f.write_text(
        "取引年月日,ご利用内容,引落額,振込額,口座残高\n2024-04-01,ｳﾘｱｹﾞ,,100,1100\n",
        encoding="utf-8",
    )
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner", "--format", "netbank_csv")
    assert r.exit_code == 1  # no known header
    layout = (
        '{"date": "取引年月日", "description": "ご利用内容", "out": "引落額", '
        '"in": "振込額", "balance": "口座残高", "account": "7654321"}'
    )
    r = cli(
        "ingest",
        str(f),
        "--business",
        str(bid),
        "--as",
        "owner",
        "--format",
        "netbank_csv",
        "--column-mapping",
        layout,
        "--save-column-mapping",
        "うちの銀行",
    )
    assert r.exit_code == 0, r.output
    g = tmp_path / "odd2.csv"
    g.write_text(
        "取引年月日,ご利用内容,引落額,振込額,口座残高\n2024-04-02,ﾃｽｳﾘﾖｳ,10,,1090\n",
        encoding="utf-8",
    )
    r = cli(
        "ingest",
        str(g),
        "--business",
        str(bid),
        "--as",
        "owner",
        "--format",
        "netbank_csv",
        "--column-mapping",
        "うちの銀行",
    )
    assert r.exit_code == 0, r.output
    assert _count(store, BankTransaction) == 2
    r = cli(
        "ingest",
        str(g),
        "--business",
        str(bid),
        "--as",
        "owner",
        "--format",
        "netbank_csv",
        "--column-mapping",
        "ないレイアウト",
    )
    assert r.exit_code == 1


def test_a_refused_file_is_said_in_japanese_with_its_record(cli, store, bid, tmp_path):
    f = tmp_path / "ebcdic.txt"
    f.write_bytes(zb.header03("060430", "060401", "060430", "1", "ｱ", 0, code="1"))
    r = cli("ingest", str(f), "--dry-run")
    assert r.exit_code == 1
    assert "ebcdic.txt: 1 レコード目 コード区分 (4 バイト目): EBCDIC (1)" in r.output
    assert latin_words(r.output, {"ebcdic", "txt", "EBCDIC", "JIS"}) == [], r.output
    r = cli("ingest", str(f), "--dry-run", "--json")
    fatal = json.loads(r.output)["fatal"]
    assert "1 レコード目" in fatal and "supported" not in fatal
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 1
    assert "ファイルを読み取れません: ebcdic.txt 1行目 4列目 コード区分" in r.output
    assert "JIS (0) で出力し直してください" in r.output
    assert latin_words(r.output, {"ebcdic", "txt", "EBCDIC", "JIS"}) == [], r.output
    assert _count(store, BankTransaction) == 0


BANK_LAYOUTS = Path(__file__).parent / "fixtures" / "bank"
# file → (transactions, sum of amounts, closing balance), read off each file by hand
LAYOUTS = {
    "mufg.csv": (4, 550_000 - 12_345 - 300_000 - 440, 1_237_215),
    "smbc.csv": (3, -1_000 + 350_000 - 120_000, 730_000),
    "rakuten.csv": (3, 250_000 - 80_000 + 12, 1_170_012),
    "yucho.csv": (2, 300_000 - 65_500, 1_234_500),
    "paypay.csv": (2, 180_000 - 3_980, 676_020),
    "sbi.csv": (2, -10_000 + 220_000, 720_000),
    "ja.csv": (2, 120_000 - 20_000, 600_000),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_bank_layouts_stored_through_kizashi_ingest(cli, store, bid, tmp_path, name):
    f = tmp_path / name
    f.write_bytes((BANK_LAYOUTS / name).read_bytes())
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner", "--today", "2024-05-10")
    assert r.exit_code == 0, r.output
    count, total, closing = LAYOUTS[name]
    assert f"入出金明細: 追加 {count} 件" in r.output
    with store.session() as s:
        rows = s.execute(select(BankTransaction).order_by(BankTransaction.id)).scalars().all()
        assert len(rows) == count and sum(t.amount_yen for t in rows) == total
        assert max(rows, key=lambda t: (t.booked_on, t.id)).balance_yen == closing
        if name == "yucho.csv":
            account = s.execute(select(BankAccount)).scalar_one()
            assert (account.bank_code, account.branch_code, account.number) == (
                "9900",
                "018",
                "1234567",
            )
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["reason"] == "duplicate"
