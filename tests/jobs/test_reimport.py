"""A corrected history imported again never leaves two open flags for one business × rule.

The business's first import shows cash below half a month of sales from the first month: the
low-liquidity flag opens early (as soon as monthly sales can be computed) and stays open. The
corrected history (a re-import that supersedes every month) has healthy cash until 2026-05:
the condition now first holds from 2026-06 and the flag opens then or later. The early episode
no longer exists, whatever state a person gave it; a normal run closes it and keeps the new one
as the only open flag (the issue's case: open from 2024-06 and from 2026-08).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kizashi.actions.consent import do_grant_consent
from kizashi.actions.flags import do_change_flag_state
from kizashi.domain.vocabulary import Category, FlagState, Purpose
from kizashi.ingest.dates import add_months
from kizashi.ingest.writers import write
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store.models import Flag, FlagResponse
from tests.world import TODAY, make_world

SALES = 10_000_000  # a month's sales, yen
RULE = "cash.low_liquidity"


def _history(healthy_until: date | None) -> list[dict]:
    """Monthly cumulative trial balances 2024-04 .. 2026-09 (fiscal years from April).

    Sales and purchases are equal (no profit); cash is capital plus short-term borrowings:
    3 months of sales while healthy, 0.2 months otherwise.
    """
    months = []
    m = date(2024, 4, 1)
    while m <= date(2026, 9, 1):
        fy = date(m.year if m.month >= 4 else m.year - 1, 4, 1)
        ytd = (m.year - fy.year) * 12 + m.month - fy.month + 1
        healthy = healthy_until is not None and m <= healthy_until
        borrowings = 28 * SALES // 10 if healthy else 0
        capital = 2 * SALES // 10
        months.append(
            {
                "period_end": add_months(m, 1).fromordinal(add_months(m, 1).toordinal() - 1),
                "fiscal_year_start": fy,
                "amounts": {
                    "cash_and_deposits": capital + borrowings,
                    "short_term_borrowings": borrowings,
                    "capital_stock": capital,
                    "sales": ytd * SALES,
                    "purchases": ytd * SALES,
                },
            }
        )
        m = add_months(m, 1)
    return months


def _open_flags(store, bid: int) -> list[tuple[str, date]]:
    with store.session() as s:
        return sorted(
            s.execute(
                select(Flag.rule_id, Flag.opened_month).where(
                    Flag.business_id == bid, Flag.is_open.is_(True)
                )
            ).all()
        )


def _import(cli, tmp_path, bid: int, months: list[dict], name: str) -> None:
    f = tmp_path / name
    f.write_bytes(write("table", months))
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("state", [None, FlagState.IN_PROGRESS, FlagState.NOT_NEEDED])
def test_reimported_history_leaves_one_open_flag(cli, store, settings, tmp_path, state):
    with store.session() as s:
        w = make_world(s)
        bid, officer = w.business.id, w.actors["cgc_officer"]
        do_grant_consent(  # the guarantor may work on the business's flags
            s,
            w.actors["owner"],
            business=w.business,
            grantee=w.guarantor,
            categories=[Category.FLAGS],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 4, 1),
        )
    _import(cli, tmp_path, bid, _history(None), "tb.csv")
    run_monitoring_job(store, settings)
    with store.session() as s:
        first = s.execute(
            select(Flag).where(Flag.business_id == bid, Flag.rule_id == RULE)
        ).scalar_one()
    assert first.is_open and first.opened_month < date(2026, 1, 1)
    with store.session() as s:
        if state is not None:  # a person's workflow state on the old flag
            do_change_flag_state(
                s,
                officer,
                flag_id=first.id,
                state=state,
                purpose=Purpose.MONITORING,
                reason="季節要因" if state == FlagState.NOT_NEEDED else None,
                today=TODAY,
            )

    _import(cli, tmp_path, bid, _history(date(2026, 5, 1)), "tb_corrected.csv")
    run_monitoring_job(store, settings)

    [(_, reopened)] = [f for f in _open_flags(store, bid) if f[0] == RULE]
    assert reopened >= date(2026, 6, 1)
    with store.session() as s:
        dupes = s.execute(
            select(Flag.business_id, Flag.pack_ref, Flag.rule_id, func.count())
            .where(Flag.is_open.is_(True))
            .group_by(Flag.business_id, Flag.pack_ref, Flag.rule_id)
            .having(func.count() > 1)
        ).all()
        old = s.get(Flag, first.id)
    assert dupes == []
    assert old is not None and not old.is_open and old.closed_month == date(2026, 9, 1)
    # the episode is closed; the guarantor's 対応不要 (with its reason) stays, any other
    # state of its response becomes 解消
    assert old.state == FlagState.RESOLVED
    if state is not None:
        with store.session() as s:
            response = s.execute(
                select(FlagResponse).where(
                    FlagResponse.flag_id == first.id, FlagResponse.org_id == officer.org_id
                )
            ).scalar_one()
        assert response.state == (
            FlagState.NOT_NEEDED if state == FlagState.NOT_NEEDED else FlagState.RESOLVED
        )
    # a further run changes nothing
    again = run_monitoring_job(store, settings)
    assert again[0].flags_opened == 0 and again[0].flags_closed == 0
    assert (RULE, reopened) in _open_flags(store, bid)


def test_the_schema_refuses_a_second_open_flag(store):
    """The partial unique index: one open flag per business × pack × rule, any closed ones."""
    from datetime import UTC, datetime

    from sqlalchemy.exc import IntegrityError

    with store.session() as s:
        bid = make_world(s).business.id

    def flag(opened: date, is_open: bool) -> Flag:
        return Flag(
            business_id=bid,
            pack_ref="p@1",
            rule_id=RULE,
            severity="high",
            category="資金繰り",
            opened_month=opened,
            closed_month=None if is_open else opened,
            last_seen_month=opened,
            is_open=is_open,
            state=FlagState.NEW if is_open else FlagState.RESOLVED,
            updated_at=datetime.now(UTC),
        )

    with store.session() as s:
        s.add_all([flag(date(2024, 6, 1), True), flag(date(2023, 1, 1), False)])
        s.add(flag(date(2022, 1, 1), False))
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(flag(date(2026, 8, 1), True))
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(Flag)).scalar_one() == 3


def test_a_run_for_an_earlier_month_leaves_later_flags_alone(cli, store, settings, tmp_path):
    """The flag opened after the month a run is asked for keeps its state and stays open."""
    with store.session() as s:
        w = make_world(s)
        bid = w.business.id
        do_grant_consent(
            s,
            w.actors["owner"],
            business=w.business,
            grantee=w.guarantor,
            categories=[Category.FLAGS],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 4, 1),
        )
    _import(cli, tmp_path, bid, _history(date(2026, 5, 1)), "tb.csv")
    run_monitoring_job(store, settings)
    with store.session() as s:
        flag = s.execute(
            select(Flag).where(Flag.business_id == bid, Flag.rule_id == RULE)
        ).scalar_one()
        do_change_flag_state(
            s,
            w.actors["cgc_officer"],
            flag_id=flag.id,
            state=FlagState.IN_PROGRESS,
            purpose=Purpose.MONITORING,
            today=TODAY,
        )
    assert flag.opened_month > date(2026, 5, 1)
    run_monitoring_job(store, settings, month=date(2026, 5, 1))
    run_monitoring_job(store, settings)
    with store.session() as s:
        again = s.get(Flag, flag.id)
        response = s.execute(
            select(FlagResponse.state).where(FlagResponse.flag_id == flag.id)
        ).scalar_one()
        assert again is not None and again.is_open and response == FlagState.IN_PROGRESS
    assert [f for f in _open_flags(store, bid) if f[0] == RULE] == [(RULE, flag.opened_month)]
