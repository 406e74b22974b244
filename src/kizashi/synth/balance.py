"""Monthly balance sheet, taxes and the cash position.

Every non-cash balance is modelled (working capital from days of sales/cost, fixed assets,
loans from their schedules, tax payables); 現金及び預金 is the balancing item, so that

    total_assets == total_liabilities + shareholders_equity + net income year to date

holds exactly in integer yen. When cash would fall below a floor, an overdraft
(短期借入金) is drawn instead of letting cash go negative; it is repaid when cash recovers.
Retained earnings roll forward by the year's net income at each fiscal-year start.
"""

from __future__ import annotations

import numpy as np

from kizashi.domain.chart import load_chart

from .businesses import Identity
from .calendar import Horizon
from .distress import Timelines, tax_arrears_from
from .params import Params
from .profit import Economics

_TAXABLE_COSTS = (
    "purchases",
    "mfg_materials",
    "mfg_subcontracting",
    "mfg_overhead",
    "subcontracting",
    "rent",
    "lease_expenses",
    "utilities",
    "travel",
    "communication",
    "advertising",
    "supplies",
    "repairs",
    "commissions",
    "vehicle_expenses",
    "other_sga",
)
_ACCRUED_OTHER = (
    "lease_expenses",
    "utilities",
    "travel",
    "communication",
    "advertising",
    "supplies",
    "repairs",
    "commissions",
    "vehicle_expenses",
    "other_sga",
)


PAYABLES_STRETCH = 0.3  # [INFERENCE] share of the days stretch that reaches payables
WEAK_OPENING_CASH = 0.5  # [INFERENCE] distressed businesses start with half the cash


def _i(x: np.ndarray) -> np.ndarray:
    return np.round(x).astype(np.int64)


def _const(x: np.ndarray, T: int) -> np.ndarray:
    return np.repeat(np.asarray(x, dtype=np.int64)[:, None], T, axis=1)


def _consumption_tax(
    m: dict[str, np.ndarray], who: Identity, arrears_from: np.ndarray, hz: Horizon, rate: float
) -> np.ndarray:
    """未払消費税等: 10% of value added accrues monthly; the year's balance is paid two months
    after the fiscal-year end — unless the business has fallen into arrears (滞納)."""
    T = hz.T
    costs = sum(m[c] for c in _TAXABLE_COSTS)
    accrued = np.cumsum(_i(np.maximum(m["sales"] - costs, 0) * rate), axis=1)
    cal = hz.calendar_month0()
    t = np.arange(T)[None, :]
    pay = (cal[None, :] == (who.fiscal_year_end_month[:, None] + 1) % 12) & (t >= 2)
    pay &= t < arrears_from[:, None]
    paid_through = np.maximum.accumulate(np.where(pay, t - 2, -1), axis=1)
    paid = np.where(
        paid_through >= 0, np.take_along_axis(accrued, np.maximum(paid_through, 0), 1), 0
    )
    return accrued - paid


def build_balance(
    rng: np.random.Generator,
    who: Identity,
    eco: Economics,
    tl: Timelines,
    level: np.ndarray,
    m: dict[str, np.ndarray],
    loan_fx: dict[str, np.ndarray],
    hz: Horizon,
    params: Params,
) -> None:
    """Add B/S leaves, interest, income taxes and cash to ``m`` (in place)."""
    ind = params.industry
    k, n, T = who.industry, who.industry.size, hz.T
    m.pop("_cogs_f")
    sales_f, stretch = m.pop("_sales_f"), m.pop("_stretch")
    fy_first = m.pop("_fy_first")
    notes = ind.notes_share[k][:, None]

    recv = sales_f * eco.receivable_days[:, None] * stretch / 30.0
    m["notes_receivable"] = _i(recv * notes)
    m["electronic_receivables"] = _i(recv * notes)
    m["accounts_receivable"] = _i(recv) - 2 * m["notes_receivable"]
    m["allowance_doubtful_current"] = _i(recv * 0.005)
    bought = sum(
        m[c] for c in ("purchases", "mfg_materials", "mfg_subcontracting", "subcontracting")
    )
    # suppliers are stretched less than customers stretch the business (they tighten terms)
    pay_stretch = 1.0 + (stretch - 1.0) * PAYABLES_STRETCH
    pay = np.maximum(bought, 0) * eco.payable_days[:, None] * pay_stretch / 30.0
    m["notes_payable"] = _i(pay * notes)
    m["electronic_payables"] = _i(pay * notes)
    m["accounts_payable"] = _i(pay) - 2 * m["notes_payable"]
    m["accounts_payable_other"] = _i(0.3 * np.sum([m[c] for c in _ACCRUED_OTHER], axis=0))
    m["accrued_expenses"] = m["legal_welfare"] + loan_fx["unpaid_interest"]
    m["deposits_received"] = _i(0.08 * (m["salaries"] + m["bonuses"] + m["officer_compensation"]))
    construction = (ind.cost_model[k] == 2)[:, None]
    m["advances_received"] = np.where(construction, _i(0.25 * sales_f), 0)
    arrears_from = tax_arrears_from(tl)
    m["consumption_taxes_payable"] = _consumption_tax(
        m, who, arrears_from, hz, float(params.raw["consumption_tax_rate"])
    )
    m["long_term_borrowings"] = loan_fx["long_term_borrowings"]
    m["current_portion_long_term_borrowings"] = loan_fx["current_portion_long_term_borrowings"]

    s = eco.annual_sales
    it = np.asarray(params.industry.codes)[k] == "39"
    m["software"] = _const(_i(s * np.where(it, 0.01, 0.002)), T)
    m["land"] = _const(eco.land, T)
    m["capital_contributions"] = _const(rng.choice([0, 10_000, 100_000, 500_000], n), T)
    holds = rng.random(n) < 0.2
    m["investment_securities"] = _const(_i(np.where(holds, s * rng.uniform(0.01, 0.05, n), 0)), T)
    m["other_current_assets"] = _const(_i(s * 0.003), T)
    premium = _i(s * rng.uniform(0.0, 0.002, n))
    m["insurance_reserve"] = _i(s * rng.uniform(0.0, 0.03, n))[:, None] + premium[:, None] * (
        np.arange(T)[None, :] + 1
    )
    m["capital_stock"] = _const(who.capital, T)
    m["employees"] = np.maximum(
        _i(who.employees[:, None] * (1.0 - 0.5 * tl.drop[:, None] * level)), 0
    )
    _cash_loop(rng, who, eco, tl, level, m, loan_fx, fy_first, hz, params)


def _cash_loop(
    rng: np.random.Generator,
    who: Identity,
    eco: Economics,
    tl: Timelines,
    level: np.ndarray,
    m: dict[str, np.ndarray],
    loan_fx: dict[str, np.ndarray],
    fy_first: np.ndarray,
    hz: Horizon,
    params: Params,
) -> None:
    chart = load_chart()
    v = params.section("variation")
    n, T = who.industry.size, hz.T

    def evaluate(code: str, skip: tuple[str, ...] = ()) -> np.ndarray:
        total = np.zeros((n, T), dtype=np.int64)
        for leaf, sign in chart.leaf_terms(code).items():
            if leaf in m and leaf not in skip:
                total += sign * m[leaf]
        return total

    skip = (
        "cash_and_deposits",
        "short_term_borrowings",
        "income_taxes_payable",
        "interest_expense",
        "income_taxes",
    )
    m["interest_expense"] = loan_fx["interest_expense"].copy()
    non_cash = evaluate("total_assets", skip)
    liabilities = evaluate("total_liabilities", skip)
    pretax_base = evaluate("pretax_income", skip)
    capital = m["capital_stock"][:, 0]

    monthly = eco.annual_sales / 12
    floor_scale = monthly * v["cash_floor_months"]
    repay_above = monthly * v["overdraft_repay_above_months"]
    rate = v["overdraft_rate_bp"] / 120_000
    corp = ~who.sole
    cal = hz.calendar_month0()
    fye0 = who.fiscal_year_end_month - 1
    tax_rate, per_capita = (
        float(params.raw["corporate_tax_rate"]),
        int(params.raw["per_capita_tax"]),
    )
    arrears_from = tax_arrears_from(tl)

    cash = np.zeros((n, T), dtype=np.int64)
    stb_m, re_m, itp_m, tax_m = (np.zeros((n, T), dtype=np.int64) for _ in range(4))
    stb = np.zeros(n, dtype=np.int64)
    itp = np.zeros(n, dtype=np.int64)
    ytd = np.zeros(n, dtype=np.int64)
    ni_ytd = np.zeros(n, dtype=np.int64)
    re = np.zeros(n, dtype=np.int64)
    weak = np.where(tl.path == 2, WEAK_OPENING_CASH, 1.0)
    # part of the loans outstanding at the start is still held as cash (ゼロゼロ融資 proceeds
    # were largely kept as a buffer) [INFERENCE]; the rest was spent before the panel starts
    borrowed0 = (
        loan_fx["long_term_borrowings"][:, 0]
        + loan_fx["current_portion_long_term_borrowings"][:, 0]
    )
    opening_cash = _i(
        monthly * weak * rng.uniform(v["opening_cash_months"][0], v["opening_cash_months"][1], n)
        + weak * float(v["opening_cash_from_borrowings"]) * borrowed0
    )
    for t in range(T):
        start = fy_first[:, t] & (t > 0)
        re = np.where(start, re + ni_ytd, re)
        ytd = np.where(start, 0, ytd)
        ni_ytd = np.where(start, 0, ni_ytd)
        stb_interest = _i(stb * rate)
        pretax = pretax_base[:, t] - loan_fx["interest_expense"][:, t] - stb_interest
        ytd += pretax
        year_end = corp & (cal[t] == fye0)
        tax = np.where(year_end, _i(np.maximum(ytd, 0) * tax_rate) + per_capita, 0)
        ni_ytd += pretax - tax
        pay_month = cal[t] == (fye0 + 2) % 12
        itp = np.where(tax > 0, tax, np.where(pay_month & (t < arrears_from), 0, itp))
        if t == 0:
            re = opening_cash + non_cash[:, 0] - liabilities[:, 0] - itp - capital - ni_ytd
        cash_pre = liabilities[:, t] + itp + stb + capital + re + ni_ytd - non_cash[:, t]
        floor = _i(floor_scale * (1.0 - 0.8 * np.minimum(level[:, t], 1.0)))
        draw = np.where(cash_pre < floor, -(-(floor - cash_pre) // 100_000) * 100_000, 0)
        surplus = cash_pre - _i(repay_above)
        repay = np.where((draw == 0) & (surplus > 0), np.minimum(stb, surplus), 0)
        stb = stb + draw - repay
        cash[:, t] = cash_pre + draw - repay
        stb_m[:, t], re_m[:, t], itp_m[:, t], tax_m[:, t] = stb, re, itp, tax
        m["interest_expense"][:, t] += stb_interest
    m["cash_and_deposits"] = cash
    m["short_term_borrowings"] = stb_m
    m["retained_earnings"] = re_m
    m["income_taxes_payable"] = itp_m
    m["income_taxes"] = tax_m
