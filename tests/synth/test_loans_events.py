"""Loans, repayment schedules, credit events, rates and identities of the businesses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kizashi.domain.corporate_number import normalize_corporate_number
from kizashi.domain.industry import industries, prefectures

from .conftest import END, Portfolio


def test_businesses_have_valid_identities(portfolio: Portfolio) -> None:
    b = portfolio.df("businesses")
    assert b["business_id"].tolist() == list(range(1, portfolio.n + 1))
    corp = b["corporate_number"].notna()
    for number in b.loc[corp, "corporate_number"]:
        assert normalize_corporate_number(number) == number
    assert b.loc[corp, "corporate_number"].is_unique
    # sole proprietors: no 法人番号, no capital, no legal form, December year end
    sole = ~corp
    assert 0.15 < sole.mean() < 0.35
    assert b.loc[sole, "legal_form"].isna().all() and b.loc[sole, "capital_yen"].isna().all()
    assert (b.loc[sole, "fiscal_year_end_month"] == 12).all()
    assert b.loc[corp, "legal_form"].notna().all()
    forms = b.loc[corp, "legal_form"]
    assert all(
        name.startswith(f) or name.endswith(f)
        for name, f in zip(b.loc[corp, "name"], forms, strict=True)
    )
    assert (
        b.loc[b["legal_form"] == "有限会社", "founded_on"] < pd.Timestamp("2006-05-01").date()
    ).all()
    assert b["industry_code"].isin(list(industries())).all()
    assert b["prefecture_code"].isin(list(prefectures())).all()
    top = b["prefecture_code"].value_counts().index[0]
    assert top == "13"  # Tokyo: population weighting
    assert (b.loc[corp, "fiscal_year_end_month"] == 3).mean() > 0.45
    assert b["employees"].between(0, 300).all()


def test_loans_are_derivable_from_their_repayments(portfolio: Portfolio) -> None:
    loans = portfolio.df("loans").set_index("loan_id")
    rep = portfolio.df("repayments")
    assert set(loans["business_id"]) == set(range(1, portfolio.n + 1))  # every business borrows
    paid = rep[rep["paid_on"].notna()].groupby("loan_id")["principal"].sum()
    paid = paid.reindex(loans.index, fill_value=0)
    assert (loans["balance_end"] == loans["original_amount"] - paid).all()
    assert (rep["paid_on"].dropna() <= END.replace(day=28)).all()
    assert (rep["paid_on"].dropna() >= rep.loc[rep["paid_on"].notna(), "due_date"]).all()
    # the schedule repays exactly the original amount unless 代位弁済 cut it short
    scheduled = rep.groupby("loan_id")["principal"].sum().reindex(loans.index, fill_value=0)
    subro = portfolio.df("credit_events").query("kind == 'subrogation'")["business_id"].unique()
    whole = ~loans["business_id"].isin(subro)
    assert (scheduled[whole] == loans.loc[whole, "original_amount"]).all()
    assert (rep["principal"] >= 0).all() and (rep["interest"] >= 0).all()
    g = loans[loans["guaranteed"]]
    assert g["guarantee_ratio_pct"].isin([80, 100]).all()
    assert loans.loc[~loans["guaranteed"], "guarantee_ratio_pct"].isna().all()
    assert loans["lender_index"].isin([0, 1, 2]).all()
    covid = g[g["guarantee_ratio_pct"] == 100]
    assert (
        covid["start_date"]
        .between(pd.Timestamp("2020-05-01").date(), pd.Timestamp("2021-03-31").date())
        .all()
    )
    grace_end = covid["grace_end_date"].dropna()
    assert (grace_end >= pd.Timestamp("2021-05-01").date()).all()
    assert (loans["maturity_date"] > loans["start_date"]).all()


def test_panel_borrowings_match_the_loan_book(portfolio: Portfolio) -> None:
    p = portfolio.df("panel")
    last = p[p["month"] == END]
    debt = (last["long_term_borrowings"] + last["current_portion_long_term_borrowings"]).to_numpy()
    book = portfolio.df("loans").groupby("business_id")["balance_end"].sum()
    assert (debt == book.reindex(last["business_id"], fill_value=0).to_numpy()).all()
    assert (
        last["long_term_borrowings"].sum() > 0
        and last["current_portion_long_term_borrowings"].sum() > 0
    )


def test_events_are_consistent_with_outcomes(portfolio: Portfolio) -> None:
    ev = portfolio.df("credit_events")
    b = portfolio.df("businesses").set_index("business_id")
    loans = portfolio.df("loans").set_index("loan_id")
    assert ev["event_id"].is_unique
    assert (
        loans.loc[ev["loan_id"], "business_id"].to_numpy() == ev["business_id"].to_numpy()
    ).all()
    assert (ev["occurred_on"] <= pd.Timestamp("2026-09-30").date()).all()
    for kind in ("accident_report", "subrogation"):
        assert loans.loc[ev.loc[ev["kind"] == kind, "loan_id"], "guaranteed"].all()
    dq = ev[ev["kind"] == "delinquency"]
    assert (dq["days_past_due"] % 30 == 0).all() and (dq["days_past_due"] >= 30).all()
    assert ev.loc[ev["kind"] != "delinquency", "days_past_due"].isna().all()
    # only businesses on the distressed path have credit events; outcome = most severe kind
    assert (b.loc[ev["business_id"].unique(), "path"] == "distressed").all()
    severity = {"restructuring": 1, "delinquency": 2, "accident_report": 2, "subrogation": 3}
    worst = ev.assign(s=ev["kind"].map(severity)).groupby("business_id")["s"].max()
    names = {0: "none", 1: "restructuring", 2: "delinquency", 3: "subrogation"}
    expected = worst.reindex(b.index, fill_value=0).map(names)
    assert (b["outcome"] == expected).all()
    assert b.loc[b["outcome"] == "none", "outcome_month"].isna().all()
    # reporting stops at 代位弁済
    p = portfolio.df("panel")
    last_month = p.groupby("business_id")["month"].max()
    sub = b[b["outcome"] == "subrogation"]
    assert (last_month.loc[sub.index] == sub["outcome_month"]).all()


def test_event_rates_are_within_tolerance(portfolio: Portfolio) -> None:
    """Per business and year, measured over the last 12 months of the window."""
    ev = portfolio.df("credit_events")
    recent = ev[ev["occurred_on"] >= pd.Timestamp("2025-10-01").date()]
    n = portfolio.n
    rate = {
        k: recent.loc[recent["kind"] == k, "business_id"].nunique() / n
        for k in ("restructuring", "delinquency", "subrogation")
    }
    assert 0.010 <= rate["subrogation"] <= 0.035, rate
    assert 0.020 <= rate["restructuring"] <= 0.070, rate
    assert 0.010 <= rate["delinquency"] <= 0.080, rate
    paths = portfolio.df("businesses")["path"].value_counts(normalize=True)
    assert paths["healthy"] > 0.65 and 0.04 < paths["recovering"] < 0.12


def test_all_chunks_together_use_distinct_loan_ids(portfolio: Portfolio) -> None:
    loans = portfolio.df("loans")
    assert loans["loan_id"].is_unique
    assert (loans["loan_id"] // 10 == loans["business_id"]).all()
    assert np.all(np.diff(loans["business_id"].to_numpy()) >= 0)
