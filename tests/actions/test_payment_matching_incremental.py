"""Matching after an import only re-matches what the import can change (actions.matching with
``submission_id``): a statement, an overlapping one, an invoice dated before them imported
later — after each, the stored matches and paid flags equal a from-scratch matching, and the
matching resumed from the import's earliest day less the look-ahead."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kizashi.actions.bank import do_import_money
from kizashi.actions.matching import do_match_payments
from kizashi.ingest.money import MoneyOptions
from kizashi.store.matching_models import InvoicePayment
from kizashi.store.models import AuditEvent, BankTransaction, Invoice
from tests.world import make_world

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
PINT_MIN = (
    SAMPLES / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
).read_text("utf-8")
OPTS = MoneyOptions(today=date(2024, 1, 10))


def _invoice(number: str, issued: str, buyer: str = "株式会社 〇〇物産") -> bytes:
    """The business's invoice (¥281,240 payable, no due date: 120 days after issue)."""
    xml = PINT_MIN.replace("1234567890123", "7000012050002")
    xml = xml.replace("<cbc:ID>156<", f"<cbc:ID>{number}<")
    xml = xml.replace("<cbc:IssueDate>2023-10-24<", f"<cbc:IssueDate>{issued}<")
    return xml.replace("株式会社 〇〇物産", buyer).encode("utf-8")


HEAD = "口座番号,普通 1234567\n日付,摘要,お支払金額,お預り金額,差引残高\n"
NOV_30 = '2023/11/30,ﾌﾘｺﾐ ｶ)ﾏﾙﾏﾙﾌﾞﾂｻﾝ,,"280,800","281,800"\n'  # 156 less a ¥440 fee
DEC_05 = '2023/12/05,振込 〇〇物産,,"100,000","381,800"\n'  # part of 157
DEC_20 = '2023/12/20,振込 〇〇物産,,"180,800","562,600"\n'  # the rest of 157 less ¥440
DEC_22 = '2023/12/22,ﾌﾘｺﾐ ｻﾝｶｸｺｳｷﾞﾖｳ,,"281,240","843,840"\n'  # 158, imported later
FIRST = (HEAD + '2023/11/01,前月繰越,,"1,000","1,000"\n' + NOV_30 + DEC_05).encode("cp932")
OVERLAP = (HEAD + NOV_30 + DEC_05 + DEC_20 + DEC_22).encode("cp932")


class _Rollback(Exception):
    pass


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _import(store, actor, business_id, data, name, tmp_path):
    with store.session() as s:
        out = do_import_money(
            s,
            actor,
            business_id=business_id,
            data=data,
            filename=name,
            raw_dir=tmp_path / "raw",
            options=OPTS,
        )
    assert out.stored, out.issues
    return out


def _state(s) -> tuple[list[tuple[str, str, int, int, str]], dict[str, bool]]:
    rows = s.execute(
        select(
            Invoice.invoice_number,
            BankTransaction.booked_on,
            InvoicePayment.amount_yen,
            InvoicePayment.fee_yen,
            InvoicePayment.rule,
        )
        .join(Invoice, Invoice.id == InvoicePayment.invoice_id)
        .join(BankTransaction, BankTransaction.id == InvoicePayment.transaction_id)
        .order_by(BankTransaction.booked_on, Invoice.invoice_number)
    ).all()
    matches = [(n, on.isoformat(), a, f, r) for n, on, a, f, r in rows]
    paid = {n: p for n, p in s.execute(select(Invoice.invoice_number, Invoice.paid))}
    return matches, paid


def _stored_and_from_scratch(store, actor, business_id):
    """The stored state, and the state a from-scratch matching gives (rolled back)."""
    with store.session() as s:
        stored = _state(s)
    got = []
    with pytest.raises(_Rollback), store.session() as s:
        do_match_payments(s, actor, business_id)
        got.append(_state(s))
        raise _Rollback
    return stored, got[0]


def _last_rematch(store) -> dict:
    with store.session() as s:
        event = (
            s.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "match_payments")
                .order_by(AuditEvent.id.desc())
            )
            .scalars()
            .first()
        )
        assert event is not None
        return dict(json.loads(event.detail))


def test_each_import_equals_matching_from_scratch(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, _invoice("156", "2023-10-24"), "156.xml", tmp_path)
    _import(store, owner, bid, _invoice("157", "2023-11-10"), "157.xml", tmp_path)
    assert _last_rematch(store)["rematched_from"] == "2023-09-11"  # 11-10 less 60 days

    _import(store, owner, bid, FIRST, "nov.csv", tmp_path)
    stored, scratch = _stored_and_from_scratch(store, owner, bid)
    assert stored == scratch
    assert stored[0] == [
        ("156", "2023-11-30", 280_800, 440, "fee"),
        ("157", "2023-12-05", 100_000, 0, "partial"),  # no rest seen yet: oldest open first
    ]

    # an overlapping statement: its first two rows are already stored; the new ones from 12-20
    out = _import(store, owner, bid, OVERLAP, "dec.csv", tmp_path)
    assert out.added["bank_transaction"] == 2 and out.skipped["bank_transaction"] == 2
    assert _last_rematch(store)["rematched_from"] == "2023-10-21"  # 12-20 less 60 days
    stored, scratch = _stored_and_from_scratch(store, owner, bid)
    assert stored == scratch
    assert stored == (
        [
            ("156", "2023-11-30", 280_800, 440, "fee"),
            ("157", "2023-12-05", 100_000, 0, "partial"),
            ("157", "2023-12-20", 180_800, 440, "fee"),
        ],
        {"156": True, "157": True},
    )

    # an invoice dated before all of them, to a customer whose remitter name is kana
    kana = _invoice("158", "2023-10-20", buyer="サンカクコウギョウ株式会社")
    _import(store, owner, bid, kana, "158.xml", tmp_path)
    assert _last_rematch(store)["rematched_from"] == "2023-08-21"
    stored, scratch = _stored_and_from_scratch(store, owner, bid)
    assert stored == scratch
    assert stored[0][-1] == ("158", "2023-12-22", 281_240, 0, "exact")
    assert stored[1] == {"156": True, "157": True, "158": True}


def test_later_statement_leaves_earlier_matches_alone(store, world, tmp_path):
    """A statement months later re-matches only from 60 days before its first movement: the
    earlier rows are not rewritten (their ids and times stay)."""
    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, _invoice("156", "2023-10-24"), "156.xml", tmp_path)
    _import(store, owner, bid, FIRST, "nov.csv", tmp_path)
    with store.session() as s:
        before = s.execute(select(InvoicePayment.id, InvoicePayment.matched_at)).all()
    assert len(before) == 1  # 156 less a fee
    later = (HEAD + '2024/03/29,ﾌﾘｺﾐ ｻﾝｶｸｺｳｷﾞﾖｳ,,"5,000","386,800"\n').encode("cp932")
    out = _import(store, owner, bid, later, "mar.csv", tmp_path)
    assert out.matched is not None and out.matched["allocations"] == 1
    assert _last_rematch(store)["rematched_from"] == "2024-01-29"
    with store.session() as s:
        assert s.execute(select(InvoicePayment.id, InvoicePayment.matched_at)).all() == before
    stored, scratch = _stored_and_from_scratch(store, owner, bid)
    assert stored == scratch


def test_an_import_of_nothing_payable_rematches_nothing(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, _invoice("156", "2023-10-24"), "156.xml", tmp_path)
    _import(store, owner, bid, FIRST, "nov.csv", tmp_path)
    # money out only to the tax office: never pays an invoice
    tax = (HEAD + '2023/12/28,国税 源泉所得税,"10,000",,"371,800"\n').encode("cp932")
    _import(store, owner, bid, tax, "tax.csv", tmp_path)
    detail = _last_rematch(store)
    assert detail["rematched_from"] is None and detail["movements_rematched"] == 0
    assert detail["allocations"] == 1 and detail["invoices_paid"] == 1


def test_two_imports_at_once_end_as_from_scratch(store, world, tmp_path):
    """Two statements for one business imported at the same time: the second's matching waits
    for the first's unit of work (the row lock on PostgreSQL, the write lock on SQLite) and
    then sees its rows; the end state is the from-scratch one."""
    import threading

    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, _invoice("156", "2023-10-24"), "156.xml", tmp_path)
    _import(store, owner, bid, _invoice("157", "2023-11-10"), "157.xml", tmp_path)
    dec = (HEAD + DEC_20).encode("cp932")
    first_stored = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        first_stored.wait(10)
        try:
            _import(store, owner, bid, dec, "dec.csv", tmp_path)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    with store.session() as s:
        out = do_import_money(
            s,
            owner,
            business_id=bid,
            data=FIRST,
            filename="nov.csv",
            raw_dir=tmp_path / "raw",
            options=OPTS,
        )
        assert out.stored, out.issues
        first_stored.set()
        worker.join(0.5)  # the second waits for this unit of work to end
    worker.join(30)
    assert not worker.is_alive() and errors == []
    stored, scratch = _stored_and_from_scratch(store, owner, bid)
    assert stored == scratch
    assert stored[0] == [
        ("156", "2023-11-30", 280_800, 440, "fee"),
        ("157", "2023-12-05", 100_000, 0, "partial"),
        ("157", "2023-12-20", 180_800, 440, "fee"),
    ]


def test_an_invoice_held_by_the_unit_of_work_sees_it_paid(store, world, tmp_path):
    """The paid flags are written in one bulk UPDATE; an invoice object the unit of work
    already holds shows the new flag, also after the unit of work ends (the store keeps objects
    on commit, so nothing may be left expired)."""
    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, _invoice("156", "2023-10-24"), "156.xml", tmp_path)
    with store.session() as s:
        held = s.execute(select(Invoice)).scalar_one()
        assert held.paid is False
        out = do_import_money(
            s,
            owner,
            business_id=bid,
            data=FIRST,
            filename="nov.csv",
            raw_dir=tmp_path / "raw",
            options=OPTS,
        )
        assert out.stored and out.matched is not None and out.matched["invoices_paid"] == 1
        assert held.paid is True
    assert held.paid is True and held.invoice_number == "156"
