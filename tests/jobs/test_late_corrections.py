"""Late corrections (a past month's figures changed after later months were delivered) through
real imports and a monitoring run: ``authenticity.late_correction`` opens with the count and the
largest change in one item; a correction of the latest month, or one smaller than the pack's
``late_correction_min_yen``, does not open it (but a small one is still counted in the panel)."""

from __future__ import annotations

import copy
import json
from datetime import date

from sqlalchemy import select

from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.jobs.panel_sync import read_panel
from kizashi.store.models import Flag, Statement
from tests.jobs.test_reimport import _history, _import
from tests.world import make_world

RULE = "authenticity.late_correction"
SEPTEMBER = date(2026, 9, 1)


def _month(months: list[dict], end: date) -> dict:
    return copy.deepcopy(next(m for m in months if m["period_end"] == end))


def _open_flag(store, bid: int) -> Flag | None:
    with store.session() as s:
        return s.execute(
            select(Flag).where(Flag.business_id == bid, Flag.rule_id == RULE, Flag.is_open)
        ).scalar_one_or_none()


def _panel_row(settings, bid: int, month: date) -> dict:
    rows = read_panel(settings.data_dir).to_pylist()
    return next(r for r in rows if r["business_id"] == bid and r["month"] == month)


def test_a_past_month_rewritten_after_later_months_is_flagged(cli, store, settings, tmp_path):
    with store.session() as s:
        bid = make_world(s).business.id
    history = _history(None)  # 2024-04 .. 2026-09, delivered in one file
    _import(cli, tmp_path, bid, history, "tb.csv")
    run_monitoring_job(store, settings)
    assert _open_flag(store, bid) is None
    assert _panel_row(settings, bid, SEPTEMBER)["late_corrections"] == 0

    # March 2026 again, with 2,500,000 more sales received in cash: a new version of a past month
    march = _month(history, date(2026, 3, 31))
    march["amounts"]["sales"] += 2_500_000
    march["amounts"]["cash_and_deposits"] += 2_500_000
    _import(cli, tmp_path, bid, [march], "march.csv")
    with store.session() as s:
        versions = s.execute(
            select(Statement.version).where(
                Statement.business_id == bid, Statement.period_end == date(2026, 3, 31)
            )
        ).scalars()
        assert sorted(versions) == [1, 2]
    run_monitoring_job(store, settings)
    row = _panel_row(settings, bid, SEPTEMBER)  # the month the books had reached
    assert (row["late_corrections"], row["late_correction_yen"]) == (1, 2_500_000)
    assert _panel_row(settings, bid, date(2026, 3, 1))["late_corrections"] == 0
    flag = _open_flag(store, bid)
    assert flag is not None
    assert json.loads(flag.evidence_latest) == {"count": 1, "change": 2_500_000}


def test_the_latest_month_corrected_or_a_small_change_is_not_flagged(
    cli, store, settings, tmp_path
):
    with store.session() as s:
        bid = make_world(s).business.id
    history = _history(None)
    _import(cli, tmp_path, bid, history, "tb.csv")
    # the latest month (September) corrected before October is delivered: an ordinary fix
    september = _month(history, date(2026, 9, 30))
    september["amounts"]["sales"] += 3_000_000
    september["amounts"]["cash_and_deposits"] += 3_000_000
    _import(cli, tmp_path, bid, [september], "sep.csv")
    # a past month changed by 5,000 yen only: counted, below late_correction_min_yen
    june = _month(history, date(2026, 6, 30))
    june["amounts"]["purchases"] -= 5_000
    june["amounts"]["cash_and_deposits"] += 5_000
    _import(cli, tmp_path, bid, [june], "june.csv")
    run_monitoring_job(store, settings)
    row = _panel_row(settings, bid, SEPTEMBER)
    assert (row["late_corrections"], row["late_correction_yen"]) == (1, 5_000)
    assert _open_flag(store, bid) is None
