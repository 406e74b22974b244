"""Internet-banking exports of the big banks, in their own layouts (fixtures/bank/, hand-made:
see PROVENANCE.md there), read by the real importer: dates, amounts, balances, kana names and
the account as each file shows them. The expected values are read off the files by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizashi.domain.bank import AccountType
from kizashi.ingest.dates import DateError
from kizashi.ingest.importers.netbank_csv import _month_day
from kizashi.ingest.money import MoneyOptions, MoneyResult, analyse_money

BANK = Path(__file__).parent / "fixtures" / "bank"
MAY = MoneyOptions(today=date(2024, 5, 10))


def _read(name: str, options: MoneyOptions = MAY) -> MoneyResult:
    r = analyse_money((BANK / name).read_bytes(), name, options=options)
    assert r.format == "netbank_csv" and r.kind == "bank", r.format
    assert r.errors == [], [(i.code, i.line, i.field, i.message) for i in r.errors]
    return r


def _rows(r: MoneyResult) -> list[tuple[date, int, int | None]]:
    return [(t.booked_on, t.amount_yen, t.balance_yen) for t in r.file.transactions]


def test_mufg_layout() -> None:
    # 支払い金額 / 預かり金額 (no お), 摘要 the kind of movement, 摘要内容 the other party
    r = _read("mufg.csv")
    assert _rows(r) == [
        (date(2024, 4, 1), 550_000, 1_550_000),
        (date(2024, 4, 10), -12_345, 1_537_655),
        (date(2024, 4, 25), -300_000, 1_237_655),
        (date(2024, 4, 30), -440, 1_237_215),
    ]
    tx = r.file.transactions
    assert (tx[0].description, tx[0].counterparty) == ("振込１", "カ）スズキシヨウカイ")
    assert tx[2].description == "振込１ 4月分給与"  # the メモ column is kept
    assert tx[3].counterparty == ""
    assert list(r.file.balances.values()) == [(1_000_000, 1_237_215)]


def test_smbc_layout_newest_first_with_a_balance_line() -> None:
    # お引出し / お預入れ / お取り扱い内容, newest first, then a line holding only the balance
    r = _read("smbc.csv")
    assert _rows(r) == [
        (date(2024, 4, 2), -1_000, 500_000),
        (date(2024, 4, 25), 350_000, 850_000),
        (date(2024, 4, 27), -120_000, 730_000),
    ]
    assert r.file.transactions[1].description == "ﾌﾘｺﾐ ｶ)ｽｽﾞｷｼﾖｳｶｲ"  # half-width kana kept
    assert [t.line for t in r.file.transactions] == [4, 3, 2]
    assert list(r.file.balances.values()) == [(501_000, 730_000)]


def test_rakuten_layout_one_signed_column() -> None:
    r = _read("rakuten.csv")
    assert _rows(r) == [
        (date(2024, 4, 1), 250_000, 1_250_000),
        (date(2024, 4, 15), -80_000, 1_170_000),
        (date(2024, 4, 30), 12, 1_170_012),
    ]
    assert r.file.transactions[1].description == "口座振替 ネンキンジムシヨ"
    assert list(r.file.balances.values()) == [(1_000_000, 1_170_012)]


def test_yucho_layout_and_its_account() -> None:
    # a preamble naming the account as 記号-番号, 受入金額（円）/払出金額（円）, 詳細１/詳細２,
    # 現在（貸付）高, and a trailing comma on every line
    r = _read("yucho.csv")
    assert _rows(r) == [
        (date(2024, 4, 5), 300_000, 1_300_000),
        (date(2024, 4, 20), -65_500, 1_234_500),
    ]
    tx = r.file.transactions
    assert (tx[0].description, tx[0].counterparty) == ("振込", "ｶ)ﾐﾅﾐﾔ")
    (account,) = r.file.accounts.values()
    # 記号 10180 → 店番 018; 番号 12345671 → 口座番号 1234567 (without the check digit)
    assert (account.bank_code, account.branch_code, account.number) == ("9900", "018", "1234567")
    assert account.account_type == AccountType.ORDINARY
    assert r.file.balances[account.key] == (1_000_000, 1_234_500)


def test_paypay_layout_date_in_three_columns() -> None:
    r = _read("paypay.csv")
    assert _rows(r) == [
        (date(2024, 4, 3), 180_000, 680_000),
        (date(2024, 4, 26), -3_980, 676_020),
    ]
    assert r.file.transactions[0].description == "振込 ｶ)ｷﾀﾉｼﾖｳｼﾞ"


def test_paypay_bad_date_is_located() -> None:
    data = (BANK / "paypay.csv").read_bytes().replace(b'"2024","4","26"', b'"2024","13","26"')
    r = analyse_money(data, "paypay.csv", options=MAY)
    (issue,) = r.errors
    assert (issue.code, issue.line, issue.column, issue.field) == (
        "bank.bad_date",
        3,
        1,
        "操作日(年)",
    )
    assert issue.value == "2024/13/26"


def test_sbi_layout_dash_memo_and_bare_empty_fields() -> None:
    r = _read("sbi.csv")
    assert _rows(r) == [
        (date(2024, 4, 10), -10_000, 500_000),
        (date(2024, 4, 26), 220_000, 720_000),
    ]
    # "-" is the export's "no memo", not part of the description
    assert r.file.transactions[1].description == "振込＊カ）スズキシヨウカイ"


def test_ja_layout_dates_without_a_year_and_backslash_yen() -> None:
    # JA's export: 取扱日付 as 12月28日 (no year) and amounts as \120,000 (¥ at CP932 0x5C)
    r = _read("ja.csv", MoneyOptions(today=date(2024, 1, 15)))
    assert _rows(r) == [
        (date(2023, 12, 28), 120_000, 620_000),  # the latest 12月28日 on or before the day
        (date(2024, 1, 5), -20_000, 600_000),
    ]
    (warning,) = r.warnings
    assert (warning.code, warning.line, warning.column, warning.field) == (
        "bank.year_inferred",
        2,
        3,
        "取扱日付",
    )
    assert list(r.file.balances.values()) == [(500_000, 600_000)]


def test_ja_layout_impossible_day_is_an_error() -> None:
    data = (
        (BANK / "ja.csv").read_bytes().replace("1月5日".encode("cp932"), "2月30日".encode("cp932"))
    )
    r = analyse_money(data, "ja.csv", options=MoneyOptions(today=date(2024, 3, 1)))
    (issue,) = r.errors
    assert (issue.code, issue.line, issue.field, issue.value) == (
        "bank.bad_date",
        3,
        "取扱日付",
        "2月30日",
    )


@pytest.mark.parametrize("name", sorted(p.name for p in BANK.glob("*.csv")))
def test_every_layout_is_recognised_without_a_preset(name: str) -> None:
    data = (BANK / name).read_bytes()
    r = analyse_money(data, name, options=MoneyOptions(today=date(2024, 5, 10)))
    assert r.format == "netbank_csv" and r.file.transactions


@settings(max_examples=200, deadline=None)
@given(
    month=st.integers(1, 12),
    day=st.integers(1, 31),
    today=st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)),
)
def test_a_day_without_its_year_is_the_latest_one_not_after_today(
    month: int, day: int, today: date
) -> None:
    try:
        got = _month_day(f"{month}月{day}日", today)
    except DateError:
        with pytest.raises(ValueError):
            date(2000, month, day)  # only a day no year has (2000 is a leap year)
        return
    assert got is not None and (got.month, got.day) == (month, day) and got <= today
    # no later year would do: the same day a year on is after today (or does not exist)
    try:
        assert date(got.year + 1, month, day) > today
    except ValueError:
        assert (month, day) == (2, 29)
