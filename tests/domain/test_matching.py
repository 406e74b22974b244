"""Invoices matched to payments (domain.matching): hand-made cases with the expected yen, and
the invariants under Hypothesis."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kizashi.domain.matching import (
    Allocation,
    MatchRule,
    Movement,
    OpenInvoice,
    is_transfer_fee,
    match_payments,
    name_core,
    party_verdict,
)

YAMADA = "株式会社山田商事"


def inv(
    id: int,
    amount: int,
    *,
    cp: int = 1,
    name: str = YAMADA,
    issued: date = date(2026, 4, 30),
    due: date | None = date(2026, 5, 31),
    direction: str = "issued",
    reg: str = "",
) -> OpenInvoice:
    return OpenInvoice(id, direction, cp, name, issued, amount, due, reg)


def mv(id: int, amount: int, text: str = "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", on: date = date(2026, 5, 29)) -> Movement:
    return Movement(id, on, amount, text)


def test_fee_rule_is_multiples_of_eleven_between_110_and_990() -> None:
    assert [is_transfer_fee(x) for x in (110, 220, 330, 440, 660, 770, 880, 990)] == [True] * 8
    assert [is_transfer_fee(x) for x in (0, 99, 100, 111, 500, 1000, 1001, 1100)] == [False] * 8


def test_names_normalised_kana_and_legal_forms() -> None:
    assert name_core("ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ") == name_core("ヤマダショウジ株式会社") == "ヤマダシヨウジ"
    assert name_core("（株）山田 商事") == name_core(YAMADA) == "山田商事"
    assert name_core("やまだ") == "ヤマダ"
    assert party_verdict("ﾌﾘｺﾐ ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", inv(1, 1, name="ヤマダショウジ(カ")) == "same"
    assert party_verdict("ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", inv(1, 1)) == "unknown"  # kana against kanji
    assert party_verdict("ｽｽﾞｷｼﾖｳｼﾞ", inv(1, 1, name="ヤマダショウジ")) == "other"
    assert party_verdict("鈴木商事", inv(1, 1)) == "other"
    assert party_verdict("振込 T1234567890123", inv(1, 1, reg="T1234567890123")) == "same"


def test_exact_amount_kana_remitter_kanji_invoice() -> None:
    got = match_payments([inv(1, 110_000)], [mv(10, 110_000)])
    assert got == [Allocation(1, 10, 110_000, 0, MatchRule.EXACT)]


def test_fee_deducted_settles_the_invoice() -> None:
    got = match_payments([inv(1, 110_000)], [mv(10, 109_780)])
    assert got == [Allocation(1, 10, 109_780, 220, MatchRule.FEE)]


def test_short_by_more_than_a_fee_unknown_payer_stays_open() -> None:
    assert match_payments([inv(1, 110_000)], [mv(10, 109_000)]) == []


def test_partial_then_remainder_less_fee_when_payer_is_named() -> None:
    invoices = [inv(1, 100_000, name="ヤマダショウジ")]
    moves = [mv(10, 40_000, on=date(2026, 5, 10)), mv(11, 59_780, on=date(2026, 6, 10))]
    got = match_payments(invoices, moves)
    assert got == [
        Allocation(1, 10, 40_000, 0, MatchRule.PARTIAL),
        Allocation(1, 11, 59_780, 220, MatchRule.FEE),
    ]


def test_one_deposit_pays_several_invoices_of_one_customer() -> None:
    invoices = [
        inv(1, 50_000, due=date(2026, 5, 31)),
        inv(2, 70_000, due=date(2026, 5, 31)),
        inv(3, 30_000, due=date(2026, 6, 30)),
    ]
    got = match_payments(invoices, [mv(10, 79_560)])  # 50,000 + 30,000 − 440 fee
    assert got == [
        Allocation(1, 10, 50_000, 0, MatchRule.COMBINED),
        Allocation(3, 10, 29_560, 440, MatchRule.COMBINED),
    ]


def test_an_amount_two_customers_could_have_paid_stays_open() -> None:
    invoices = [inv(1, 50_000, cp=1), inv(2, 50_000, cp=2, name="佐藤工業株式会社")]
    assert match_payments(invoices, [mv(10, 50_000)]) == []
    # the remitter's name settles it
    got = match_payments(invoices, [mv(10, 50_000, text="サトウコウギヨウ 佐藤工業")])
    assert got == [Allocation(2, 10, 50_000, 0, MatchRule.EXACT)]


def test_another_named_company_never_pays() -> None:
    assert match_payments([inv(1, 50_000, name="ヤマダショウジ")], [mv(10, 50_000, "ｽｽﾞｷ")]) == []


def test_window_sixty_days_after_due_and_not_before_issue() -> None:
    due = date(2026, 5, 31)
    assert match_payments([inv(1, 5_000)], [mv(10, 5_000, on=due + timedelta(days=61))]) == []
    assert len(match_payments([inv(1, 5_000)], [mv(10, 5_000, on=due + timedelta(days=60))])) == 1
    assert match_payments([inv(1, 5_000)], [mv(10, 5_000, on=date(2026, 4, 29))]) == []


def test_received_invoice_paid_by_a_payment_not_by_a_deposit() -> None:
    bill = inv(1, 33_000, direction="received", name="ﾃﾞﾝｷｺｳｼﾞ")
    assert match_payments([bill], [mv(10, 33_000, "ﾃﾞﾝｷｺｳｼﾞ")]) == []
    got = match_payments([bill], [mv(10, -33_000, "ﾃﾞﾝｷｺｳｼﾞ")])
    assert got == [Allocation(1, 10, 33_000, 0, MatchRule.EXACT)]


def test_oldest_due_of_one_customer_first_and_overpayment_not_allocated() -> None:
    invoices = [inv(1, 10_000, name="ヤマダ", due=date(2026, 6, 30)), inv(2, 10_000, name="ヤマダ")]
    got = match_payments(invoices, [mv(10, 10_000, "ﾔﾏﾀﾞ")])
    assert got == [Allocation(2, 10, 10_000, 0, MatchRule.EXACT)]
    over = match_payments(invoices, [mv(10, 25_000, "ﾔﾏﾀﾞ")])  # 20,000 of it pays both
    assert over == [
        Allocation(2, 10, 10_000, 0, MatchRule.PARTIAL),
        Allocation(1, 10, 10_000, 0, MatchRule.PARTIAL),
    ]


def test_credit_notes_and_nothing_payable_are_not_matched() -> None:
    assert match_payments([inv(1, -5_000), inv(2, 0)], [mv(10, 5_000), mv(11, -5_000)]) == []


# --------------------------------------------------------------------------- invariants

NAMES = ["ヤマダ", "ｻﾄｳ", "山田商事", "佐藤工業", ""]
DAY0 = date(2026, 1, 1)
invoices_st = st.lists(
    st.builds(
        lambda i, cp, amount, day, due, direction: OpenInvoice(
            i,
            direction,
            cp,
            NAMES[cp],
            DAY0 + timedelta(days=day),
            amount,
            None if due is None else DAY0 + timedelta(days=day + due),
        ),
        st.integers(1, 10_000),
        st.integers(0, len(NAMES) - 1),
        st.integers(-1_000, 300_000),
        st.integers(0, 120),
        st.none() | st.integers(0, 60),
        st.sampled_from(["issued", "received"]),
    ),
    max_size=15,
    unique_by=lambda x: x.id,
)
movements_st = st.lists(
    st.builds(
        lambda i, amount, day, who: Movement(i, DAY0 + timedelta(days=day), amount, who),
        st.integers(1, 10_000),
        st.integers(-300_000, 300_000),
        st.integers(0, 240),
        st.sampled_from([*NAMES, "ｽｽﾞｷ", "T1234567890123"]),
    ),
    max_size=15,
    unique_by=lambda x: x.id,
)


@settings(max_examples=300, deadline=None)
@given(invoices_st, movements_st)
def test_never_more_than_the_movement_nor_the_invoice(
    invoices: list[OpenInvoice], movements: list[Movement]
) -> None:
    got = match_payments(invoices, movements)
    by_mv: dict[int, int] = defaultdict(int)
    by_inv: dict[int, int] = defaultdict(int)
    moves = {m.id: m for m in movements}
    invs = {i.id: i for i in invoices}
    for a in got:
        assert a.amount_yen > 0 and a.fee_yen >= 0
        assert a.fee_yen == 0 or is_transfer_fee(a.fee_yen)
        m, i = moves[a.transaction_id], invs[a.invoice_id]
        assert (m.amount_yen > 0) == (i.direction == "issued")
        assert i.issue_date <= m.booked_on
        by_mv[a.transaction_id] += a.amount_yen
        by_inv[a.invoice_id] += a.amount_yen + a.fee_yen
    for mid, total in by_mv.items():
        assert total <= abs(moves[mid].amount_yen)
    for iid, total in by_inv.items():
        assert total <= invs[iid].amount_yen
    assert match_payments(list(reversed(invoices)), list(reversed(movements))) == got
