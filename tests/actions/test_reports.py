"""Reports on a business: figures exact to the yen on a hand-made plan and trial balances,
sent only to the organisations chosen among those the business consented to, read by the
owner, refused (and audited) to everyone else; a cadence makes the next draft (the reminder)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.reports import due_reports, list_reports, read_report
from kizashi.actions.consent import do_grant_consent, do_revoke_consent
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.actions.plans import do_add_plan, do_import_plan
from kizashi.actions.reports import (
    ReportChange,
    do_acknowledge_report,
    do_create_report,
    do_send_report,
    do_update_report,
    do_withdraw_report,
)
from kizashi.actions.submissions import do_import_submission
from kizashi.domain.plans import PlanKind
from kizashi.domain.reports import ReportCadence, ReportKind
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, Business, ConsentGrant
from tests.world import SYSTEM, make_world

M = Purpose.MONITORING

# cumulative trial balances from the fiscal year's start (April): month, sales, purchases,
# salaries, long-term borrowings — cash balances the sheet. FY2024 Q1 (last year) and FY2025 Q1.
CUMULATIVE = [
    ("2024-04", 900_000, 500_000, 300_000, 5_500_000),
    ("2024-05", 1_700_000, 1_000_000, 600_000, 5_400_000),
    ("2024-06", 2_500_000, 1_500_000, 900_000, 5_300_000),
    ("2025-04", 1_000_000, 600_000, 300_000, 5_000_000),
    ("2025-05", 1_800_000, 1_100_000, 600_000, 4_900_000),
    ("2025-06", 2_650_000, 1_600_000, 900_000, 4_800_000),
]
PLAN_CSV = (
    "年月,売上高,売上総利益,営業利益,現預金,借入金\n"
    + "".join(f"2025-{m:02d},1000000,400000,100000,6000000,4800000\n" for m in range(4, 10))
).encode("utf-8")


def tb(rows) -> bytes:
    out = ["月,科目,当月残高"]
    for month, sales, purchases, salaries, loans in rows:
        cash = 1_000_000 + loans + sales - purchases - salaries
        out += [
            f"{month},普通預金,{cash}",
            f"{month},仕入高,{purchases}",
            f"{month},給料手当,{salaries}",
            f"{month},資本金,1000000",
            f"{month},長期借入金,{loans}",
            f"{month},売上高,{sales}",
        ]
    return ("\n".join(out) + "\n").encode("utf-8")


@pytest.fixture
def world(store, tmp_path):
    with store.session() as s:
        w = make_world(s)
        firm = do_add_organisation(
            s, SYSTEM, kind=OrgKind.SUPPORTER, name="みなと会計事務所", code="acct"
        )
        acct = do_add_user(
            s,
            SYSTEM,
            org=firm,
            login="acct_officer",
            password="password123",
            display_name="税理士",
            role=Role.OFFICER,
        )
        business = s.get(Business, w.business.id)
        do_grant_consent(
            s,
            w.actors["owner"],
            business=business,
            grantee=firm,
            categories=[Category.FINANCIALS],
            purpose=M,
            valid_from=date(2026, 4, 1),
        )
        w.actors["acct"] = Actor.from_user(acct)
        w.acct_org_id = firm.id
    owner = w.actors["owner"]
    with store.session() as s:
        out = do_import_submission(
            s,
            owner,
            business_id=w.business.id,
            files=[(tb(CUMULATIVE), "tb.csv")],
            raw_dir=tmp_path / "raw",
        )
        assert out.stored, out.reason
        plan = do_add_plan(s, owner, w.business.id, kind=PlanKind.BUSINESS, title="事業計画")
        do_import_plan(s, owner, plan.id, PLAN_CSV, "計画.csv")
        w.plan_id = plan.id
    return w


def _create(store, w, **kw):
    args = dict(
        kind=ReportKind.MONITORING,
        period_to=date(2025, 6, 1),
        purpose=M,
        cadence=ReportCadence.QUARTERLY,
        plan_id=w.plan_id,
        recipients=[w.bank_a.id],
        comment="売上は計画を下回るが、粗利率は改善",
    )
    args.update(kw)
    with store.session() as s:
        return do_create_report(s, w.actors["acct"], w.business.id, **args).id


def test_figures_are_exact_to_the_yen(store, world):
    rid = _create(store, world)
    with store.session() as s:
        d = read_report(s, world.actors["acct"], rid, M)
    f = {x.item: x for x in d.figures}
    # by hand, Apr–Jun 2025 against the plan (1,000,000 sales a month …) and Apr–Jun 2024
    assert (f["sales"].plan, f["sales"].actual, f["sales"].last_year) == (
        3_000_000,
        2_650_000,
        2_500_000,
    )
    assert (f["sales"].deviation, f["sales"].change) == (-350_000, 150_000)
    assert (f["gross_profit"].plan, f["gross_profit"].actual) == (1_200_000, 1_050_000)
    assert f["gross_profit"].last_year == 1_000_000
    assert (f["operating_profit"].actual, f["operating_profit"].deviation) == (150_000, -150_000)
    assert f["operating_profit"].last_year == 100_000
    # balances at the end of June: cash 1,000,000 + 4,800,000 + 2,650,000 − 1,600,000 − 900,000
    assert (f["cash"].plan, f["cash"].actual, f["cash"].last_year) == (
        6_000_000,
        5_950_000,
        6_400_000,
    )
    assert (f["borrowings"].actual, f["borrowings"].deviation) == (4_800_000, 0)
    assert f["borrowings"].last_year == 5_300_000
    assert all(isinstance(x.actual, int) for x in d.figures)
    # the trial balances were delivered long after each month's deadline: three late months
    assert (d.timeliness.on_time, d.timeliness.late, d.timeliness.missing) == (0, 3, 0)
    assert d.row.title == "税理士によるモニタリング報告書 2025年4月〜2025年6月"
    assert d.row.due_on == date(2025, 7, 30) and d.plan_version == 1


def test_only_chosen_organisations_read_it_once_sent(store, world):
    w = world
    rid = _create(store, w)
    bank_a, cgc = w.actors["a_officer"], w.actors["cgc_officer"]
    with pytest.raises(NotFound), store.session() as s:  # a draft: not even the chosen bank
        read_report(s, bank_a, rid, M)
    with store.session() as s:
        report, successor = do_send_report(s, w.actors["acct"], rid, purpose=M)
        assert report.status == "sent" and successor is not None
        next_id = successor.id
    with store.session() as s:
        got = read_report(s, bank_a, rid, M)
        assert got.mode == "recipient" and got.comment == "売上は計画を下回るが、粗利率は改善"
        assert [r.org_name for r in got.recipients] == ["A銀行"]
        assert read_report(s, w.actors["owner"], rid, M).mode == "owner"
        assert [r.id for r in list_reports(s, bank_a, M)] == [rid]  # not the next draft
        assert list_reports(s, cgc, M) == []
    # the guarantor holds a financials consent but was not chosen; others hold nothing
    for who in ("cgc_officer", "b_officer", "other_owner", "a_admin"):
        with store.session() as s:
            before = s.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()[0]
        with pytest.raises(NotFound), store.session() as s:
            read_report(s, w.actors[who], rid, M)
        with store.session() as s:
            denied = (
                s.execute(
                    select(AuditEvent).where(AuditEvent.id > before, AuditEvent.decision == "deny")
                )
                .scalars()
                .all()
            )
            assert [d.business_id for d in denied] == [w.business.id], who
    # the bank acknowledges; then the business revokes its consent: the bank reads it no more
    with store.session() as s:
        assert do_acknowledge_report(s, bank_a, rid, purpose=M).status == "acknowledged"
    with store.session() as s:
        for g in s.execute(
            select(ConsentGrant).where(ConsentGrant.grantee_org_id == w.bank_a.id)
        ).scalars():
            do_revoke_consent(s, w.actors["owner"], grant=g)
    with pytest.raises(NotFound), store.session() as s:
        read_report(s, bank_a, rid, M)
    with store.session() as s:
        assert list_reports(s, bank_a, M) == []
        assert next_id != rid


def test_recipients_need_the_business_consent_and_kinds_their_author(store, world):
    w = world
    with pytest.raises(ValueError, match="B信用金庫"), store.session() as s:
        do_create_report(
            s,
            w.actors["acct"],
            w.business.id,
            kind=ReportKind.MONITORING,
            period_to=date(2025, 6, 1),
            purpose=M,
            recipients=[w.bank_b.id],
        )
    with pytest.raises(ValueError, match="税理士等"), store.session() as s:
        do_create_report(
            s,
            w.actors["a_officer"],
            w.business.id,
            kind=ReportKind.MONITORING,
            period_to=date(2025, 6, 1),
            purpose=M,
        )
    with pytest.raises(ValueError, match="24か月まで"), store.session() as s:
        do_create_report(
            s,
            w.actors["acct"],
            w.business.id,
            kind=ReportKind.MONITORING,
            period_from=date(2023, 1, 1),
            period_to=date(2025, 6, 1),
            purpose=M,
        )
    # the bank without the business's financials consent writes nothing (refused, audited)
    with pytest.raises(NotFound), store.session() as s:
        do_create_report(
            s,
            w.actors["b_officer"],
            w.business.id,
            kind=ReportKind.PROGRESS,
            period_to=date(2025, 6, 1),
            purpose=M,
        )
    # the owner's own progress report to the bank
    with store.session() as s:
        r = do_create_report(
            s,
            w.actors["owner"],
            w.business.id,
            kind=ReportKind.PROGRESS,
            period_to=date(2025, 6, 1),
            purpose=M,
            recipients=[w.bank_a.id],
            plan_id=w.plan_id,
        )
        assert r.author_org_id != w.bank_a.id
        rid = r.id
    with pytest.raises(NotFound), store.session() as s:  # only its author changes it
        do_update_report(s, w.actors["acct"], rid, ReportChange(comment="x"), purpose=M)
    with store.session() as s:
        do_update_report(s, w.actors["owner"], rid, ReportChange(comment="順調"), purpose=M)
        assert read_report(s, w.actors["owner"], rid, M).comment == "順調"
        do_withdraw_report(s, w.actors["owner"], rid, purpose=M)
    with pytest.raises(ValueError), store.session() as s:
        do_send_report(s, w.actors["owner"], rid, purpose=M)


def test_a_cadence_makes_the_next_draft_a_due_reminder(store, world):
    w = world
    rid = _create(store, w)
    with store.session() as s:
        _, nxt = do_send_report(s, w.actors["acct"], rid, purpose=M)
        assert nxt is not None
        assert (nxt.period_from, nxt.period_to) == (date(2025, 7, 1), date(2025, 9, 1))
        assert nxt.due_on == date(2025, 10, 30) and nxt.previous_id == rid
    with store.session() as s:
        due = due_reports(s, w.actors["acct"], today=date(2025, 10, 20))
        assert [(d.report_id, d.due_on, d.overdue) for d in due] == [
            (nxt.id, date(2025, 10, 30), False)
        ]
        assert due_reports(s, w.actors["acct"], today=date(2025, 10, 1)) == []
        assert due_reports(s, w.actors["a_officer"], today=date(2025, 10, 20)) == []
        later = due_reports(s, w.actors["acct"], today=date(2025, 11, 2))
        assert [d.overdue for d in later] == [True]


def test_the_bank_reports_yearly_to_the_guarantor(store, world):
    """経営力強化保証: the bank's yearly progress report to the 保証協会 (both hold the business's
    financials consent); months without a trial balance are unknown, never zero."""
    w = world
    with store.session() as s:
        r = do_create_report(
            s,
            w.actors["a_officer"],
            w.business.id,
            kind=ReportKind.PROGRESS,
            period_to=date(2025, 6, 1),
            purpose=M,
            cadence=ReportCadence.YEARLY,
            plan_id=w.plan_id,
            recipients=[w.guarantor.id],
        )
        assert (r.period_from, r.period_to) == (date(2024, 7, 1), date(2025, 6, 1))
        _, nxt = do_send_report(s, w.actors["a_officer"], r.id, purpose=M)
        assert nxt is not None and (nxt.period_from, nxt.period_to) == (
            date(2025, 7, 1),
            date(2026, 6, 1),
        )
        rid = r.id
    with store.session() as s:
        d = read_report(s, w.actors["cgc_officer"], rid, M)
    f = {x.item: x for x in d.figures}
    assert d.mode == "recipient" and d.row.author_org_name == "A銀行"
    assert f["sales"].actual is None and f["sales"].plan is None  # July–March: no figures
    assert (f["cash"].actual, f["borrowings"].actual) == (5_950_000, 4_800_000)
    # April–June 2025 delivered (late); July 2024–March 2025 never delivered: missing
    assert (d.timeliness.on_time, d.timeliness.late, d.timeliness.missing) == (0, 3, 9)
