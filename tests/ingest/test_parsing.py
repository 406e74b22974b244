"""Tables of dates, amounts and encodings as they appear in Japanese exports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kizashi.ingest.dates import DateError, fiscal_year_start, parse_date
from kizashi.ingest.numbers import AmountError, parse_decimal, parse_yen
from kizashi.ingest.periods import parse_period, title_period
from kizashi.ingest.text import decode, sniff_encoding

DATES = [
    ("20220704", date(2022, 7, 4)),
    ("2022/07/04", date(2022, 7, 4)),
    ("2022/7/4", date(2022, 7, 4)),
    ("2022-07-04", date(2022, 7, 4)),
    ("2022.7.4", date(2022, 7, 4)),
    ("2022年7月4日", date(2022, 7, 4)),
    ("２０２２／０７／０４", date(2022, 7, 4)),
    ("2026-03-07 10:20", date(2026, 3, 7)),
    ("R.07/04/01", date(2025, 4, 1)),
    ("R07/04/01", date(2025, 4, 1)),
    ("R.01/7/1", date(2019, 7, 1)),
    ("R7.4.1", date(2025, 4, 1)),
    ("令和7年4月1日", date(2025, 4, 1)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("R01/05/01", date(2019, 5, 1)),
    ("H31.4.30", date(2019, 4, 30)),
    ("平成31年4月30日", date(2019, 4, 30)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("S64.1.7", date(1989, 1, 7)),
    ("昭和元年12月25日", date(1926, 12, 25)),
    ("T15.12.24", date(1926, 12, 24)),
    ("M45.7.29", date(1912, 7, 29)),
    ("大正元年7月30日", date(1912, 7, 30)),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "平成31年5月1日",
        "H31.5.1",
        "令和元年4月30日",
        "R01/04/30",
        "S64.1.8",
        "平成元年1月7日",
        "T15.12.25",
        "M45.7.30",
        "2022/02/30",
        "2022/13/01",
        "R00/01/01",
        "",
        "abc",
        "20221",
        "R.7",
    ],
)
def test_bad_dates(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text)


AMOUNTS = [
    ("150000", 150000),
    ("150,000", 150000),
    (" 150,000 ", 150000),
    ("１５０，０００", 150000),
    ("▲1,000", -1000),
    ("△1,000", -1000),
    ("-1000", -1000),
    ("(1,000)", -1000),
    ("1,000-", -1000),
    ("−500", -500),
    ("￥12,345", 12345),
    ("12,345円", 12345),
    ("", 0),
    ("+7", 7),
    ("0", 0),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_amounts(text: str, expected: int) -> None:
    value = parse_yen(text)
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize("text", ["1.5", "abc", "1,2,3x", "--1", "▲", "1e5", "nan", "inf"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(AmountError):
        parse_yen(text)


def test_blank_is_an_error_where_the_format_requires_an_amount() -> None:
    with pytest.raises(AmountError):
        parse_yen("  ", blank_as_zero=False)


def test_decimal_not_float() -> None:
    assert parse_decimal("1,234.50") == Decimal("1234.50")


def test_encodings() -> None:
    text = "㈱テスト ① ｶ)ﾃｽﾄ"
    assert sniff_encoding(text.encode("cp932"))[0] == "cp932"
    assert decode(text.encode("cp932")).text == text
    assert sniff_encoding(text.encode("utf-8"))[0] == "utf-8"
    assert sniff_encoding(b"\xef\xbb\xbf" + text.encode("utf-8"))[0] == "utf-8-sig"
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")).text == text
    assert "CP932" in decode(text.encode("cp932")).encoding_reason


def test_periods() -> None:
    assert parse_period("2022-07") == date(2022, 7, 31)
    assert parse_period("令和4年7月度") == date(2022, 7, 31)
    assert title_period(["自 令和5年4月1日 至 令和6年3月31日"]) == (
        date(2024, 3, 31),
        date(2023, 4, 1),
    )
    assert fiscal_year_start(date(2025, 3, 31), 4) == date(2024, 4, 1)
    assert fiscal_year_start(date(2025, 3, 31), 1) == date(2025, 1, 1)
