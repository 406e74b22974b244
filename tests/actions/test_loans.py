"""Loans, guarantees, schedules and credit events entered by the lender and the guarantor:
CSV imports store all rows or none, problems by line and column (Japanese headers), each write
audited, read back only under the loans category; a paid-off loan shows as 完済."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kizashi.access.reads import read_loans
from kizashi.actions.loans import (
    LoanInput,
    do_add_loan,
    do_close_loan,
    do_import_credit_events,
    do_import_loans,
    do_import_schedule,
    do_record_credit_event,
)
from kizashi.domain.vocabulary import CreditEventKind, Purpose
from kizashi.ingest.loans import LoanFileError
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, CreditEvent, Loan, RepaymentInstalment
from tests.world import TODAY, make_world

M = Purpose.MONITORING
HEADER = (
    "事業者ID,融資番号,貸付金融機関コード,保証協会コード,保証番号,保証割合,当初金額,残高,"
    "残高基準日,金利,実行日,据置期間終了日,最終期限"
)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _count(s, model) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def test_a_loan_file_is_stored_whole_and_audited(store, world):
    bid = world.business.id
    data = _csv(
        HEADER,
        f'{bid},A-2,bank-a,cgc,H-123,80,"10,000,000",9000000,2026-10-31,1.25,2025-04-01,'
        "2026-03-31,2032-03-31",
        f"{bid},A-3,bank-a,,,0,3000000,3000000,令和8年10月31日,2.5,2026-04-01,,2029-03-31",
    )
    with store.session() as s:
        loans = do_import_loans(s, world.actors["a_officer"], data, "loans.csv")
        assert [x.loan_number for x in loans] == ["A-2", "A-3"]
    with store.session() as s:
        a2 = s.execute(select(Loan).where(Loan.loan_number == "A-2")).scalar_one()
        assert (a2.guarantee_number, a2.guarantee_ratio_pct, a2.interest_rate_bp) == (
            "H-123",
            80,
            125,
        )
        assert (a2.original_amount, a2.grace_end_date) == (10_000_000, date(2026, 3, 31))
        a3 = s.execute(select(Loan).where(Loan.loan_number == "A-3")).scalar_one()
        assert a3.balance_as_of == date(2026, 10, 31)
        writes = s.execute(
            select(AuditEvent.object_id).where(AuditEvent.action == "add_loan")
        ).scalars().all()  # fmt: skip
        assert {str(a2.id), str(a3.id)} <= set(writes)


def test_a_bad_file_stores_nothing_and_names_line_and_column(store, world):
    bid = world.business.id
    data = _csv(
        HEADER,
        f"{bid},A-4,bank-a,cgc,H-9,80,5000000,4000000,2026-10-31,1.0,2025-04-01,,2030-03-31",
        f"{bid},A-5,bank-a,,,50,5000000,4000000,2026-10-31,1.0,2025-04-01,,2030-03-31",
        f"{bid},A-6,bank-a,,,0,abc,4000000,2026-10-31,1.0,2025-04-01,,2020-03-31",
        f"{bid},A-1,bank-a,cgc,,80,30000000,24000000,2026-10-31,1.5,2021-04-01,,2031-03-31",
        f"{world.other_business.id},B-9,bank-a,,,0,1000000,1000000,2026-10-31,1.0,2025-04-01,,2030-03-31",
    )
    with store.session() as s:
        before = _count(s, Loan)
    with pytest.raises(LoanFileError) as err, store.session() as s:
        do_import_loans(s, world.actors["a_officer"], data, "loans.csv")
    text = str(err.value)
    assert "loans.csv:3: 列「保証割合」" in text
    assert "loans.csv:4: 列「当初金額」: 金額として読めません (abc)" in text
    assert "loans.csv:4: 列「最終期限」" in text
    assert "loans.csv:5: 列「融資番号」: 融資番号 A-1 は登録済みです" in text
    assert "loans.csv:6: 列「事業者ID」" in text  # a business bank A may not see
    assert "loans.csv:2" not in text
    with store.session() as s:
        assert _count(s, Loan) == before  # line 2 was fine, yet nothing was stored


def test_unknown_or_missing_columns_are_refused(store, world):
    with pytest.raises(LoanFileError) as err, store.session() as s:
        do_import_loans(
            s, world.actors["a_officer"], _csv("事業者ID,融資番号,残高x", "1,A,1"), "x.csv"
        )
    assert "x.csv:1: 列「残高x」: この見出しの列は読めません" in str(err.value)
    assert "x.csv:1: 列「当初金額」: 必要な列がありません" in str(err.value)


def test_only_the_lender_or_guarantor_enters(store, world):
    bid = world.business.id
    line = f"{bid},A-7,bank-a,,,0,1000000,1000000,2026-10-31,1.0,2025-04-01,,2030-03-31"
    with pytest.raises(LoanFileError) as err, store.session() as s:  # bank B names bank A
        do_import_loans(s, world.actors["b_officer"], _csv(HEADER, line), "loans.csv")
    assert "自組織が貸付金融機関でも保証協会でもありません" in str(err.value)
    with pytest.raises(PermissionError), store.session() as s:
        do_import_loans(s, world.actors["owner"], _csv(HEADER, line), "loans.csv")


def test_schedule_credit_events_and_paying_off(store, world):
    bid = world.business.id
    a = world.actors["a_officer"]
    schedule = _csv(
        "事業者ID,融資番号,約定返済日,元金,利息,返済日",
        f"{bid},A-1,2026-10-31,500000,30000,2026-10-31",
        f"{bid},A-1,2026-11-30,500000,29000,",
    )
    events = _csv(
        "法人番号,融資番号,種別,発生日,延滞日数,メモ",
        f"{world.business.corporate_number},A-1,延滞,2026-11-30,31,約定返済の遅れ",
        f"{world.business.corporate_number},,条件変更,2026-12-01,,元金据置6か月",
    )
    with store.session() as s:
        assert len(do_import_schedule(s, a, schedule, "schedule.csv")) == 2
        assert len(do_import_credit_events(s, a, events, "events.csv")) == 2
    with store.session() as s:
        assert _count(s, RepaymentInstalment) >= 2
        kinds = s.execute(select(CreditEvent.kind, CreditEvent.days_past_due)).all()
        assert (CreditEventKind.DELINQUENCY, 31) in kinds
    # bank B cannot add to bank A's loan; a 延滞 without days is refused by line
    bad = _csv("事業者ID,融資番号,種別,発生日,延滞日数", f"{bid},A-1,延滞,2026-11-30,")
    with pytest.raises(LoanFileError) as err, store.session() as s:
        do_import_credit_events(s, a, bad, "e.csv")
    assert "e.csv:2: 列「延滞日数」" in str(err.value)
    with pytest.raises(LoanFileError) as err, store.session() as s:
        do_import_credit_events(s, world.actors["b_officer"], _csv("事業者ID,融資番号,種別,発生日", f"{bid},A-1,事故報告,2026-11-30"), "e.csv")  # fmt: skip
    assert "e.csv:2: 列「融資番号」" in str(err.value)

    with store.session() as s:
        loan = s.execute(select(Loan).where(Loan.loan_number == "A-1")).scalar_one()
        with pytest.raises(NotFound):
            do_close_loan(s, world.actors["b_officer"], loan_id=loan.id, paid_off_on=TODAY)
        do_close_loan(s, world.actors["cgc_officer"], loan_id=loan.id, paid_off_on=TODAY)
    with store.session() as s:
        book = read_loans(s, world.actors["cgc_officer"], bid, purpose=M, today=TODAY)
        [a1] = [x for x in book.loans if x.loan_number == "A-1"]
        assert a1.paid_off and a1.balance == 0 and a1.paid_off_on == TODAY
        assert any(e.kind == CreditEventKind.DELINQUENCY for e in a1.events)
        with pytest.raises(ValueError, match="完済済み"):
            do_close_loan(s, world.actors["a_officer"], loan_id=a1.id, paid_off_on=TODAY)


def test_loans_are_read_only_under_the_loans_category(store, world):
    bid = world.business.id
    with store.session() as s:
        loan = do_add_loan(
            s,
            world.actors["cgc_officer"],
            LoanInput(
                business_id=bid, lender_org_id=world.bank_a.id, guarantor_org_id=world.guarantor.id,
                loan_number="A-8", original_amount=2_000_000, balance=2_000_000,
                balance_as_of=TODAY, guarantee_ratio_pct=100, interest_rate_bp=100,
                start_date=date(2026, 4, 1), maturity_date=date(2030, 3, 31),
                guarantee_number="H-8",
            ),
        )  # fmt: skip
        do_record_credit_event(
            s, world.actors["cgc_officer"], loan=loan, kind=CreditEventKind.SUBROGATION,
            occurred_on=TODAY,
        )  # fmt: skip
    # bank B: no consent for loans, not a party → sees only its own loan
    with store.session() as s:
        book = read_loans(s, world.actors["b_officer"], bid, purpose=M, today=TODAY)
    assert [x.loan_number for x in book.loans] == ["B-1"]
    with pytest.raises(NotFound), store.session() as s:  # another business's owner
        read_loans(s, world.actors["other_owner"], bid, purpose=M, today=TODAY)


def test_an_entered_delinquency_feeds_the_credit_event_rule(cli, store, settings, tmp_path, world):
    from kizashi.jobs.monitoring import run_monitoring_job
    from kizashi.store.models import Flag
    from tests.jobs.test_reimport import _history, _import

    bid = world.business.id
    _import(cli, tmp_path, bid, _history(date(2026, 9, 1)), "tb.csv")  # healthy books
    run_monitoring_job(store, settings)
    with store.session() as s:
        rules = set(s.execute(select(Flag.rule_id).where(Flag.business_id == bid)).scalars())
    assert "credit.delinquency" not in rules
    events = _csv("事業者ID,融資番号,種別,発生日,延滞日数", f"{bid},A-1,延滞,2026-08-31,40")
    with store.session() as s:
        do_import_credit_events(s, world.actors["a_officer"], events, "events.csv")
    run_monitoring_job(store, settings)
    with store.session() as s:
        flag = s.execute(
            select(Flag).where(Flag.business_id == bid, Flag.rule_id == "credit.delinquency")
        ).scalar_one()
    assert flag.is_open and flag.category
