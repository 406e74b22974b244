"""Storing money files: atomic, idempotent, overlap-safe, consent-checked, audited, and about
this business."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kizashi.actions.bank import do_import_money
from kizashi.actions.consent import do_grant_consent
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.ingest.money import MoneyOptions
from kizashi.store.errors import NotFound
from kizashi.store.models import (
    AuditEvent,
    BankAccount,
    BankTransaction,
    Counterparty,
    Invoice,
    OpenItem,
    Submission,
)
from tests.ingest import zengin_builder as zb
from tests.world import make_world

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
PINT_MIN = (
    SAMPLES / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
).read_bytes()
TABLES = (BankAccount, BankTransaction, Counterparty, Invoice, OpenItem, Submission)
OPTS = MoneyOptions(today=date(2024, 5, 10))


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _import(store, actor, business_id, data, name, tmp_path, **kw):
    kw.setdefault("options", OPTS)
    with store.session() as s:
        return do_import_money(
            s,
            actor,
            business_id=business_id,
            data=data,
            filename=name,
            raw_dir=tmp_path / "raw",
            **kw,
        )


def _counts(store) -> dict[str, int]:
    with store.session() as s:
        return {
            t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in TABLES
        }


def _amounts(store, business_id: int) -> list[int]:
    with store.session() as s:
        return list(
            s.execute(
                select(BankTransaction.amount_yen)
                .where(BankTransaction.business_id == business_id)
                .order_by(BankTransaction.booked_on, BankTransaction.id)
            ).scalars()
        )


def _ours(invoice: bytes, corp: str = "7000012050002", *, seller: bool = True) -> bytes:
    """The JP PINT sample with the business as seller (or buyer)."""
    text = invoice.decode("utf-8")
    old = "1234567890123" if seller else "3210987654321"
    return text.replace(old, corp).encode("utf-8")


def test_statement_stored_then_duplicate_then_overlap(store, world, tmp_path):
    owner = world.actors["owner"]
    data = b"\n".join(zb.statement03())
    out = _import(store, owner, world.business.id, data, "meisai.txt", tmp_path)
    assert out.reason == "stored", out.issues
    assert out.added["bank_transaction"] == 4 and out.added["bank_account"] == 2
    assert any(i.code == "upload.party_unchecked" for i in out.issues)  # kana holder: warned
    again = _import(store, owner, world.business.id, data, "meisai.txt", tmp_path)
    assert again.duplicate and again.submission_id == out.submission_id
    # a later statement of the first account overlapping the first: April 25, 27 + May 1
    later = [
        zb.header03("060510", "060425", "060510", "1234567", "ｶ)ﾃｽﾄｺｳｷﾞﾖｳ", 1_500_000),
        zb.data03("00000002", "060425", "2", 300_000, memo="ｷﾕｳﾖ", trade="14"),
        zb.data03("00000003", "060427", "2", 120_000, memo="ﾔﾁﾝ", trade="14"),
        zb.data03("00000004", "060501", "1", 70_000, payer="ﾀﾅｶｼﾖｳﾃﾝ"),
        zb.trailer03(1, 70_000, 2, 420_000, 1_150_000, 3),
        zb.end03(5, 1),
    ]
    out2 = _import(store, owner, world.business.id, b"\r\n".join(later), "meisai2.txt", tmp_path)
    assert out2.reason == "stored", out2.issues
    assert (out2.added["bank_transaction"], out2.skipped["bank_transaction"]) == (1, 2)
    assert _amounts(store, world.business.id) == [500_000, -300_000, -120_000, -50_000, 70_000]
    with store.session() as s:
        events = (
            s.execute(select(AuditEvent).where(AuditEvent.action == "import_money")).scalars().all()
        )
        assert len(events) == 2 and all(e.business_id == world.business.id for e in events)


def test_two_identical_payments_on_one_day_stay_two(store, world, tmp_path):
    recs = [
        zb.header03("060430", "060401", "060430", "1111111", "ｶ)ﾃｽﾄ", 0),
        zb.data03("00000001", "060410", "1", 1_000, payer="ﾀﾅｶ"),
        zb.data03("00000002", "060410", "1", 1_000, payer="ﾀﾅｶ"),
        zb.trailer03(2, 2_000, 0, 0, 2_000, 2),
        zb.end03(5, 1),
    ]
    out = _import(store, world.actors["owner"], world.business.id, b"".join(recs), "x", tmp_path)
    assert out.added["bank_transaction"] == 2


def test_errors_store_nothing(store, world, tmp_path):
    before = _counts(store)
    recs = zb.statement03()
    recs[4] = zb.trailer03(1, 500_001, 2, 420_000, 1_080_000, 3)
    out = _import(store, world.actors["owner"], world.business.id, b"\n".join(recs), "b", tmp_path)
    assert out.reason == "errors" and not out.stored
    assert _counts(store) == before


def test_dry_run_stores_nothing(store, world, tmp_path):
    before = _counts(store)
    data = b"\n".join(zb.statement03())
    out = _import(
        store, world.actors["owner"], world.business.id, data, "m", tmp_path, dry_run=True
    )
    assert out.reason == "dry_run" and _counts(store) == before


def test_consent_categories_decide_who_may_submit(store, world, tmp_path):
    data = b"\n".join(zb.statement03())
    bank_a = world.actors["a_officer"]  # financials consent only
    before = _counts(store)
    with pytest.raises(NotFound):
        _import(store, bank_a, world.business.id, data, "m", tmp_path)
    with pytest.raises(NotFound):
        _import(store, world.actors["other_owner"], world.business.id, data, "m", tmp_path)
    assert _counts(store) == before
    with store.session() as s:
        refusals = (
            s.execute(
                select(AuditEvent).where(
                    AuditEvent.decision == "deny", AuditEvent.action == "upload"
                )
            )
            .scalars()
            .all()
        )
        assert {e.category for e in refusals} >= {"bank_transactions"}
    with store.session() as s:
        from kizashi.store.models import Business, Organisation

        biz = s.get(Business, world.business.id)
        org = s.get(Organisation, world.bank_a.id)
        do_grant_consent(
            s,
            world.actors["owner"],
            business=biz,
            grantee=org,
            categories=[Category.BANK_TRANSACTIONS],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 1, 1),
        )
    assert _import(store, bank_a, world.business.id, data, "m", tmp_path).stored
    with pytest.raises(NotFound):  # 口座 is not 請求書
        _import(store, bank_a, world.business.id, _ours(PINT_MIN), "inv.xml", tmp_path)


def test_invoice_direction_from_the_business_number(store, world, tmp_path):
    owner = world.actors["owner"]
    out = _import(store, owner, world.business.id, _ours(PINT_MIN), "issued.xml", tmp_path)
    assert out.reason == "stored" and out.directions == ["issued"], out.issues
    received = _ours(PINT_MIN, seller=False).replace(b"<cbc:ID>156<", b"<cbc:ID>157<")
    out2 = _import(store, owner, world.business.id, received, "received.xml", tmp_path)
    assert out2.directions == ["received"]
    with store.session() as s:
        rows = s.execute(select(Invoice).order_by(Invoice.id)).scalars().all()
        assert [(r.direction, r.total_yen, r.tax_yen) for r in rows] == [
            ("issued", 281_240, 25_250),
            ("received", 281_240, 25_250),
        ]
        seller = s.get(Counterparty, rows[1].counterparty_id)
        assert seller is not None and seller.registration_number == "T1234567890123"
    # the same invoice in a re-saved file (other bytes) is not stored twice
    resaved = _ours(PINT_MIN) + b"\n"
    out3 = _import(store, owner, world.business.id, resaved, "issued-again.xml", tmp_path)
    assert out3.stored and out3.skipped["invoice"] == 1 and out3.added["invoice"] == 0


def test_invoice_of_other_companies_is_refused_unless_confirmed(store, world, tmp_path):
    owner = world.actors["owner"]
    before = _counts(store)
    out = _import(store, owner, world.business.id, PINT_MIN, "theirs.xml", tmp_path)
    assert [i.code for i in out.errors] == ["invoice.not_this_business"]
    assert _counts(store) == before
    ok = _import(
        store, owner, world.business.id, PINT_MIN, "theirs.xml", tmp_path, direction="received"
    )
    assert ok.stored and ok.directions == ["received"]


def test_schedules_replace_their_side(store, world, tmp_path):
    owner = world.actors["owner"]
    first = "得意先,入金予定日,残高\nA商事,2024/05/31,100\nB商店,2024/06/30,200\n"
    second = "得意先,入金予定日,残高\nA商事,2024/06/30,50\n"
    payables = "仕入先,支払予定日,残高\nC製作所,2024/05/20,70\n"
    for text, name in ((first, "ar1.csv"), (payables, "ap.csv"), (second, "ar2.csv")):
        out = _import(store, owner, world.business.id, text.encode("cp932"), name, tmp_path)
        assert out.stored, out.issues
    with store.session() as s:
        rows = s.execute(
            select(OpenItem.side, OpenItem.amount_yen, OpenItem.due_date).order_by(OpenItem.side)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("payable", 70, date(2024, 5, 20)),
        ("receivable", 50, date(2024, 6, 30)),
    ]


def test_transfer_request_becomes_planned_payables(store, world, tmp_path):
    data = (SAMPLES / "bank" / "zengin" / "sample.txt").read_bytes()
    out = _import(
        store,
        world.actors["owner"],
        world.business.id,
        data,
        "sample.txt",
        tmp_path,
        options=MoneyOptions(today=date(2026, 2, 1)),
    )
    assert out.stored, out.issues
    with store.session() as s:
        rows = s.execute(select(OpenItem.source, OpenItem.amount_yen, OpenItem.due_date)).all()
    assert sorted(tuple(r) for r in rows) == [
        ("transfer_request", a, date(2026, 2, 24)) for a in (1, 2, 3)
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 10**5), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_files_store_all_or_nothing(store, world, tmp_path, edits):
    """Any mutation of a statement: stored whole, or refused with nothing written."""
    data = bytearray(b"\n".join(zb.statement03()))
    for kind, pos, byte in edits:
        p = pos % len(data)
        if kind == 0:
            data[p] = byte
        elif kind == 1:
            del data[p]
        else:
            data.insert(p, byte)
    before = _counts(store)
    out = _import(store, world.actors["owner"], world.business.id, bytes(data), "f.txt", tmp_path)
    after = _counts(store)
    if out.stored:
        assert after["submission"] == before["submission"] + 1
        assert (
            after["bank_transaction"] - before["bank_transaction"] == out.added["bank_transaction"]
        )
    else:
        assert after == before
        assert all(i.file == "f.txt" for i in out.errors)


def test_a_nul_byte_in_the_branch_code_stores_or_refuses_cleanly(store, world, tmp_path):
    """Found by the mutation test on PostgreSQL: a NUL in the account's branch code reached the
    account lookup (text columns cannot hold NUL there) and crashed the import."""
    recs = zb.statement03()
    header = bytearray(recs[0])
    header[41] = 0  # the branch code's first byte (columns 42–44)
    recs[0] = bytes(header)
    before = _counts(store)
    out = _import(
        store, world.actors["owner"], world.business.id, b"\n".join(recs), "n.txt", tmp_path
    )
    if out.stored:
        with store.session() as s:
            keys = list(s.execute(select(BankAccount.account_key)).scalars())
        assert all("\x00" not in k for k in keys)
    else:
        assert _counts(store) == before and all(i.file == "n.txt" for i in out.errors)
