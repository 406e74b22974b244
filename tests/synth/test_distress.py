"""Distressed businesses visibly deteriorate BEFORE their first credit event; others do not."""

from __future__ import annotations

import pandas as pd

from .conftest import Portfolio, evaluate


def _monthly(portfolio: Portfolio) -> pd.DataFrame:
    panel = portfolio.tables["panel"]
    return pd.DataFrame(
        {
            "business_id": panel.column("business_id").to_numpy(),
            "month": pd.to_datetime(panel.column("month").to_numpy()),
            "sales": panel.column("sales").to_numpy(),
            "op": evaluate(panel, "operating_profit"),
            "cash": panel.column("cash_and_deposits").to_numpy(),
            "net_cash": panel.column("cash_and_deposits").to_numpy()
            - evaluate(panel, "borrowings"),
            "debt": evaluate(panel, "borrowings"),
        }
    )


def _compare(df: pd.DataFrame, anchors: pd.Series) -> pd.DataFrame:
    """The 6 months before each anchor vs the same 6 calendar months a year earlier."""
    rows = []
    for bid, anchor in anchors.items():
        g = df[df["business_id"] == bid].set_index("month")
        recent = g.loc[anchor - pd.DateOffset(months=6) : anchor - pd.DateOffset(months=1)]
        before = g.loc[anchor - pd.DateOffset(months=18) : anchor - pd.DateOffset(months=13)]
        if len(recent) < 6 or len(before) < 6:
            continue
        rows.append(
            {
                "sales": recent["sales"].sum() / before["sales"].sum(),
                "margin": recent["op"].sum() / recent["sales"].sum()
                - before["op"].sum() / before["sales"].sum(),
                "cash": recent["cash"].iloc[-1] - before["cash"].iloc[-1],
                "net_cash": recent["net_cash"].iloc[-1] - before["net_cash"].iloc[-1],
                "debt": recent["debt"].iloc[-1] / max(recent["sales"].sum() / 6, 1)
                - before["debt"].iloc[-1] / max(before["sales"].sum() / 6, 1),
            }
        )
    return pd.DataFrame(rows)


def test_distressed_deteriorate_before_first_event(portfolio: Portfolio) -> None:
    ev = portfolio.df("credit_events")
    first = (
        pd.to_datetime(ev.groupby("business_id")["occurred_on"].min())
        .dt.to_period("M")
        .dt.to_timestamp()
    )
    cmp = _compare(_monthly(portfolio), first)
    assert len(cmp) >= 80, "too few distressed businesses with 18 months of history"
    assert (cmp["sales"] < 0.95).mean() > 0.85  # sales fell year on year
    assert (cmp["margin"] < 0).mean() > 0.85  # operating margin thinned
    assert (cmp["debt"] > 0).mean() > 0.7  # borrowings grew relative to monthly sales
    # cash drained: below its level a year earlier net of borrowings (some borrow to cover
    # the losses: an overdraft, or a new guaranteed loan, keeps the cash balance up)
    assert (cmp["net_cash"] < 0).mean() > 0.8
    assert (cmp["cash"] < 0).mean() > 0.4
    assert cmp["sales"].median() < 0.85


def test_healthy_businesses_do_not_deteriorate(portfolio: Portfolio) -> None:
    b = portfolio.df("businesses")
    healthy = b.loc[b["path"] == "healthy", "business_id"].head(300)
    anchors = pd.Series(pd.Timestamp("2026-09-01"), index=healthy)
    cmp = _compare(_monthly(portfolio), anchors)
    assert 0.97 < cmp["sales"].median() < 1.08
    assert (cmp["sales"] < 0.85).mean() < 0.1
    assert (cmp["margin"] < 0).mean() < 0.6
