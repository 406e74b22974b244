"""Invoices matched to payments (domain.matching): hand-made cases with the expected yen, and
the invariants under Hypothesis."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kizashi.domain.matching import (
    LOOKAHEAD_DAYS,
    Allocation,
    MatchRule,
    Movement,
    OpenInvoice,
    earliest_affected,
    is_transfer_fee,
    match_payments,
    name_core,
    number_key,
    number_tokens,
    party_verdict,
    settled,
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
    number: str = "",
) -> OpenInvoice:
    return OpenInvoice(id, direction, cp, name, issued, amount, due, reg, number=number)


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


def test_a_registration_number_in_the_words_names_the_customer() -> None:
    invoices = [
        inv(1, 50_000, cp=1, name="山田商事", reg="T1234567890123"),
        inv(2, 50_000, cp=2, name="佐藤工業"),
    ]
    got = match_payments(invoices, [mv(10, 50_000, "ﾌﾘｺﾐ T1234567890123")])
    assert got == [Allocation(1, 10, 50_000, 0, MatchRule.EXACT)]
    assert match_payments(invoices, [mv(10, 50_000, "ﾌﾘｺﾐ T9999999999999")]) == []


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


def test_combined_fee_goes_to_an_invoice_larger_than_the_fee() -> None:
    """Found by Hypothesis: ¥5 against ¥321 + ¥201 "less a ¥517 fee" once gave the ¥201
    invoice −¥316. No invoice exceeds the fee, so no combination: a part payment instead."""
    invoices = [inv(1, 321, name="ｻﾄｳ", due=None), inv(2, 201, name="ｻﾄｳ", due=None)]
    got = match_payments(invoices, [mv(10, 5, "ｻﾄｳ", on=date(2026, 5, 1))])
    assert got == [Allocation(1, 10, 5, 0, MatchRule.PARTIAL)]
    # with one invoice larger than the fee, the fee goes to it though it is not the latest due
    invoices = [inv(1, 700, name="ｻﾄｳ", due=None), inv(2, 201, name="ｻﾄｳ", due=None)]
    got = match_payments(invoices, [mv(10, 461, "ｻﾄｳ", on=date(2026, 5, 1))])  # 901 − 440
    assert got == [
        Allocation(1, 10, 260, 440, MatchRule.COMBINED),
        Allocation(2, 10, 201, 0, MatchRule.COMBINED),
    ]


def test_part_payment_goes_to_the_invoice_its_later_rest_settles() -> None:
    """Oldest due first would put ¥30,000 on invoice 1 and leave both part-paid; the later
    ¥59,560 (the rest of invoice 2 less a ¥440 fee) shows the parts were for invoice 2."""
    invoices = [
        inv(1, 100_000, name="ヤマダ", due=date(2026, 5, 31)),
        inv(2, 90_000, name="ヤマダ", due=date(2026, 6, 30)),
    ]
    first = mv(10, 30_000, "振込 ヤマダ", on=date(2026, 6, 1))
    rest = mv(11, 59_560, "ﾌﾘｺﾐ ﾔﾏﾀﾞ", on=date(2026, 6, 30))
    assert match_payments(invoices, [first, rest]) == [
        Allocation(2, 10, 30_000, 0, MatchRule.PARTIAL),
        Allocation(2, 11, 59_560, 440, MatchRule.FEE),
    ]
    # so the rest arriving (being imported) changes where the earlier part went: re-matching
    # after an import must start early enough
    assert match_payments(invoices, [first]) == [Allocation(1, 10, 30_000, 0, MatchRule.PARTIAL)]
    assert earliest_affected(rest.booked_on) <= first.booked_on
    # the rest too late (beyond the look-ahead) or from another payer: oldest due first
    late = mv(11, 59_560, "ﾌﾘｺﾐ ﾔﾏﾀﾞ", on=date(2026, 6, 1) + timedelta(LOOKAHEAD_DAYS + 1))
    assert match_payments(invoices, [first, late])[0] == Allocation(
        1, 10, 30_000, 0, MatchRule.PARTIAL
    )
    other = mv(11, 59_560, "ｽｽﾞｷ", on=date(2026, 6, 30))
    assert match_payments(invoices, [first, other]) == [
        Allocation(1, 10, 30_000, 0, MatchRule.PARTIAL)
    ]


def test_payment_in_three_parts_goes_to_the_invoice_two_later_parts_settle() -> None:
    invoices = [
        inv(1, 100_000, name="ヤマダ", due=date(2026, 5, 31)),
        inv(2, 90_000, name="ヤマダ", due=date(2026, 6, 30)),
    ]
    parts = [
        mv(10, 30_000, "振込 ヤマダ", on=date(2026, 6, 1)),
        mv(11, 30_000, "振込 ヤマダ", on=date(2026, 6, 20)),
        mv(12, 29_780, "振込 ヤマダ", on=date(2026, 7, 10)),  # the rest less a ¥220 fee
    ]
    assert match_payments(invoices, parts) == [
        Allocation(2, 10, 30_000, 0, MatchRule.PARTIAL),
        Allocation(2, 11, 30_000, 0, MatchRule.PARTIAL),
        Allocation(2, 12, 29_780, 220, MatchRule.FEE),
    ]
    # four parts: no one or two later parts pay the rest — oldest due first
    four = [*parts[:2], mv(12, 15_000, "振込 ヤマダ", on=date(2026, 7, 10))]
    four.append(mv(13, 15_000, "振込 ヤマダ", on=date(2026, 7, 20)))
    assert match_payments(invoices, four)[0] == Allocation(1, 10, 30_000, 0, MatchRule.PARTIAL)


def test_invoice_number_in_the_words_chooses_the_invoice() -> None:
    invoices = [
        inv(1, 50_000, due=date(2026, 5, 31), number="INV-2026-0041"),
        inv(2, 50_000, due=date(2026, 6, 30), number="INV-2026-0042"),
    ]
    # kana remitter ("unknown" against the kanji name) with the number in the EDI information
    got = match_payments(invoices, [mv(10, 50_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ EDI INV-2026-0042")])
    assert got == [Allocation(2, 10, 50_000, 0, MatchRule.EXACT)]
    # a part payment naming the invoice: allowed without the name, on that invoice only
    got = match_payments(invoices, [mv(10, 20_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ 請求書 2026-0042")])
    assert got == []  # "2026-0042" is part of no run equal to the number
    got = match_payments(invoices, [mv(10, 20_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ NO.INV-2026-0042")])
    assert got == [Allocation(2, 10, 20_000, 0, MatchRule.PARTIAL)]
    # another company's name with the number: never
    assert match_payments(invoices, [mv(10, 50_000, "鈴木工業 INV-2026-0042")]) == []


def test_invoice_number_keys_and_tokens() -> None:
    assert number_key(" ｉｎｖ－0042 ") == "INV-0042"
    assert number_key("12") == number_key("ABC") == ""
    assert {"INV-2026-0042", "INV-2026", "2026-0042", "0042", "INV"} <= number_tokens(
        "ﾌﾘｺﾐ inv-2026-0042 ﾔﾏﾀﾞ"
    )
    assert "0042" not in number_tokens("10042")


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


@settings(max_examples=300, deadline=None)
@given(invoices_st, movements_st, st.integers(0, 240))
def test_resumed_from_any_day_equals_from_scratch(
    invoices: list[OpenInvoice], movements: list[Movement], day: int
) -> None:
    """What ``actions.matching`` relies on: keep the allocations of movements before a day,
    match the rest from the open amounts on that day — the same as from scratch."""
    cut = DAY0 + timedelta(days=day)
    full = match_payments(invoices, movements)
    on = {m.id: m.booked_on for m in movements}
    kept = [a for a in full if on[a.transaction_id] < cut]
    done = settled(invoices, kept)
    rest = [
        OpenInvoice(
            i.id,
            i.direction,
            i.counterparty_id,
            i.name,
            i.issue_date,
            i.amount_yen - done[i.id],
            i.due_date,
            i.registration_number,
        )
        for i in invoices
    ]
    resumed = match_payments(rest, [m for m in movements if m.booked_on >= cut])
    assert kept + resumed == full


@settings(max_examples=300, deadline=None)
@given(invoices_st, movements_st, invoices_st, movements_st, st.integers(0, 240))
def test_rows_added_on_a_day_change_nothing_before_earliest_affected(
    invoices: list[OpenInvoice],
    movements: list[Movement],
    more_invoices: list[OpenInvoice],
    more_movements: list[Movement],
    day: int,
) -> None:
    first = DAY0 + timedelta(days=day)
    ids = {i.id for i in invoices}
    new_invs = [
        OpenInvoice(
            i.id + 20_000,
            *[getattr(i, f) for f in ("direction", "counterparty_id", "name")],
            max(i.issue_date, first),
            i.amount_yen,
            i.due_date,
        )
        for i in more_invoices
        if i.id + 20_000 not in ids
    ]
    new_moves = [
        Movement(m.id + 20_000, max(m.booked_on, first), m.amount_yen, m.text)
        for m in more_movements
    ]
    before = match_payments(invoices, movements)
    after = match_payments(invoices + new_invs, movements + new_moves)
    on = {m.id: m.booked_on for m in movements + new_moves}
    start = earliest_affected(first)
    assert [a for a in before if on[a.transaction_id] < start] == [
        a for a in after if on[a.transaction_id] < start
    ]
