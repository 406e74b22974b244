"""Invoices matched to payments in the store (actions.matching): after each import in the same
unit of work, again on request, audited; the forecast counts only what is still open."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kizashi.access.cash import read_cash_forecast
from kizashi.access.money import list_invoices
from kizashi.actions.bank import do_import_money
from kizashi.actions.matching import do_match_payments
from kizashi.ingest.money import MoneyOptions
from kizashi.store.errors import NotFound
from kizashi.store.matching_models import InvoicePayment
from kizashi.store.models import AuditEvent, Invoice
from tests.world import make_world

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
PINT_MIN = (
    SAMPLES / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
).read_text("utf-8")
OPTS = MoneyOptions(today=date(2024, 1, 10))
# two invoices the business issued to 株式会社 〇〇物産 on 2023-10-24, ¥281,240 payable each
ISSUED_156 = PINT_MIN.replace("1234567890123", "7000012050002").encode("utf-8")
ISSUED_157 = ISSUED_156.replace(b"<cbc:ID>156<", b"<cbc:ID>157<")
# a deposit short by a ¥440 transfer fee from a half-width kana remitter, then ¥100,000 from
# a remitter written as on the invoice
BANK = """\
口座番号,普通 1234567
日付,摘要,お支払金額,お預り金額,差引残高
2023/11/01,前月繰越,,"1,000","1,000"
2023/11/30,ﾌﾘｺﾐ ｶ)ﾏﾙﾏﾙﾌﾞﾂｻﾝ,,"280,800","281,800"
"""
PARTIAL = """\
口座番号,普通 1234567
日付,摘要,お支払金額,お預り金額,差引残高
2023/12/15,振込 〇〇物産,,"100,000","381,800"
"""


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _import(store, actor, business_id, data, name, tmp_path):
    with store.session() as s:
        return do_import_money(
            s,
            actor,
            business_id=business_id,
            data=data,
            filename=name,
            raw_dir=tmp_path / "raw",
            options=OPTS,
        )


def _matches(store) -> list[tuple[str, int, int, str]]:
    with store.session() as s:
        return [
            (n, a, f, r)
            for n, a, f, r in s.execute(
                select(
                    Invoice.invoice_number,
                    InvoicePayment.amount_yen,
                    InvoicePayment.fee_yen,
                    InvoicePayment.rule,
                )
                .join(Invoice, Invoice.id == InvoicePayment.invoice_id)
                .order_by(InvoicePayment.transaction_id, Invoice.invoice_number)
            )
        ]


def _paid(store) -> dict[str, bool]:
    with store.session() as s:
        return {n: p for n, p in s.execute(select(Invoice.invoice_number, Invoice.paid))}


def _receivable(store, actor, business_id) -> int:
    with store.session() as s:
        view = read_cash_forecast(s, actor, business_id, today=date(2024, 1, 10))
    assert view is not None
    return sum(f.amount for f in view.plan.lines if f.kind == "receivable")


def test_matched_after_each_import_whatever_the_order(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    out = _import(store, owner, bid, ISSUED_156, "156.xml", tmp_path)
    assert out.stored and out.matched == {
        "business_id": bid,
        "allocations": 0,
        "invoices_paid": 0,
        "invoices_partly_paid": 0,
        "fees_yen": 0,
        "by_rule": {},
    }
    out = _import(store, owner, bid, BANK.encode("cp932"), "meisai.csv", tmp_path)
    assert out.stored, out.issues
    assert out.matched is not None and out.matched["invoices_paid"] == 1
    assert _matches(store) == [("156", 280_800, 440, "fee")]
    assert _paid(store) == {"156": True}
    # a second invoice of the same amount: the deposit still pays the older one (156)
    _import(store, owner, bid, ISSUED_157, "157.xml", tmp_path)
    assert _matches(store) == [("156", 280_800, 440, "fee")]
    assert _receivable(store, owner, bid) == 281_240  # 157 only
    # ¥100,000 from a remitter named as on the invoice: part of 157
    out = _import(store, owner, bid, PARTIAL.encode("utf-8"), "meisai2.csv", tmp_path)
    assert out.matched is not None and out.matched["invoices_partly_paid"] == 1
    assert _matches(store) == [("156", 280_800, 440, "fee"), ("157", 100_000, 0, "partial")]
    assert _paid(store) == {"156": True, "157": False}
    assert _receivable(store, owner, bid) == 181_240
    with store.session() as s:
        _, listed = list_invoices(s, owner, bid)
    assert {(i.invoice_number, i.paid, i.settled_yen) for i in listed} == {
        ("156", True, 281_240),  # 280,800 + the 440 fee
        ("157", False, 100_000),
    }
    with store.session() as s:
        events = s.execute(
            select(AuditEvent.business_id).where(AuditEvent.action == "match_payments")
        ).all()
    assert len(events) == 4 and {e[0] for e in events} == {bid}


def test_rematch_is_the_same_and_needs_the_right_to_submit_invoices(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, BANK.encode("cp932"), "meisai.csv", tmp_path)
    _import(store, owner, bid, ISSUED_156, "156.xml", tmp_path)
    before = _matches(store)
    assert before == [("156", 280_800, 440, "fee")]
    with store.session() as s:
        again = do_match_payments(s, owner, bid)
    assert again.allocations == 1 and again.fees_yen == 440
    assert _matches(store) == before
    with pytest.raises(NotFound), store.session() as s:
        do_match_payments(s, world.actors["b_officer"], bid)
    with store.session() as s:
        denied = (
            s.execute(
                select(AuditEvent).where(
                    AuditEvent.decision == "deny", AuditEvent.business_id == bid
                )
            )
            .scalars()
            .all()
        )
    assert denied
    assert _matches(store) == before


def test_two_matchings_of_one_business_at_once_both_succeed(store, world, tmp_path):
    """Two imports for one business replace the same match rows: the second waits for the
    first (a row lock on the business) instead of failing on the unique pair."""
    import threading

    from kizashi.actions.matching import match_business

    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, ISSUED_156, "156.xml", tmp_path)
    _import(store, owner, bid, BANK.encode("cp932"), "meisai.csv", tmp_path)
    first_done = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        first_done.wait(10)
        try:
            with store.session() as s:
                match_business(s, owner, bid)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    with store.session() as s:
        match_business(s, owner, bid)
        first_done.set()
        worker.join(0.5)  # the second is waiting for this unit of work to end
    worker.join(30)
    assert not worker.is_alive() and errors == []
    assert _matches(store) == [("156", 280_800, 440, "fee")]
