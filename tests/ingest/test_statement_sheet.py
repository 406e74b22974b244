"""決算報告書 exported without a header row (fixtures/statement_noheader.csv, read by hand).

The sheet: company name, 「第12期 決算報告書」, 「自 令和5年4月1日 至 令和6年3月31日」,
「(単位:円)」, then 【貸借対照表】 side by side (資産の部 | 負債・純資産の部) with 全角 digits, △ and
▲, then 【損益計算書】 with items in a 内訳 column and totals further right, ▲ for the losses.
Balance sheet: assets 1,200,000 + 500,000 + 1,000,000 − 200,000 = 2,500,000 = liabilities
450,000 + 2,000,000 + net assets 50,000. P/L: operating loss 400,000, net loss 529,000, so
retained earnings without the year's loss are −950,000 + 529,000 = −421,000.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from kizashi.ingest import IngestError, analyse

from .conftest import fixture_bytes

NAME = "statement_noheader.csv"
EXPECTED = {
    "cash_and_deposits": 1_200_000,
    "accounts_receivable": 500_000,
    "buildings": 1_000_000,
    "accumulated_depreciation": 200_000,
    "accounts_payable": 300_000,
    "accounts_payable_other": 150_000,
    "long_term_borrowings": 2_000_000,
    "capital_stock": 1_000_000,
    "retained_earnings": -421_000,
    "sales": 5_000_000,
    "purchases": 3_400_000,
    "officer_compensation": 900_000,
    "salaries": 1_000_000,
    "depreciation": 100_000,
    "interest_income": 1_000,
    "interest_expense": 60_000,
    "income_taxes": 70_000,
}


def _text() -> str:
    return fixture_bytes(NAME, "utf-8").decode()


def test_headerless_statement_is_recognised(encoding: str) -> None:
    report = analyse(fixture_bytes(NAME, encoding), "決算報告書.csv")
    assert report.format == "statement_sheet"
    assert report.sources[0].kind == "statement"
    assert report.ok, report.errors
    (year,) = report.months
    assert (year.period_end, year.fiscal_year_start) == (date(2024, 3, 31), date(2023, 4, 1))
    assert year.amounts == EXPECTED
    assert "subtotal.mismatch" not in {w.code for w in report.warnings}


def test_unit_thousand_yen_in_a_title_line() -> None:
    text = _text().replace("(単位:円)", "（単位：千円）")
    report = analyse(text.encode("cp932"), "kessan.csv")
    assert report.ok, report.errors
    assert report.months[0].amounts == {k: v * 1000 for k, v in EXPECTED.items()}


def test_seireki_title_and_a_short_name() -> None:
    text = (
        _text().replace("令和5年4月1日", "2023年4月1日").replace("令和6年3月31日", "2024年3月31日")
    )
    report = analyse(text.encode(), "bs_pl.csv")
    assert report.ok, report.errors
    assert report.months[0].period_end == date(2024, 3, 31)
    assert report.months[0].fiscal_year_start == date(2023, 4, 1)


def test_bad_amount_says_file_line_column() -> None:
    text = _text().replace('"500,000",未払金', '"5OO,000",未払金')
    report = analyse(text.encode(), "kessan.csv")
    (err,) = [e for e in report.errors if e.code == "amount.invalid"]
    assert (err.file, err.line, err.column, err.field, err.value) == (
        "kessan.csv",
        10,
        2,
        "売掛金",
        "5OO,000",
    )


def test_period_unknown_is_an_error_or_given() -> None:
    lines = [ln for ln in _text().splitlines() if "令和" not in ln]
    data = "\n".join(lines).encode()
    report = analyse(data, "kessan.csv")
    assert "period.unknown" in {e.code for e in report.errors}
    given = analyse(data, "kessan.csv", period_end="2024-03-31")
    assert given.ok, given.errors
    assert given.months[0].period_end == date(2024, 3, 31)


def test_statement_of_changes_in_equity_and_notes_are_skipped() -> None:
    text = _text() + (
        "【株主資本等変動計算書】,,,\n"
        "繰越利益剰余金,当期首残高,当期変動額,当期末残高\n"
        ',"▲421,000","▲529,000","▲950,000"\n'
        '資本金,"1,000,000",0,"1,000,000"\n'
        "【個別注記表】,,,\n"
        "貸借対照表に関する注記,,,\n"
        '有形固定資産の減価償却累計額,"200,000",,\n'
    )
    report = analyse(text.encode(), "kessan.csv")
    assert report.ok, report.errors
    assert report.months[0].amounts == EXPECTED


def _xlsx(text: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in csv.reader(io.StringIO(text)):
        cells: list[object] = []
        for c in row:
            plain = c.replace(",", "").replace("▲", "-").replace("△", "-")
            cells.append(int(plain) if plain.lstrip("-").isdigit() else c)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_headerless_statement_xlsx() -> None:
    report = analyse(_xlsx(_text()), "決算報告書.xlsx")
    assert report.encoding == "xlsx" and report.format == "statement_sheet"
    assert report.ok, report.errors
    assert report.months[0].amounts == EXPECTED


def test_a_sheet_without_title_or_pairs_stays_unrecognised() -> None:
    with pytest.raises(IngestError):
        analyse("現金及び預金,100\n売掛金,200\n".encode(), "x.csv")


def test_cli_dry_run_reads_the_headerless_statement() -> None:
    import json

    from typer.testing import CliRunner

    import kizashi.cli.ingest_cmd  # noqa: F401  (registers the commands)
    from kizashi.cli.app import app

    from .conftest import FIXTURES

    res = CliRunner().invoke(app, ["ingest", str(FIXTURES / NAME), "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["sources"][0]["format"] == "statement_sheet"
    assert out["months"][0]["amounts"] == EXPECTED


def test_comparative_columns_read_the_current_year() -> None:
    """比較形式: 前期 and 当期 side by side; the 当期 column is read, on both sides."""
    text = (
        "第12期 決算報告書\n"
        "自 令和5年4月1日 至 令和6年3月31日\n"
        "【貸借対照表】\n"
        ",前期,当期,,前期,当期\n"
        '現金及び預金,"900,000","1,200,000",資本金,"1,000,000","1,000,000"\n'
        '売掛金,"100,000","300,000",繰越利益剰余金,"0","500,000"\n'
        "【損益計算書】\n"
        ",前期,当期\n"
        '売上高,"4,000,000","5,000,000"\n'
        '仕入高,"4,000,000","4,500,000"\n'
        '当期純利益,"0","500,000"\n'
    )
    report = analyse(text.encode("cp932"), "hikaku.csv")
    assert report.format == "statement_sheet" and report.ok, report.errors
    assert report.months[0].amounts == {
        "cash_and_deposits": 1_200_000,
        "accounts_receivable": 300_000,
        "capital_stock": 1_000_000,  # retained earnings 500,000 less the year's 500,000: none
        "sales": 5_000_000,
        "purchases": 4_500_000,
    }


def test_sga_schedule_gives_the_items_once() -> None:
    """損益計算書 with the 販管費 total only; its items in 販売費及び一般管理費明細書."""
    text = (
        "決算報告書\n"
        "自 令和5年4月1日 至 令和6年3月31日\n"
        "【貸借対照表】,\n"
        '現金及び預金,"3,100,000"\n'
        '繰越利益剰余金,"3,100,000"\n'
        "【損益計算書】,\n"
        '売上高,"5,000,000"\n'
        '販売費及び一般管理費,"1,900,000"\n'
        '営業利益,"3,100,000"\n'
        "【販売費及び一般管理費明細書】,\n"
        '役員報酬,"900,000"\n'
        '給料手当,"1,000,000"\n'
        '合計,"1,900,000"\n'
    )
    report = analyse(text.encode("cp932"), "kessan.csv")
    assert report.format == "statement_sheet" and report.ok, report.errors
    assert report.months[0].amounts == {
        "cash_and_deposits": 3_100_000,  # retained earnings are all this year's profit
        "sales": 5_000_000,
        "officer_compensation": 900_000,
        "salaries": 1_000_000,
    }


def test_a_journal_mentioning_a_statement_is_still_a_journal(encoding: str) -> None:
    """A 摘要 such as 「決算書作成料」 in a headerless 弥生 journal is not a statement title."""
    text = fixture_bytes("yayoi.csv", "utf-8").decode()
    first = text.splitlines()[0]
    cells = first.split(",")
    cells[16] = '"決算書作成料"'  # 摘要
    data = text.replace(first, ",".join(cells)).encode("cp932" if encoding == "cp932" else "utf-8")
    assert analyse(data, "y.csv", fiscal_year_start_month=4).format == "yayoi"
