"""Monthly P/L of each business: sales with seasonality, growth and the path's multiplier;
cost of sales by the industry's cost model (with 月次棚卸 inventory flows); fixed SG&A.

All matrices are (n businesses, T months). Money is computed in float64 and rounded to int64
yen once, per leaf; everything downstream (taxes, the balancing item) works on the integers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .businesses import Identity
from .calendar import Horizon
from .distress import Timelines
from .params import COST_LEAVES, FIXED_ASSET_LEAVES, INVENTORY_LEAVES, Params

SGA_OTHER = (
    "officer_compensation",
    "welfare",
    "subcontracting",
    "lease_expenses",
    "utilities",
    "travel",
    "communication",
    "advertising",
    "entertainment",
    "supplies",
    "taxes_and_dues",
    "insurance",
    "repairs",
    "commissions",
    "vehicle_expenses",
    "other_sga",
)
MFG_DEPRECIATION_SHARE = 0.6  # [INFERENCE] of depreciation booked in 製造原価 (mfg, construction)
DEPRECIATION_YEARS = 15  # [INFERENCE] average useful life of depreciable fixed assets


@dataclass(frozen=True)
class Economics:
    annual_sales: np.ndarray  # baseline annual sales at the window start (float)
    gross_margin: np.ndarray
    sga_ratio: np.ndarray
    growth: np.ndarray
    receivable_days: np.ndarray
    inventory_days: np.ndarray
    payable_days: np.ndarray
    fixed_assets: np.ndarray  # gross depreciable (float)
    land: np.ndarray  # int64
    acc_dep0: np.ndarray  # opening accumulated depreciation (float)


def _i(x: np.ndarray) -> np.ndarray:
    return np.round(x).astype(np.int64)


def draw_economics(rng: np.random.Generator, who: Identity, params: Params) -> Economics:
    ind, v = params.industry, params.section("variation")
    k, n = who.industry, who.industry.size
    heads = np.maximum(who.employees + who.sole.astype(np.int64), 1)
    sales = (
        heads
        * ind["sales_per_employee"][k]
        * np.exp(v["sales_per_employee_sigma"] * rng.standard_normal(n))
    )
    gm = np.clip(ind["gross_margin"][k] + v["gross_margin_sd"] * rng.standard_normal(n), 0.05, 0.95)
    sga = ind["sga_ratio"][k] + v["sga_ratio_sd"] * rng.standard_normal(n)
    sga = np.clip(sga, 0.6 * ind["sga_ratio"][k], gm + 0.05)

    def days(name: str) -> np.ndarray:
        return ind[name][k] * np.exp(v["days_sigma"] * rng.standard_normal(n))

    fa = sales * ind["fixed_assets_ratio"][k] * np.exp(0.4 * rng.standard_normal(n))
    land_share = ind["land_share"][k] * (rng.random(n) < 0.7)  # [INFERENCE] 30% own no land
    return Economics(
        annual_sales=sales,
        gross_margin=gm,
        sga_ratio=sga,
        growth=ind["growth"][k] + v["growth_sd"] * rng.standard_normal(n),
        receivable_days=days("receivable_days"),
        inventory_days=days("inventory_days"),
        payable_days=days("payable_days"),
        fixed_assets=fa * (1 - land_share),
        land=_i(fa * land_share),
        acc_dep0=fa * (1 - land_share) * rng.uniform(0.3, 0.6, n),
    )


def stabilise_margins(
    rng: np.random.Generator, eco: Economics, path: np.ndarray, params: Params
) -> Economics:
    """Healthy and recovering businesses do not run at a structural operating loss.

    ``gross_margin`` and ``sga_ratio`` are drawn independently, so without this about a fifth
    of all businesses would lose money every month of the panel, drain their cash to the
    overdraft floor and slide into 債務超過 — yet, being ``healthy``, never have a credit event.
    A stable owner-managed business closes such a gap (in practice mostly through 役員報酬), so
    for paths other than distressed the SG&A ratio is capped at gross margin − a floor drawn
    uniformly from ``variation.stable_operating_margin_min`` [INFERENCE]. Distressed businesses
    keep their draw (their margins then thin further with the deterioration ramp).
    """
    lo, hi = params.section("variation")["stable_operating_margin_min"]
    floor = rng.uniform(lo, hi, eco.sga_ratio.size)
    cap = eco.gross_margin - floor
    sga = np.where(path != 2, np.minimum(eco.sga_ratio, cap), eco.sga_ratio)
    return replace(eco, sga_ratio=sga)


def _lag(x: np.ndarray) -> np.ndarray:
    """x[t-1], with x[-1] := x[0]."""
    return np.concatenate([x[:, :1], x[:, :-1]], axis=1)


def build_profit(
    rng: np.random.Generator,
    who: Identity,
    eco: Economics,
    tl: Timelines,
    level: np.ndarray,
    hz: Horizon,
    params: Params,
) -> dict[str, np.ndarray]:
    """P/L leaves (int64 matrices) plus helper matrices prefixed with ``_``."""
    ind, v = params.industry, params.section("variation")
    k, n, T = who.industry, who.industry.size, hz.T
    cal = hz.calendar_month0()
    t_rel = (np.arange(T) - hz.t_window)[None, :] / 12.0
    season = ind.seasonality[k][:, cal]
    trend = (1.0 + eco.growth[:, None]) ** t_rel
    mult = 1.0 - tl.drop[:, None] * level
    sigma = v["monthly_noise_sigma"]
    noise = np.exp(sigma * rng.standard_normal((n, T)) - sigma**2 / 2)
    sales_f = eco.annual_sales[:, None] / 12 * season * trend * mult * noise
    out: dict[str, np.ndarray] = {"sales": _i(sales_f)}
    cogs_f = sales_f * (1.0 - (eco.gross_margin[:, None] - tl.squeeze[:, None] * level))

    # inventory on a 3-month average of cost of sales; days stretch as the business weakens
    smooth = (cogs_f + _lag(cogs_f) + _lag(_lag(cogs_f))) / 3.0
    stretch = 1.0 + tl.stretch[:, None] * level
    inv_total = smooth * eco.inventory_days[:, None] * stretch / 30.0
    for j, leaf in enumerate(INVENTORY_LEAVES):
        out[leaf] = _i(inv_total * ind.inventory_weights[k, j][:, None])

    # depreciation: straight line until 95% written off
    cap = 0.95 * eco.fixed_assets
    acc = np.minimum(
        eco.acc_dep0[:, None]
        + eco.fixed_assets[:, None] / (12 * DEPRECIATION_YEARS) * (np.arange(T) + 1)[None, :],
        np.maximum(cap, eco.acc_dep0)[:, None],
    )
    acc_i = _i(acc)
    dep = np.diff(acc_i, axis=1, prepend=_i(eco.acc_dep0)[:, None])
    mfg_share = np.where(np.isin(ind.cost_model[k], (1, 2)), MFG_DEPRECIATION_SHARE, 0.0)
    out["mfg_depreciation"] = _i(dep * mfg_share[:, None])
    out["depreciation"] = dep - out["mfg_depreciation"]
    out["accumulated_depreciation"] = acc_i
    for j, leaf in enumerate(FIXED_ASSET_LEAVES):
        out[leaf] = np.repeat(_i(eco.fixed_assets * ind.fixed_asset_weights[k, j])[:, None], T, 1)

    for j, leaf in enumerate(COST_LEAVES):
        out[leaf] = _i(cogs_f * ind.cost_weights[k, j][:, None])
    out["mfg_overhead"] = np.maximum(out["mfg_overhead"] - out["mfg_depreciation"], 0)
    # 月次棚卸: monthly flows are differences of the cumulative (fiscal-year-to-date) figures
    prod = out["merchandise_and_products"]
    fy_first = cal[None, :] == (who.fiscal_year_end_month[:, None] % 12)
    prev = _lag(prod)
    out["beginning_inventory"] = np.where(fy_first, prev, 0)
    out["ending_inventory"] = np.where(fy_first, prod, prod - prev)
    into = np.where(
        ind.cost_weights[k, COST_LEAVES.index("purchases")] > 0, "purchases", "mfg_materials"
    )
    delta = prod - prev
    for leaf in ("purchases", "mfg_materials"):
        out[leaf] = np.maximum(out[leaf] + np.where((into == leaf)[:, None], delta, 0), 0)

    _sga(rng, out, who, eco, hz, params, trend, cal)
    misc = eco.annual_sales * rng.uniform(0.0, 0.004, n)
    out["misc_income"] = _i(misc[:, None] / 12 * noise)
    out["_sales_f"] = sales_f
    out["_cogs_f"] = cogs_f
    out["_stretch"] = stretch
    out["_fy_first"] = fy_first
    return out


def _sga(
    rng: np.random.Generator,
    out: dict[str, np.ndarray],
    who: Identity,
    eco: Economics,
    hz: Horizon,
    params: Params,
    trend: np.ndarray,
    cal: np.ndarray,
) -> None:
    """販管費: a fixed monthly budget (it does not shrink when sales fall) split over items."""
    k, (n, T) = who.industry, trend.shape
    split = params.section("sga_split")
    welfare_rate = float(params.raw["legal_welfare_rate"])
    bonus = params.raw["bonus_months"]
    budget = eco.annual_sales[:, None] / 12 * eco.sga_ratio[:, None] * trend
    rent = _i(budget * params.industry["rent_weight"][k][:, None])
    out["rent"] = rent
    rest = np.maximum(budget - rent - out["depreciation"], 0.2 * budget)
    total_w = sum(split.values())
    bonus_by_month = np.zeros(12)
    for month, months_pay in bonus.items():
        bonus_by_month[int(month) - 1] = months_pay
    pay_pool = rest * split["salaries"] / total_w
    salaries = pay_pool * 12 / ((12 + bonus_by_month.sum()) * (1 + welfare_rate))
    out["salaries"] = _i(salaries)
    out["bonuses"] = _i(salaries * bonus_by_month[cal][None, :])
    out["legal_welfare"] = _i((out["salaries"] + out["bonuses"]) * welfare_rate)
    for leaf in SGA_OTHER:
        wiggle = np.exp(0.08 * rng.standard_normal((n, T)))
        out[leaf] = _i(rest * split[leaf] / total_w * wiggle)
    out["guarantee_deposits"] = rent[:, :1].repeat(T, 1) * 6
    out["prepaid_expenses"] = rent[:, :1].repeat(T, 1)
