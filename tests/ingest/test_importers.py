"""Every format: a tiny hand-written fixture, in CP932 and UTF-8, with numbers checked by hand.

The journal fixtures all book the same four transactions (fiscal year from April 2025):
  04-05 売掛金 330,000 / 売上高 330,000
  04-10 仕入高 110,000 / 普通預金 110,000
  04-25 給料手当 300,000 / 普通預金 270,000 + 預り金 30,000   (a compound entry)
  05-15 普通預金 330,000 / 売掛金 330,000
"""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from kizashi.domain.chart import load_chart
from kizashi.ingest import ColumnMapping, IngestError, analyse, analyse_files

from .conftest import fixture_bytes

APRIL = {
    "accounts_receivable": 330_000,
    "sales": 330_000,
    "purchases": 110_000,
    "cash_and_deposits": -380_000,
    "salaries": 300_000,
    "deposits_received": 30_000,
}
MAY = {
    "sales": 330_000,
    "purchases": 110_000,
    "cash_and_deposits": -50_000,
    "salaries": 300_000,
    "deposits_received": 30_000,
}

JOURNALS = [
    ("yayoi.csv", "yayoi"),
    ("freee_journal.csv", "freee_journal"),
    ("moneyforward.csv", "moneyforward"),
    ("moneyforward_25.csv", "moneyforward"),
    ("epson.csv", "epson_r4"),
    ("bugyo.csv", "bugyo"),
]


@pytest.mark.parametrize(("name", "fmt"), JOURNALS)
def test_journal_fixtures(name: str, fmt: str, encoding: str) -> None:
    report = analyse(fixture_bytes(name, encoding), name, fiscal_year_start_month=4)
    assert report.format == fmt
    assert report.encoding == encoding
    assert report.ok, report.errors
    assert [m.period_end for m in report.months] == [date(2025, 4, 30), date(2025, 5, 31)]
    assert report.months[0].amounts == APRIL
    assert report.months[1].amounts == MAY
    assert report.months[1].fiscal_year_start == date(2025, 4, 1)
    assert report.months[1].flows is not None and report.months[1].flows["sales"] == 0
    codes = {w.code for w in report.warnings}
    assert "opening.missing" in codes and "sign.unusual" in codes


def test_freee_deals(encoding: str) -> None:
    report = analyse(
        fixture_bytes("freee_deals.csv", encoding), "deals.csv", fiscal_year_start_month=4
    )
    assert report.format == "freee_deals" and report.ok, report.errors
    april = dict(APRIL, accounts_payable_other=30_000)
    del april["deposits_received"]
    assert report.months[0].amounts == april
    may = dict(MAY, accounts_payable_other=30_000)
    del may["deposits_received"]
    assert report.months[1].amounts == may


def test_opening_balances_with_a_journal() -> None:
    report = analyse_files(
        [
            (fixture_bytes("opening.csv", "cp932"), "開始残高.csv"),
            (fixture_bytes("moneyforward.csv", "utf-8"), "mf.csv"),
        ],
        fiscal_year_start_month=4,
    )
    assert [s.format for s in report.sources] == ["opening", "moneyforward"]
    assert report.ok, report.errors
    assert report.months[0].amounts == dict(
        APRIL, cash_and_deposits=620_000, capital_stock=1_000_000
    )
    assert "sign.unusual" not in {w.code for w in report.warnings}


def test_moneyforward_opening_entry() -> None:
    text = fixture_bytes("moneyforward.csv", "utf-8").decode()
    opening = "0,2025/04/01,普通預金,,,,,,1000000,,資本金,,,,,,1000000,,開始,,,開始仕訳,,,,,\n"
    lines = text.splitlines(keepends=True)
    report = analyse("".join([lines[0], opening, *lines[1:]]).encode(), "mf.csv")
    assert report.fiscal_year_start_month == 4  # read from the 開始仕訳 date
    assert report.months[0].amounts["cash_and_deposits"] == 620_000
    assert report.months[0].amounts["capital_stock"] == 1_000_000


def test_trial_balance(encoding: str) -> None:
    report = analyse(fixture_bytes("trial_balance.csv", encoding), "tb.csv")
    assert report.format == "table" and report.ok, report.errors
    (may,) = report.months
    assert may.period_end == date(2025, 5, 31) and may.fiscal_year_start == date(2025, 4, 1)
    assert may.amounts == dict(MAY, cash_and_deposits=950_000, capital_stock=1_000_000)
    assert report.warnings == []


def test_trial_balance_errors_are_located() -> None:
    text = fixture_bytes("trial_balance.csv", "utf-8").decode()
    bad = text.replace('"950,000"\n', '"950,001"\n', 1).replace(
        '売掛金,"330,000"', '売掛金,"33O,000"'
    )
    report = analyse(bad.encode(), "tb.csv")
    assert not report.ok
    amount = next(e for e in report.errors if e.code == "amount.invalid")
    assert (amount.line, amount.column, amount.value) == (6, 2, "33O,000")
    arith = next(e for e in report.errors if e.code == "tb.arithmetic")
    assert arith.line == 5 and arith.field == "普通預金"
    assert {w.code for w in report.warnings} >= {"subtotal.mismatch"}


def _statement_expected() -> dict[str, int]:
    return {
        "cash_and_deposits": 1_200_000,
        "accounts_receivable": 500_000,
        "buildings": 1_000_000,
        "accumulated_depreciation": 200_000,
        "accounts_payable": 300_000,
        "long_term_borrowings": 800_000,
        "capital_stock": 1_000_000,
        "retained_earnings": 100_000,
        "sales": 5_000_000,
        "purchases": 3_000_000,
        "officer_compensation": 600_000,
        "salaries": 800_000,
        "depreciation": 100_000,
        "interest_expense": 50_000,
        "income_taxes": 150_000,
    }


def test_statement(encoding: str) -> None:
    report = analyse(fixture_bytes("statement.csv", encoding), "決算書.csv")
    assert report.sources[0].kind == "statement"
    assert report.ok, report.errors
    (year,) = report.months
    assert year.period_end == date(2025, 3, 31) and year.fiscal_year_start == date(2024, 4, 1)
    assert year.amounts == _statement_expected()
    chart = load_chart()
    assert chart.evaluate(year.amounts, "net_assets") == 1_400_000
    assert "subtotal.mismatch" not in {w.code for w in report.warnings}
    assert "purchases" in {m.code for m in report.mapping}


def test_statement_xlsx(tmp_path: object) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    text = fixture_bytes("statement.csv", "utf-8").decode()
    import csv

    for row in csv.reader(io.StringIO(text)):
        ws.append([int(c.replace(",", "")) if c.replace(",", "").isdigit() else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    report = analyse(buf.getvalue(), "決算書.xlsx")
    assert report.encoding == "xlsx" and report.ok, report.errors
    assert report.months[0].amounts == _statement_expected()


def test_saved_column_mapping_for_an_unknown_layout() -> None:
    data = "期末,名称,金額\n2025-05,普通預金,950000\n2025-05,資本金,950000\n".encode("cp932")
    with pytest.raises(IngestError):
        analyse(data, "odd.csv")
    mapping = ColumnMapping(
        account="名称", closing="金額", period="期末", header_row=1, kind="trial_balance"
    )
    again = ColumnMapping.from_json(mapping.to_json())
    report = analyse(data, "odd.csv", column_mapping=again, fiscal_year_start_month=4)
    assert report.ok, report.errors
    assert report.months[0].amounts == {"cash_and_deposits": 950_000, "capital_stock": 950_000}


def test_unbalanced_entry_is_an_error() -> None:
    text = fixture_bytes("moneyforward.csv", "utf-8").decode().replace(",30000,", ",30001,")
    report = analyse(text.encode(), "mf.csv")
    err = next(e for e in report.errors if e.code == "entry.unbalanced")
    assert err.line == 4 and "difference -1" in err.message


def test_wrong_column_count_and_bad_date() -> None:
    text = fixture_bytes("yayoi.csv", "utf-8").decode().splitlines()
    text[1] = text[1].replace('"2025/04/10"', '"H31.5.1"')
    text[2] = text[2] + ',"extra"'
    report = analyse("\n".join(text).encode("cp932"), "y.csv", format="yayoi")
    codes = {(e.code, e.line) for e in report.errors}
    assert ("date.invalid", 2) in codes and ("row.columns", 3) in codes


def test_confirmations_override_and_unmapped_blocks() -> None:
    text = fixture_bytes("freee_journal.csv", "utf-8").decode().replace("給料手当", "謎の人件費")
    report = analyse(text.encode(), "f.csv", fiscal_year_start_month=4)
    assert not report.ok and "mapping.unmapped" in {e.code for e in report.errors}
    assert "謎の人件費" in [m.account for m in report.needs_confirmation]
    report = analyse(
        text.encode(), "f.csv", fiscal_year_start_month=4, confirmations={"謎の人件費": "salaries"}
    )
    assert report.ok and report.months[0].amounts == APRIL


def test_unknown_file_is_a_clear_error() -> None:
    # Japanese as str() (the CLI, the API), English for an English page; never both in one
    with pytest.raises(IngestError, match=r"x\.csv: この形式は認識できません") as info:
        analyse(b"hello,world\n1,2\n", "x.csv")
    assert "unrecognised" in info.value.english and "unrecognised" not in str(info.value)
    with pytest.raises(IngestError, match="上限の 10 バイト") as info:
        analyse(b"x" * 100, "x.csv", max_bytes=10)
    assert "size limit" in info.value.english
    with pytest.raises(IngestError, match="空のファイル") as info:
        analyse(b"", "x.csv")
    assert "empty" in info.value.english


def test_fiscal_year_rollover_carries_profit() -> None:
    rows = [
        "取引No,取引日,借方勘定科目,借方金額(円),貸方勘定科目,貸方金額(円)",
        "1,2025/03/10,普通預金,1000,売上高,1000",
        "2,2025/04/10,普通預金,500,売上高,500",
    ]
    report = analyse("\n".join(rows).encode(), "mf.csv", fiscal_year_start_month=4)
    march, april = report.months
    assert march.amounts == {"cash_and_deposits": 1000, "sales": 1000}
    assert april.amounts == {"cash_and_deposits": 1500, "sales": 500, "retained_earnings": 1000}
    assert april.flows == {**{c: 0 for c in april.flows or {}}, "sales": 500}
    assert report.ok
