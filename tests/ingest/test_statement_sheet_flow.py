"""The new user's path: a 決算報告書 without a header row is stored as an annual statement, the
panel carries it at its year end, and the fiscal year's operating loss raises a flag."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa

from kizashi.actions.submissions import do_import_submission
from kizashi.engine.exec.run import run_monitoring
from kizashi.jobs.panel_sync import read_panel, sync_panel
from tests.world import make_world

from .conftest import fixture_bytes


def test_headerless_statement_to_an_annual_flag(store, settings) -> None:
    with store.session() as s:
        world = make_world(s)
    owner, bid = world.actors["owner"], world.business.id
    with store.session() as s:
        out = do_import_submission(
            s,
            owner,
            business_id=bid,
            files=[(fixture_bytes("statement_noheader.csv", "cp932"), "決算報告書.csv")],
            raw_dir=settings.data_dir / "raw",
        )
    assert out.stored and [st.kind for st in out.statements] == ["annual"]
    sync_panel(store, settings.data_dir)
    [row] = read_panel(settings.data_dir).to_pylist()
    assert (row["month"], row["span_months"]) == (date(2024, 3, 1), 12)
    register = pa.table(
        {
            "business_id": pa.array([bid], pa.int64()),
            "industry_code": ["56"],
            "employees": pa.array([3], pa.int32()),
        }
    )
    res = run_monitoring(read_panel(settings.data_dir), register, None)
    fired = {r["rule_id"]: json.loads(r["evidence"]) for r in res.firings.to_pylist()}
    # 営業利益 ▲400,000 in the fixture; 5,000,000 of sales; no year before it
    assert fired["finance.annual_operating_loss"] == {
        "value": -400_000,
        "sales": 5_000_000,
        "value_prev": None,
    }
    assert "finance.operating_loss_streak" not in fired
