"""Monitoring over the store: incremental panel, idempotent runs, flags with carried-over state."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from kizashi.access import Actor
from kizashi.access.monitoring import read_flags, read_indicators
from kizashi.actions.flags import do_change_flag_state
from kizashi.domain.vocabulary import FlagState, Purpose, StatementKind
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.jobs.panel_sync import read_panel, sync_panel
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, Flag, MonitoringSummary, Statement, StatementLine, User

from ..demo_cache import monitored_demo

M = Purpose.MONITORING
AS_OF = date(2026, 9, 30)


def _actor(store, login: str) -> Actor:
    with store.session() as s:
        return Actor.from_user(s.execute(select(User).where(User.login == login)).scalar_one())


def _response_state(s, flag_id: int, actor: Actor) -> FlagState:
    """The actor's organisation's state of a flag (新規 before it answered)."""
    from kizashi.store.models import FlagResponse

    state = s.execute(
        select(FlagResponse.state).where(
            FlagResponse.flag_id == flag_id, FlagResponse.org_id == actor.org_id
        )
    ).scalar_one_or_none()
    return FlagState(state) if state is not None else FlagState.NEW


@pytest.fixture
def monitored(store, settings):
    return monitored_demo(store, settings, businesses=40, seed=11)


def test_run_raises_flags_and_is_idempotent(store, settings, monitored):
    assert monitored and monitored[0].businesses == 40
    with store.session() as s:
        before = s.execute(
            select(Flag.id, Flag.rule_id, Flag.opened_month, Flag.is_open, Flag.state).order_by(
                Flag.id
            )
        ).all()
        summaries = s.execute(select(func.count()).select_from(MonitoringSummary)).scalar_one()
    assert before, "the synthetic portfolio has distressed businesses: some flags must open"
    assert summaries == 40
    again = run_monitoring_job(store, settings)
    assert again[0].flags_opened == 0 and again[0].flags_closed == 0
    with store.session() as s:
        after = s.execute(
            select(Flag.id, Flag.rule_id, Flag.opened_month, Flag.is_open, Flag.state).order_by(
                Flag.id
            )
        ).all()
    assert after == before


def test_a_persisting_condition_is_one_flag(store, monitored):
    with store.session() as s:
        dupes = s.execute(
            select(Flag.business_id, Flag.rule_id, func.count())
            .where(Flag.is_open.is_(True))
            .group_by(Flag.business_id, Flag.rule_id)
            .having(func.count() > 1)
        ).all()
    assert dupes == []


def test_workflow_state_survives_a_rerun(store, settings, monitored):
    officer = _actor(store, "hosho")
    with store.session() as s:
        visible = [f for f in s.execute(select(Flag).where(Flag.is_open.is_(True))).scalars()]
    changed = None
    for f in visible:
        try:
            with store.session() as s:
                do_change_flag_state(
                    s, officer, flag_id=f.id, state=FlagState.IN_PROGRESS, purpose=M, today=AS_OF
                )
            changed = f.id
            break
        except NotFound:
            continue
    assert changed is not None
    run_monitoring_job(store, settings)
    with store.session() as s:  # the guarantor's own response keeps its state
        assert _response_state(s, changed, officer) == FlagState.IN_PROGRESS
        with pytest.raises(ValueError, match="理由"):
            do_change_flag_state(
                s, officer, flag_id=changed, state=FlagState.NOT_NEEDED, purpose=M, today=AS_OF
            )


def test_flags_are_read_only_under_consent(store, monitored):
    with store.session() as s:
        flagged = (
            s.execute(select(Flag.business_id).where(Flag.is_open.is_(True))).scalars().first()
        )
    owner_login = None
    with store.session() as s:
        biz = s.get(Business, flagged)
        owner = s.execute(select(User).where(User.org_id == biz.org_id)).scalar_one_or_none()
        owner_login = owner.login if owner else None
    readers = 0
    for login in (
        "hosho",
        "bank1",
        "bank2",
        "bank3",
        "zeirishi1",
        "zeirishi2",
        "kasseika",
        "hosho-admin",
    ):
        actor = _actor(store, login)
        try:
            with store.session() as s:
                views = read_flags(s, actor, flagged, M, today=AS_OF)
            readers += 1
            assert views and all(v.explanation["ja"] and v.next_step["ja"] for v in views)
        except NotFound:
            pass
    assert 0 < readers < 8  # some institutions have consent, the admin and the council never do
    with pytest.raises(NotFound), store.session() as s:
        read_flags(s, _actor(store, "hosho-admin"), flagged, M, today=AS_OF)
    if owner_login:
        with store.session() as s:
            assert read_flags(s, _actor(store, owner_login), flagged, M, today=AS_OF)


def test_indicators_with_peer_band(store, settings, monitored):
    officer = _actor(store, "hosho")
    with store.session() as s:
        ids = s.execute(select(Business.id).order_by(Business.id)).scalars().all()
    for bid in ids:
        try:
            with store.session() as s:
                view = read_indicators(s, officer, settings.data_dir, bid, M, today=AS_OF)
        except NotFound:
            continue
        assert view.as_of == date(2026, 9, 30)  # the as-of month's end
        names = {v.id for v in view.values}
        assert {"sales_growth", "operating_margin", "equity_ratio", "liquidity_months"} <= names
        band = [v for v in view.values if v.peer_median is not None]
        assert band and all(v.peer_p25 <= v.peer_median <= v.peer_p75 for v in band)
        return
    pytest.fail("the guarantor sees no business")


def _tb(s, business_id: int, month: date, amounts: dict[str, int], version: int = 1) -> Statement:
    from kizashi.domain.periods import month_end

    st = Statement(
        business_id=business_id,
        kind=StatementKind.MONTHLY_TB,
        fiscal_year_start=date(2026, 4, 1),
        period_start=date(2026, 4, 1),
        period_end=month_end(month),
        version=version,
        created_at=datetime.now(UTC),
    )
    s.add(st)
    s.flush()
    for code, v in amounts.items():
        s.add(StatementLine(statement_id=st.id, item_code=code, as_reported_name="", amount=v))
    return st


def test_panel_sync_is_incremental_and_keeps_gaps(store, settings):
    from tests.world import make_world

    with store.session() as s:
        w = make_world(s)
        bid = w.business.id
        _tb(s, bid, date(2026, 4, 1), {"sales": 100, "cash_and_deposits": 50})
        _tb(s, bid, date(2026, 5, 1), {"sales": 250, "cash_and_deposits": 60})
        _tb(s, bid, date(2026, 7, 1), {"sales": 500, "cash_and_deposits": 70})  # June missing
    first = sync_panel(store, settings.data_dir)
    assert first.businesses_changed == 1
    rows = {r["month"]: r for r in read_panel(settings.data_dir).to_pylist()}
    # July's flow covers the missing June too: July's cumulative minus May's, over 2 months
    assert [(rows[m]["sales"], rows[m]["span_months"]) for m in sorted(rows)] == [
        (100, 1),
        (150, 1),
        (250, 2),
    ]
    assert date(2026, 6, 1) not in rows
    assert sync_panel(store, settings.data_dir).businesses_changed == 0
    with store.session() as s:  # a corrected May: new version supersedes the old one
        old = s.execute(
            select(Statement).where(Statement.period_end == date(2026, 5, 31))
        ).scalar_one()
        new = _tb(s, bid, date(2026, 5, 1), {"sales": 300, "cash_and_deposits": 60}, version=2)
        old.superseded_by_id = new.id
    again = sync_panel(store, settings.data_dir)
    assert again.businesses_changed == 1
    rows = {r["month"]: r for r in read_panel(settings.data_dir).to_pylist()}
    assert rows[date(2026, 5, 1)]["sales"] == 200


def test_a_refused_state_change_changes_nothing_but_is_audited(store, monitored):
    from kizashi.store.models import AuditEvent

    officer = _actor(store, "hosho")
    with store.session() as s:
        flags = s.execute(select(Flag).where(Flag.is_open.is_(True))).scalars().all()
    for f in flags:
        try:
            with store.session() as s:  # a resolved flag is never set by hand
                do_change_flag_state(
                    s, officer, flag_id=f.id, state=FlagState.RESOLVED, purpose=M, today=AS_OF
                )
        except NotFound:
            continue
        except ValueError as exc:
            assert "cannot move" in str(exc)
            with store.session() as s:
                assert _response_state(s, f.id, officer) == FlagState.NEW
                last = s.execute(
                    select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
                ).scalar_one()
            assert (last.action, last.decision, last.object_id) == (
                "change_flag_state",
                "deny",
                str(f.id),
            )
            return
    pytest.fail("the guarantor sees no open flag")


def _stored_indicators(settings, pack_ref: str) -> list[dict]:
    import duckdb

    from kizashi.store.analytics import analytics_path

    con = duckdb.connect(str(analytics_path(settings.data_dir)), read_only=True)
    try:
        cur = con.execute(
            "SELECT * FROM indicator_values WHERE pack_ref = ? ORDER BY business_id", [pack_ref]
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _by_hand(rows: list[dict], indicator: str) -> dict[int, float | None]:
    """Share of the other businesses of the peer group with a lower value, or None (< 5)."""
    out: dict[int, float | None] = {}
    for r in rows:
        mine = r[indicator]
        peers = [
            p[indicator]
            for p in rows
            if p["peer_group"] == r["peer_group"] and p[indicator] is not None
        ]
        if mine is None or len(peers) < 5:
            out[r["business_id"]] = None
        else:
            out[r["business_id"]] = 100 * sum(v < mine for v in peers) / (len(peers) - 1)
    return out


def test_peer_percentiles_are_stored_read_and_rerun_idempotently(store, settings, monitored):
    from kizashi.access.monitoring import whole_percent
    from kizashi.engine.exec.summary import percentile_indicators
    from kizashi.engine.spec.indicators import load_indicators
    from kizashi.engine.spec.packs import default_pack

    ref = default_pack().ref
    rows = _stored_indicators(settings, ref)
    assert len(rows) == 40 and {r["as_of"] for r in rows} == {date(2026, 9, 1)}
    names = percentile_indicators(load_indicators())
    expected = {i: _by_hand(rows, i) for i in names}
    computed = 0
    for i in names:
        for r in rows:
            want = expected[i][r["business_id"]]
            assert r[f"pct_{i}"] == (None if want is None else pytest.approx(want)), (i, r)
            computed += want is not None
    assert computed > 100, "the demo portfolio has peer groups of 5 or more"
    # what the officer reads: the stored percentile as a whole percent, per indicator
    officer = _actor(store, "hosho")
    seen = 0
    for r in rows:
        try:
            with store.session() as s:
                view = read_indicators(
                    s, officer, settings.data_dir, r["business_id"], M, today=AS_OF
                )
        except NotFound:
            continue
        for v in view.values:
            want = expected[v.id][r["business_id"]] if v.id in expected else None
            assert v.peer_percentile == whole_percent(want), v.id
            seen += v.peer_percentile is not None
    assert seen
    # a rerun of the month replaces its rows: same rows, same percentiles
    run_monitoring_job(store, settings)
    assert _stored_indicators(settings, ref) == rows


def test_an_analytics_file_from_before_percentiles_gets_them(store, settings, monitored):
    """indicator_values written before pct_<indicator> existed: still read, filled by a run."""
    import duckdb

    from kizashi.engine.spec.packs import default_pack
    from kizashi.store.analytics import analytics_path

    ref = default_pack().ref
    before = _stored_indicators(settings, ref)
    con = duckdb.connect(str(analytics_path(settings.data_dir)))
    pct = [c for c in before[0] if c.startswith("pct_")]
    for c in pct:
        con.execute(f"ALTER TABLE indicator_values DROP COLUMN {c}")
    con.close()
    officer = _actor(store, "hosho")
    for r in before:
        try:
            with store.session() as s:
                view = read_indicators(
                    s, officer, settings.data_dir, r["business_id"], M, today=AS_OF
                )
        except NotFound:
            continue
        assert view.values and all(v.peer_percentile is None for v in view.values)
        break
    else:
        pytest.fail("the guarantor sees no business")
    run_monitoring_job(store, settings)
    assert _stored_indicators(settings, ref) == before


def test_the_job_hands_the_monthly_loan_balances_to_the_engine(
    store, settings, monitored, monkeypatch
):
    """The demo's loans, with the synth's payment dates, reach the engine's spine."""
    import kizashi.jobs.monitoring as job
    from kizashi.store.models import Loan

    seen = []
    real = job.run_monitoring

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs.get("loan_balances"))
        return real(*args, **kwargs)

    monkeypatch.setattr(job, "run_monitoring", spy)
    run_monitoring_job(store, settings)
    [lb] = seen
    assert lb is not None and lb.num_rows > 40 * 36
    last = max(lb.column("month").to_pylist())
    at_end: dict[int, int] = {}
    for r in lb.to_pylist():
        if r["month"] == last:
            at_end[r["business_id"]] = r["loan_balance"]
    with store.session() as s:
        stored: dict[int, int] = {}
        for ln in s.execute(select(Loan)).scalars():
            stored[ln.business_id] = stored.get(ln.business_id, 0) + ln.balance
    # the demo stores each loan's balance at the portfolio's last month: the same figure
    assert at_end == stored
