"""domain.bank: a transaction's kind from its words, company names and 法人番号 matching."""

from __future__ import annotations

import pytest

from kizashi.domain.bank import (
    Party,
    TxKind,
    classify,
    party_is,
    registration_number,
    same_company_name,
)
from kizashi.store.analytics_schema import BANK_TRANSACTIONS


@pytest.mark.parametrize(
    ("description", "counterparty", "amount", "kind"),
    [
        ("ｷﾕｳﾖ", "", -300_000, TxKind.PAYROLL),
        ("ﾔﾁﾝ", "", -120_000, TxKind.RENT),
        ("ｼﾔｶｲﾎｹﾝﾘﾖｳ", "", -50_000, TxKind.SOCIAL_INSURANCE),
        ("ｺｸｾﾞｲ", "ｾﾞｲﾑｼﾖ", -80_000, TxKind.TAX),
        ("ｺｸｾﾞｲ ｶﾝﾌﾟ", "", 80_000, TxKind.OTHER),  # a refund is no tax payment
        ("ｾﾞｲﾘｼ ﾎｳｼﾕｳ", "", -33_000, TxKind.OTHER),  # a tax accountant's fee is no tax
        ("ﾃﾞﾝｷﾀﾞｲ", "", -12_000, TxKind.UTILITIES),
        ("ﾕｳｼ ﾍﾝｻｲ", "", -100_000, TxKind.LOAN_REPAYMENT),
        ("ﾘｿｸ", "", -3_000, TxKind.INTEREST),
        ("ﾌｱｸﾀﾘﾝｸﾞ", "ｶ)ｽﾋﾟｰﾄﾞｼｷﾝ", 500_000, TxKind.HIGH_RATE_LENDER),
        ("ﾌﾘｺﾐ", "ｶ)ｽｽﾞｷｼﾖｳｶｲ", 110_000, TxKind.SALES_RECEIPT),
        ("ATM", "", -10_000, TxKind.OTHER),
    ],
)
def test_classify(description: str, counterparty: str, amount: int, kind: TxKind) -> None:
    assert classify(description, counterparty, amount) == kind


def test_company_names_and_numbers() -> None:
    assert same_company_name("北信産業 株式会社", "北信産業㈱")
    assert same_company_name("(株)テスト", "株式会社テスト")
    assert not same_company_name("テスト工業", "テスト商事")
    assert registration_number("T1234-5678-90123") == "T1234567890123"
    assert registration_number("なし") == ""
    assert party_is("株式会社テスト工業", "7000012050002", Party(corporate_number="7000012050002"))
    assert party_is(
        "株式会社テスト工業", "7000012050002", Party(registration_number="T7000012050002")
    )
    assert (
        party_is(
            "株式会社テスト工業", "7000012050002", Party(name="よそ", corporate_number="1" * 13)
        )
        is False
    )
    assert party_is("株式会社テスト工業", None, Party(name="ｶ)ﾃｽﾄｺｳｷﾞﾖｳ")) is None  # kana vs kanji


def test_the_columnar_contract() -> None:
    assert BANK_TRANSACTIONS.column_names == (
        "business_id",
        "account_id",
        "booked_on",
        "amount_yen",
        "balance_yen",
        "counterparty",
        "description",
        "kind",
    )
