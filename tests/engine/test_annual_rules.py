"""Annual rules of the default pack: a fiscal year's losses in a 決算書 raise flags, once.

Hand-made panels (panels.business_annual_loss, business_annual_interest, business_monthly_loss):
an annual filer with a loss year, an annual filer whose only loss is below the operating line,
and a monthly filer with 24 months of losses, who keeps the monthly rules and gets no annual one.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from kizashi.engine.exec.run import run_monitoring
from kizashi.engine.spec.packs import default_pack

from .panels import (
    FY_ENDS,
    business_annual_interest,
    business_annual_loss,
    business_monthly_loss,
    table,
)

ANNUAL = (
    "finance.annual_operating_loss",
    "finance.annual_ordinary_loss",
    "finance.annual_negative_net_assets",
)
REGISTER = pa.table(
    {
        "business_id": pa.array([10, 11, 12], pa.int64()),
        "industry_code": ["09", "09", "56"],
        "employees": pa.array([4, 4, 1], pa.int32()),
    }
)


@pytest.fixture(scope="module", params=["numpy", "sql"])
def result(request: pytest.FixtureRequest):
    panel = table(business_annual_loss() + business_annual_interest() + business_monthly_loss())
    return run_monitoring(panel, REGISTER, None, month="2025-03", windows=request.param)


def _episodes(result, business_id: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in result.episodes.to_pylist():
        if e["business_id"] == business_id:
            out.setdefault(e["rule_id"], []).append(e)
    return out


def test_the_pack_has_annual_rules_and_a_new_version() -> None:
    pack = default_pack()
    assert pack.ref >= "kizashi.default@2026.2.0"
    rules = {r.id: r for r in pack.rules}
    for rid in ANNUAL:
        r = rules[rid]
        assert r.source == "決算書" and r.severity == "medium"
        assert r.explanation["ja"] and r.explanation["en"]


def test_annual_filer_loss_year(result) -> None:
    ep = _episodes(result, 10)
    # the loss year (ending 2024-03) opens the flag; it stays open over the eleven months
    # without data and closes at the next, profitable, year end
    (op,) = ep["finance.annual_operating_loss"]
    assert (op["opened_month"], op["closed_month"]) == (FY_ENDS[1], FY_ENDS[2])
    assert json.loads(op["evidence_opened"]) == {
        "value": -920_000,
        "sales": 10_000_000,
        "value_prev": 1_080_000,
    }
    (na,) = ep["finance.annual_negative_net_assets"]
    assert (na["opened_month"], na["closed_month"]) == (FY_ENDS[1], FY_ENDS[2])
    assert json.loads(na["evidence_opened"]) == {
        "net_assets": -480_000,
        "net_assets_prev": 1_520_000,
    }
    # the operating loss is the operating rule's; the monthly rules do not read annual rows
    for rid in (
        "finance.annual_ordinary_loss",
        "finance.negative_net_assets",
        "finance.operating_loss_streak",
    ):
        assert rid not in ep, rid


def test_annual_filer_ordinary_loss_after_interest(result) -> None:
    fired = {
        r["rule_id"]: json.loads(r["evidence"])
        for r in result.firings.to_pylist()
        if r["business_id"] == 11
    }
    assert fired["finance.annual_ordinary_loss"] == {
        "value": -420_000,
        "operating": 1_080_000,
        "interest": 1_500_000,
    }
    assert "finance.annual_operating_loss" not in fired
    assert "finance.annual_negative_net_assets" not in fired


def test_monthly_filer_gets_the_monthly_rules_only(result) -> None:
    ep = _episodes(result, 12)
    assert not [rid for rid in ep if rid in ANNUAL]
    (streak,) = ep["finance.operating_loss_streak"]
    assert streak["opened_month"] == dt.date(2024, 3, 1)  # 12 losses, the first complete TTM
    assert ep["finance.negative_net_assets"][0]["opened_month"] == dt.date(2024, 3, 1)


def test_texts_quote_the_year() -> None:
    from kizashi.engine.spec.catalogue import render

    rule = next(r for r in default_pack().rules if r.id == "finance.annual_operating_loss")
    ev = {"value": -920_000, "sales": 10_000_000, "value_prev": None}
    ja = render(rule.explanation["ja"], ev, dt.date(2024, 3, 1))
    assert (
        "令和6年3月に終わる事業年度" in ja
        and "-920,000 円の赤字" in ja
        and "前期の営業利益 — 円" in ja
    )
    en = render(rule.explanation["en"], ev, dt.date(2024, 3, 1), None, "en")
    assert "operating loss of -920,000 yen" in en


def test_annual_filers_are_not_asked_for_monthly_figures() -> None:
    """Business 10 files a 決算書 a year: no "monthly figures not received" between year ends;
    twelve months after its last one (2025-03 → 2026-03) the missing statement is flagged."""
    panel = table(business_annual_loss())
    register = REGISTER.slice(0, 1)
    res = run_monitoring(panel, register, None, month="2026-02")
    assert not [e for e in res.episodes.to_pylist() if e["rule_id"] == "data.submission_gap"]
    res = run_monitoring(panel, register, None, month="2026-03")
    fired = {r["rule_id"]: json.loads(r["evidence"]) for r in res.firings.to_pylist()}
    assert fired["data.submission_gap"] == {"months": 12}


def test_monthly_filers_still_get_the_gap_flag() -> None:
    panel = table(business_monthly_loss())  # trial balances up to 2025-03
    res = run_monitoring(panel, REGISTER.slice(2, 1), None, month="2025-06")
    fired = {r["rule_id"]: json.loads(r["evidence"]) for r in res.firings.to_pylist()}
    assert fired["data.submission_gap"] == {"months": 3}
