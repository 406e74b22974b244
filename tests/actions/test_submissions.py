"""Storing imports: atomic, idempotent, versioned, confirmed once, access-checked, audited."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kizashi.access.reads import read_monthly_series
from kizashi.actions import submissions
from kizashi.actions.mappings import (
    do_confirm_account_mapping,
    do_save_column_mapping,
    load_confirmations,
)
from kizashi.actions.submissions import do_import_submission
from kizashi.store.errors import NotFound
from kizashi.store.models import (
    AccountMapping,
    AuditEvent,
    ColumnMappingPreset,
    Statement,
    StatementLine,
    Submission,
)
from kizashi.store.rawfiles import raw_path, read_raw_file
from tests.world import make_world

from .helpers import row_counts, stored_amounts

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "fixtures"
MF = (FIXTURES / "moneyforward.csv").read_bytes()


def tb(*months: tuple[str, list[tuple[str, int]]]) -> bytes:
    """A minimal 残高試算表: 月, 科目, 当月残高 (balances on each account's normal side)."""
    rows = ["月,科目,当月残高"]
    rows += [f"{m},{name},{v}" for m, accounts in months for name, v in accounts]
    return ("\n".join(rows) + "\n").encode("utf-8")


APRIL = ("2025-04", [("普通預金", 1000), ("資本金", 800), ("売上高", 500), ("仕入高", 300)])
MAY = ("2025-05", [("普通預金", 1500), ("資本金", 800), ("売上高", 1200), ("仕入高", 500)])
MAY_FIXED = ("2025-05", [("普通預金", 1600), ("資本金", 800), ("売上高", 1300), ("仕入高", 500)])


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _import(store, actor, business_id, files, tmp_path, **kw):
    with store.session() as s:
        return do_import_submission(
            s, actor, business_id=business_id, files=files, raw_dir=tmp_path / "raw", **kw
        )


def test_a_journal_is_stored_complete_and_traceable(store, world, tmp_path):
    owner = world.actors["owner"]
    out = _import(store, owner, world.business.id, [(MF, "仕訳帳.csv")], tmp_path)
    assert out.stored and out.reason == "stored" and out.source_format == "moneyforward"
    assert [(s.period_end, s.kind, s.version) for s in out.statements] == [
        (date(2025, 4, 30), "monthly_tb", 1),
        (date(2025, 5, 31), "monthly_tb", 1),
    ]
    with store.session() as s:
        stored = stored_amounts(s, owner, world.business.id)
        assert stored == {(m.period_end, 1): m.amounts for m in out.report.months}
        sub = s.get(Submission, out.submission_id)
        assert sub.raw_sha256 == out.raw_sha256 and sub.format == "moneyforward"
        assert sub.uploaded_by_user_id == owner.user_id and sub.filename == "仕訳帳.csv"
        report = json.loads(sub.report_json)
        assert report["months"][0]["amounts"]["sales"] == 330000 and report["accounts"]
        # one line per as-reported account, the name kept
        names = set(s.execute(select(StatementLine.as_reported_name)).scalars())
        assert {"普通預金", "売掛金", "売上高", "預り金"} <= names
        audit = s.execute(
            select(AuditEvent).where(AuditEvent.action == "import_submission")
        ).scalar_one()
        assert audit.object_id == str(out.submission_id) and audit.business_id == world.business.id
    assert read_raw_file(tmp_path / "raw", out.raw_sha256) == MF


def test_same_bytes_again_is_a_no_op_but_another_business_may_store_them(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    first = _import(store, owner, bid, [(MF, "a.csv")], tmp_path)
    with store.session() as s:
        before = row_counts(s)
    again = _import(store, owner, bid, [(MF, "renamed.csv")], tmp_path)
    assert again.duplicate and not again.stored and again.reason == "duplicate"
    assert again.submission_id == first.submission_id
    with store.session() as s:
        assert row_counts(s) == before
    other = _import(
        store, world.actors["other_owner"], world.other_business.id, [(MF, "a.csv")], tmp_path
    )
    assert other.stored and other.submission_id != first.submission_id
    with store.session() as s:
        after = row_counts(s)
    assert after["raw_file"] == before["raw_file"]  # content-addressed: the bytes once
    assert after["submission"] == before["submission"] + 1


def test_a_corrected_file_becomes_a_new_version_and_the_old_stays_readable(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    v1 = _import(store, owner, bid, [(tb(APRIL, MAY), "tb-2025-05.csv")], tmp_path)
    assert [s.version for s in v1.statements] == [1, 1]
    v2 = _import(store, owner, bid, [(tb(APRIL, MAY_FIXED), "tb-2025-05-fixed.csv")], tmp_path)
    assert v2.stored and v2.unchanged == [date(2025, 4, 30)]  # April: same figures, left alone
    [may] = v2.statements
    old_may = next(s for s in v1.statements if s.period_end == date(2025, 5, 31))
    assert (may.period_end, may.version, may.supersedes_id) == (date(2025, 5, 31), 2, old_may.id)
    assert [w.code for w in v2.report.warnings].count("period.stored") == 2
    with store.session() as s:
        old = s.get(Statement, old_may.id)
        assert old.superseded_by_id == may.id
        everything = stored_amounts(s, owner, bid, current=False)
        assert everything[(date(2025, 5, 31), 1)]["sales"] == 1200  # still readable
        current = stored_amounts(s, owner, bid)
        assert set(current) == {(date(2025, 4, 30), 1), (date(2025, 5, 31), 2)}
        assert current[(date(2025, 5, 31), 2)]["sales"] == 1300
        stored = json.loads(s.get(Submission, v2.submission_id).report_json)
        assert any(w["code"] == "period.stored" for w in stored["warnings"])
        # the readers see the current version: May's own sales flow is 1,300 − 500
        series = read_monthly_series(s, owner, bid, months=2)
    assert [p.values["sales"] for p in series] == [500, 800]
    v3 = _import(store, owner, bid, [(tb(MAY_FIXED), "only-may.csv")], tmp_path)
    assert v3.stored and v3.statements == [] and v3.unchanged == [date(2025, 5, 31)]


def test_errors_store_nothing(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    unbalanced = tb(("2025-04", [("普通預金", 1000), ("資本金", 900)]))
    for files in (
        [(unbalanced, "tb.csv")],
        [(MF, "ok.csv"), (unbalanced, "bad.csv")],  # one bad file spoils the upload
        [(b"", "empty.csv")],
        [(MF, "big.csv")],
    ):
        out = _import(
            store,
            owner,
            bid,
            files,
            tmp_path,
            max_bytes=len(MF) - 1 if files[0][1] == "big.csv" else 10**7,
        )
        assert not out.stored and out.reason == "errors" and out.report.errors
    assert (
        _import(store, owner, bid, [(MF, "big.csv")], tmp_path, max_bytes=10)
        .report.errors[0]
        .message.startswith("big.csv: ")
    )
    with store.session() as s:
        assert set(row_counts(s).values()) == {0}
    assert not (tmp_path / "raw").exists()


def test_a_failure_half_way_leaves_no_rows(store, world, tmp_path, monkeypatch):
    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, [(tb(APRIL, MAY), "v1.csv")], tmp_path)
    with store.session() as s:
        before = row_counts(s)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(submissions, "audit_write", boom)  # the very last step of the write
    with pytest.raises(RuntimeError):
        _import(store, owner, bid, [(tb(APRIL, MAY_FIXED), "v2.csv")], tmp_path)
    with store.session() as s:
        assert row_counts(s) == before
        assert s.execute(select(Statement.superseded_by_id)).scalars().all() == [None, None]


def test_a_dry_run_plans_but_stores_nothing(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    _import(store, owner, bid, [(tb(APRIL, MAY), "v1.csv")], tmp_path)
    with store.session() as s:
        before = row_counts(s)
    out = _import(store, owner, bid, [(tb(APRIL, MAY_FIXED), "v2.csv")], tmp_path, dry_run=True)
    assert out.reason == "dry_run" and out.ok and not out.stored
    assert [(s.version, s.id) for s in out.statements] == [(2, None)]
    assert out.superseded and out.unchanged == [date(2025, 4, 30)]
    with store.session() as s:
        assert row_counts(s) == before


def test_a_confirmation_is_remembered_per_business_and_source(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    data = tb(("2025-04", [("普通預金", 1000), ("資本金", 800), ("謎の勘定", 200)]))
    first = _import(store, owner, bid, [(data, "tb.csv")], tmp_path)
    assert not first.stored and [m.account for m in first.needs_confirmation] == ["謎の勘定"]
    with store.session() as s:
        assert set(row_counts(s).values()) == {0}
        do_confirm_account_mapping(s, owner, bid, "moneyforward", "謎の勘定", "misc_income")
    # confirmed for another source format only: still asked
    assert _import(store, owner, bid, [(data, "tb.csv")], tmp_path).needs_confirmation
    with store.session() as s:
        do_confirm_account_mapping(s, owner, bid, "table", "謎の勘定", "retained_earnings")
    again = _import(store, owner, bid, [(data, "tb.csv")], tmp_path)
    assert again.stored and not again.needs_confirmation
    m = next(m for m in again.report.mapping if m.account == "謎の勘定")
    assert (m.code, m.method) == ("retained_earnings", "confirmed")
    # a later month with the same account is not asked about either
    later = _import(
        store,
        owner,
        bid,
        [(tb(("2025-05", [("普通預金", 1000), ("資本金", 800), ("謎の勘定", 200)])), "b.csv")],
        tmp_path,
    )
    assert later.stored and not later.needs_confirmation
    # another business is asked again
    other = _import(
        store, world.actors["other_owner"], world.other_business.id, [(data, "tb.csv")], tmp_path
    )
    assert [m.account for m in other.needs_confirmation] == ["謎の勘定"]
    with store.session() as s:
        remembered = {"謎の勘定": "retained_earnings", "謎の": "retained_earnings"}  # + its key
        assert load_confirmations(s, bid)["table"] == remembered
        row = s.execute(
            select(AccountMapping).where(AccountMapping.source_format == "table")
        ).scalar_one()
        assert row.confirmed_by_user_id == owner.user_id
        audit = s.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "confirm_account_mapping")
            .order_by(AuditEvent.id.desc())
        ).first()[0]
        assert (
            audit.business_id == bid
            and json.loads(audit.detail)["item_code"] == "retained_earnings"
        )


def test_a_low_confidence_mapping_blocks_until_confirmed(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    data = tb(("2025-04", [("普通預金", 1000), ("資本金", 800), ("販促費", 200), ("売上高", 400)]))
    out = _import(store, owner, bid, [(data, "tb.csv")], tmp_path)
    assert out.reason == "needs_confirmation" and not out.report.errors
    assert [(m.account, m.code) for m in out.needs_confirmation] == [("販促費", "advertising")]
    with store.session() as s:
        assert set(row_counts(s).values()) == {0}
        do_confirm_account_mapping(s, owner, bid, "table", "販促費", "advertising")
    assert _import(store, owner, bid, [(data, "tb.csv")], tmp_path).stored


def test_confirmation_is_checked(store, world):
    owner, bid = world.actors["owner"], world.business.id
    with store.session() as s:
        for fmt, name, code in (
            ("table", "x", "no_such_item"),
            ("table", "x", "current_assets"),  # a sum, not a leaf
            ("no_such_format", "x", "sales"),
            ("table", "  ", "sales"),
        ):
            with pytest.raises(ValueError):
                do_confirm_account_mapping(s, owner, bid, fmt, name, code)
    with pytest.raises(NotFound), store.session() as s:
        do_confirm_account_mapping(s, world.actors["b_officer"], bid, "table", "x", "sales")
    with store.session() as s:
        assert s.execute(select(AccountMapping)).first() is None


@pytest.mark.parametrize("login", ["b_officer", "other_owner", "a_admin", "a_auditor"])
def test_who_may_not_submit_gets_not_found_and_nothing_changes(store, world, tmp_path, login):
    with pytest.raises(NotFound):
        _import(store, world.actors[login], world.business.id, [(MF, "mf.csv")], tmp_path)
    with pytest.raises(NotFound):
        _import(store, world.actors["owner"], 999_999, [(MF, "mf.csv")], tmp_path)
    with store.session() as s:
        assert set(row_counts(s).values()) == {0}
        denials = s.execute(
            select(AuditEvent.business_id).where(
                AuditEvent.action == "upload", AuditEvent.decision == "deny"
            )
        ).all()
    assert denials == [(world.business.id,), (999_999,)]
    assert not (tmp_path / "raw").exists()


def test_an_accountant_with_consent_uploads_on_behalf(store, world, tmp_path):
    out = _import(store, world.actors["a_officer"], world.business.id, [(MF, "mf.csv")], tmp_path)
    assert out.stored
    with store.session() as s:
        sub = s.get(Submission, out.submission_id)
        assert sub.uploaded_by_org_id == world.bank_a.id


def test_an_opening_balance_and_a_journal_are_one_submission(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    opening = (FIXTURES / "opening.csv").read_bytes()
    files = [(opening, "開始残高.csv"), (MF, "仕訳帳.csv")]
    out = _import(store, owner, bid, files, tmp_path)
    assert out.stored and out.source_format == "moneyforward"
    manifest = read_raw_file(tmp_path / "raw", out.raw_sha256)
    assert [f["filename"] for f in json.loads(manifest)["files"]] == ["開始残高.csv", "仕訳帳.csv"]
    assert raw_path(tmp_path / "raw", out.report.sources[0].sha256).exists()
    assert _import(store, owner, bid, files, tmp_path).duplicate
    assert not _import(store, owner, bid, files[::-1], tmp_path).duplicate


def test_a_statement_is_stored_as_annual(store, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    data = (FIXTURES / "statement.csv").read_bytes()
    out = _import(store, owner, bid, [(data, "決算書.csv")], tmp_path)
    assert out.stored and [(s.kind, s.period_end) for s in out.statements] == [
        ("annual", date(2025, 3, 31))
    ]
    with store.session() as s:
        [(_key, amounts)] = stored_amounts(s, owner, bid).items()
        assert amounts == out.report.months[0].amounts
        lines = {
            (ln.item_code, ln.as_reported_name): ln.amount
            for ln in s.execute(select(StatementLine)).scalars()
        }
    # the △ contra item is positive on its own line; the year's profit is taken out of
    # 繰越利益剰余金 by a line without an as-reported name
    assert lines[("accumulated_depreciation", "減価償却累計額")] == 200_000
    assert lines[("retained_earnings", "繰越利益剰余金")] == 400_000
    assert lines[("retained_earnings", "")] == -300_000
    mixed = _import(store, owner, bid, [(data, "決算書.csv"), (MF, "mf.csv")], tmp_path)
    assert "upload.mixed_kinds" in [e.code for e in mixed.report.errors] and not mixed.stored


def test_column_mapping_presets(store, world, tmp_path):
    a_officer = world.actors["a_officer"]
    layout = "科目名称,期末金額\n普通預金,1000\n資本金,1000\n".encode()
    preset = {
        "account": "科目名称",
        "closing": "期末金額",
        "header_row": 1,
        "kind": "trial_balance",
        "period_end": "2025-04-30",
    }
    with store.session() as s:
        do_save_column_mapping(s, a_officer, world.bank_a.id, "ある事務所の様式", preset)
        with pytest.raises(ValueError):
            do_save_column_mapping(s, a_officer, world.bank_a.id, "bad", {"acount": "科目"})
        with pytest.raises(PermissionError):
            do_save_column_mapping(s, a_officer, world.bank_b.id, "x", preset)
    out = _import(
        store,
        a_officer,
        world.business.id,
        [(layout, "tb.csv")],
        tmp_path,
        column_mapping="ある事務所の様式",
    )
    assert out.stored, out.report.errors
    assert out.report.months[0].amounts == {"cash_and_deposits": 1000, "capital_stock": 1000}
    missing = _import(
        store,
        a_officer,
        world.business.id,
        [(layout, "tb2.csv")],
        tmp_path,
        column_mapping="no such preset",
    )
    assert missing.report.errors[0].code == "upload.rejected"
    with store.session() as s:
        row = s.execute(select(ColumnMappingPreset)).scalar_one()
        assert json.loads(row.mapping_json) == preset
        assert (
            s.execute(
                select(AuditEvent).where(AuditEvent.action == "save_column_mapping")
            ).scalar_one()
            is not None
        )


def _mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, pos, byte in ops:
        if not out:
            break
        i = pos % len(out)
        if kind == 0:
            out[i] = byte
        elif kind == 1:
            del out[i]
        else:
            out.insert(i, byte)
    return bytes(out)


SAMPLES = [
    (FIXTURES / n).read_bytes() for n in ("moneyforward.csv", "yayoi.csv", "trial_balance.csv")
]
uploads = st.one_of(
    st.binary(max_size=400),
    st.builds(
        _mutate,
        st.sampled_from(SAMPLES),
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 255)), max_size=6
        ),
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=uploads, name=st.sampled_from(["x.csv", "x.xlsx", "x.txt"]))
def test_any_bytes_are_stored_complete_or_not_at_all(store, world, tmp_path, data, name):
    owner, bid = world.actors["owner"], world.business.id
    with store.session() as s:
        before = row_counts(s)
    out = _import(store, owner, bid, [(data, name)], tmp_path)
    event(out.reason)
    with store.session() as s:
        after = row_counts(s)
        if not out.stored:
            assert after == before
            return
        assert after["submission"] == before["submission"] + 1
        assert after["statement"] == before["statement"] + len(out.statements)
        expected = {m.period_end: m.amounts for m in out.report.months}
        for created in out.statements:
            st_row = s.get(Statement, created.id)
            sums: dict[str, int] = {}
            for line in st_row.lines:
                sums[line.item_code] = sums.get(line.item_code, 0) + line.amount
            assert {k: v for k, v in sums.items() if v} == expected[created.period_end]
