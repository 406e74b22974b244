"""The demo set-up: institutions, logins, a synthetic portfolio stored as real trial balances."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import func, select

from kizashi.access import Actor, accessible_business_ids
from kizashi.domain.statements import TrialBalance, monthly_rows
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.jobs.demo import build_demo, demo_logins
from kizashi.store.audit import verify_chain
from kizashi.store.models import AuditEvent, Business, ConsentGrant, Statement, StatementLine, User
from kizashi.synth import generate

N = 40


@pytest.fixture
def demo(store, settings):
    summary = build_demo(store, settings, businesses=N, seed=7)
    return summary


def test_demo_has_institutions_logins_and_portfolio(store, demo):
    assert demo.businesses == N
    logins = {d.login for d in demo_logins(store)}
    assert {
        "hosho",
        "bank1",
        "bank2",
        "bank3",
        "zeirishi1",
        "zeirishi2",
        "kasseika",
        "owner1",
    } <= logins
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(Business)).scalar_one() == N
        assert (
            s.execute(select(func.count()).select_from(ConsentGrant)).scalar_one()
            == demo.consents
            > 0
        )
        assert verify_chain(s)[1] == []
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() > 0


def test_consents_make_sense(store, demo):
    """The guarantor sees only consenting guaranteed borrowers: some, not all."""
    with store.session() as s:
        hosho = s.execute(select(User).where(User.login == "hosho")).scalar_one()
        actor = Actor.from_user(hosho)
        visible = set(
            s.execute(
                accessible_business_ids(
                    actor, Category.FINANCIALS, Purpose.MONITORING, date(2026, 9, 30)
                )
            ).scalars()
        )
    assert 0 < len(visible) < N


def test_stored_trial_balances_reproduce_the_synthetic_panel(store, demo):
    """Cumulative statements in the store → monthly flows equal the generator's panel exactly."""
    panel = next(generate(N, seed=7, chunk_size=N)).panel.to_pylist()
    with store.session() as s:
        rows = s.execute(
            select(
                Statement.business_id,
                Statement.period_end,
                Statement.fiscal_year_start,
                StatementLine.item_code,
                StatementLine.amount,
            )
            .join(StatementLine, StatementLine.statement_id == Statement.id)
            .where(Statement.version == 1)  # as loaded (the demo corrects one month later)
        ).all()
        synth_to_db = dict(
            zip(
                range(1, N + 1),
                s.execute(select(Business.id).order_by(Business.id)).scalars(),
                strict=True,
            )
        )
    tbs: dict[int, dict[date, dict]] = defaultdict(lambda: defaultdict(dict))
    fy: dict[tuple[int, date], date] = {}
    for bid, end, fys, code, amount in rows:
        month = end.replace(day=1)
        tbs[bid][month][code] = amount
        fy[(bid, month)] = fys
    checked = 0
    by_business = defaultdict(list)
    for r in panel:
        by_business[r["business_id"]].append(r)
    for synth_id, prows in by_business.items():
        bid = synth_to_db[synth_id]
        stored = {
            m.month: m.amounts
            for m in monthly_rows([TrialBalance(m, fy[(bid, m)], a) for m, a in tbs[bid].items()])
        }
        for r in prows:
            got = stored[r["month"]]
            for code in (
                "sales",
                "salaries",
                "cash_and_deposits",
                "retained_earnings",
                "long_term_borrowings",
            ):
                assert got[code] == r[code], (synth_id, r["month"], code)
                checked += 1
    assert checked > N * 36 * 5 * 0.9
