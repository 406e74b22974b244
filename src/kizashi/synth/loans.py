"""Loans, repayment schedules (as amended by 条件変更, with what was actually paid) and
their effect on each business's monthly balance sheet.

Repayment is 元金均等 (equal principal) monthly after the 据置期間; interest is charged monthly on
the balance before the instalment. A 条件変更 replaces the schedule after its month with a new
principal deferral and a longer term. During 延滞 instalments are not paid (``paid_mi`` NONE, or
the month the arrears were cured); after 代位弁済 the schedule ends (the loan was accelerated and
the guarantee corporation paid the bank).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Horizon, parse_month
from .distress import NONE, Timelines
from .params import Params


@dataclass(frozen=True)
class LoanBook:
    business: np.ndarray  # local business index, sorted
    seq: np.ndarray  # 0.. within the business (loan_id = business_id * 10 + seq)
    lender: np.ndarray
    guaranteed: np.ndarray
    ratio_pct: np.ndarray  # 100, 80, or 0 when not guaranteed
    original: np.ndarray
    start_mi: np.ndarray
    grace_end_mi: np.ndarray  # last month without principal (contract)
    maturity_mi: np.ndarray  # contractual maturity (before any 条件変更)
    maturity_now_mi: np.ndarray  # maturity as amended by 条件変更
    rate_bp: np.ndarray
    due_day: np.ndarray
    # schedule rows (grouped by loan, in due order)
    row_loan: np.ndarray
    row_mi: np.ndarray
    principal: np.ndarray
    interest: np.ndarray
    paid_mi: np.ndarray  # month the instalment was paid; NONE = unpaid at end_month or future
    balance_end: np.ndarray
    last_mi: np.ndarray  # month of the last schedule row


def _uniform_month(rng: np.random.Generator, span: list[str], n: int) -> np.ndarray:
    return rng.integers(parse_month(span[0]), parse_month(span[1]) + 1, n)


def _amount(rng: np.random.Generator, monthly: np.ndarray, span: list[float]) -> np.ndarray:
    raw = monthly * rng.uniform(span[0], span[1], monthly.size)
    return np.maximum(np.round(raw / 100_000) * 100_000, 1_000_000).astype(np.int64)


def _draw_contracts(
    rng: np.random.Generator,
    monthly_sales: np.ndarray,
    founded_mi: np.ndarray,
    tl: Timelines,
    hz: Horizon,
    params: Params,
) -> dict[str, np.ndarray]:
    cfg = params.section("loans")
    n = monthly_sales.size
    parts: list[dict[str, np.ndarray]] = []
    # no new money once 条件変更 or 延滞 has happened (nor after it, if it lies in the future)
    cutoff = hz.sim_start + np.minimum(tl.restructuring, tl.delinquency) - 1

    def add(
        mask: np.ndarray,
        start: np.ndarray,
        amount: np.ndarray,
        grace_m: np.ndarray,
        term_m: np.ndarray,
        rate: list[int],
        guaranteed: bool,
        ratio: int,
    ) -> None:
        idx = np.flatnonzero(mask)
        start = np.clip(start[idx], founded_mi[idx], np.minimum(hz.end - 1, cutoff[idx]))
        term = np.maximum(term_m[idx], grace_m[idx] + 12)
        parts.append(
            {
                "business": idx,
                "start_mi": start,
                "grace_end_mi": start + grace_m[idx],
                "maturity_mi": start + term,
                "original": amount[idx],
                "rate_bp": rng.integers(rate[0], rate[1] + 1, idx.size),
                "guaranteed": np.full(idx.size, guaranteed),
                "ratio_pct": np.full(idx.size, ratio if guaranteed else 0),
            }
        )

    cv = cfg["covid"]
    has_covid = (rng.random(n) < cv["share"]) & (founded_mi <= parse_month(cv["start"][1]))
    grace_years = rng.choice(
        np.arange(cv["grace_years"][0], cv["grace_years"][1] + 1),
        size=n,
        p=np.asarray(cv["grace_weights"]) / sum(cv["grace_weights"]),
    )
    add(
        has_covid,
        _uniform_month(rng, cv["start"], n),
        np.minimum(_amount(rng, monthly_sales, cv["amount_months_of_sales"]), cv["amount_cap"]),
        grace_years * 12,
        rng.integers(cv["term_years"][0], cv["term_years"][1] + 1, n) * 12,
        cv["rate_bp"],
        True,
        100,
    )

    od = cfg["ordinary"]
    count = rng.choice(3, size=n, p=np.asarray(od["count_weights"]) / sum(od["count_weights"]))
    count = np.where(~has_covid & (count == 0), 1, count)  # everyone holds a guaranteed loan
    for k in (1, 2):
        add(
            count >= k,
            _uniform_month(rng, od["start"], n),
            _amount(rng, monthly_sales, od["amount_months_of_sales"]),
            rng.integers(od["grace_months"][0], od["grace_months"][1] + 1, n),
            rng.integers(od["term_years"][0], od["term_years"][1] + 1, n) * 12,
            od["rate_bp"],
            True,
            80,
        )

    pr = cfg["proper"]
    add(
        rng.random(n) < pr["share"],
        _uniform_month(rng, pr["start"], n),
        _amount(rng, monthly_sales, pr["amount_months_of_sales"]),
        rng.integers(pr["grace_months"][0], pr["grace_months"][1] + 1, n),
        rng.integers(pr["term_years"][0], pr["term_years"][1] + 1, n) * 12,
        pr["rate_bp"],
        False,
        0,
    )

    # a rescue loan for some distressed businesses, while they deteriorate
    rescue_ok = tl.rescue < hz.T
    add(
        rescue_ok,
        hz.sim_start + np.minimum(tl.rescue, hz.T - 1),
        _amount(rng, monthly_sales, [1.0, 2.0]),
        np.full(n, 6),
        rng.integers(5, 8, n) * 12,
        od["rate_bp"],
        True,
        80,
    )

    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((out["start_mi"], out["business"]))
    out = {k: v[order] for k, v in out.items()}
    m = out["business"].size
    out["lender"] = rng.choice(3, size=m, p=np.asarray(cfg["lender_weights"]))
    out["due_day"] = rng.choice(np.asarray(cfg["due_days"]), size=m)
    first = np.r_[True, out["business"][1:] != out["business"][:-1]]
    starts = np.flatnonzero(first)
    out["seq"] = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))
    return out


def _event_mi(t: np.ndarray, hz: Horizon) -> np.ndarray:
    """Realised events only (t inside the simulation) as month indices, else NONE."""
    return np.where(t < hz.T, hz.sim_start + t, NONE)


def build_loans(
    rng: np.random.Generator,
    monthly_sales: np.ndarray,
    founded_mi: np.ndarray,
    tl: Timelines,
    hz: Horizon,
    params: Params,
) -> LoanBook:
    c = _draw_contracts(rng, monthly_sales, founded_mi, tl, hz, params)
    dcfg = params.section("distress")
    b = c["business"]
    m = b.size
    r_mi = _event_mi(tl.restructuring, hz)[b]
    q_mi = _event_mi(tl.delinquency, hz)[b]
    cure_mi = _event_mi(tl.cure, hz)[b]
    s_mi = _event_mi(tl.subrogation, hz)[b]
    start, grace, mat, orig = c["start_mi"], c["grace_end_mi"], c["maturity_mi"], c["original"]

    restructured = (r_mi > start) & (r_mi < mat)
    defer = rng.integers(
        dcfg["restructuring_deferral_months"][0], dcfg["restructuring_deferral_months"][1] + 1, m
    )
    extend = rng.integers(
        dcfg["restructuring_extension_months"][0], dcfg["restructuring_extension_months"][1] + 1, m
    )
    n_inst = mat - grace
    p0 = orig // n_inst
    paid_by_r = p0 * np.clip(r_mi - grace, 0, n_inst)
    bal_r = orig - paid_by_r
    grace2 = r_mi + defer
    mat2 = np.maximum(mat + extend, grace2 + 12)
    n2 = np.where(restructured, mat2 - grace2, 1)
    p2 = bal_r // n2
    last = np.where(restructured, mat2, mat)
    # 代位弁済 needs a guaranteed loan that was running when the instalments stopped
    running_g = c["guaranteed"] & (start < q_mi) & (q_mi <= last)
    s_mi = np.where(np.bincount(b, weights=running_g, minlength=b.max() + 1)[b] > 0, s_mi, NONE)
    last = np.where(s_mi < last, np.maximum(s_mi, start), last)  # accelerated at 代位弁済

    counts = np.maximum(last - start, 0)
    row_loan = np.repeat(np.arange(m), counts)
    offsets = np.cumsum(counts) - counts
    k = np.arange(row_loan.size) - offsets[row_loan]
    row_mi = start[row_loan] + 1 + k
    L = row_loan
    orig_rule = np.where(
        row_mi <= grace[L], 0, np.where(row_mi < mat[L], p0[L], orig[L] - p0[L] * (n_inst[L] - 1))
    )
    new_rule = np.where(
        row_mi <= grace2[L], 0, np.where(row_mi < mat2[L], p2[L], bal_r[L] - p2[L] * (n2[L] - 1))
    )
    principal = np.where(restructured[L] & (row_mi > r_mi[L]), new_rule, orig_rule).astype(np.int64)
    cum = np.cumsum(principal)
    before = cum - principal
    before = before - before[offsets[L]]  # principal due earlier in the same loan
    interest = np.round((orig[L] - before) * c["rate_bp"][L] / 120_000).astype(np.int64)

    missed = row_mi >= q_mi[L]
    missed &= (row_mi < cure_mi[L]) | (cure_mi[L] == NONE)
    paid_mi = np.where(missed, np.where(cure_mi[L] <= hz.end, cure_mi[L], NONE), row_mi)
    paid_mi = np.where(paid_mi <= hz.end, paid_mi, NONE)
    paid_principal = np.bincount(L, weights=np.where(paid_mi < NONE, principal, 0), minlength=m)
    return LoanBook(
        business=b,
        seq=c["seq"],
        lender=c["lender"],
        guaranteed=c["guaranteed"],
        ratio_pct=c["ratio_pct"],
        original=orig,
        start_mi=start,
        grace_end_mi=grace,
        maturity_mi=mat,
        maturity_now_mi=np.where(restructured, mat2, mat),
        rate_bp=c["rate_bp"],
        due_day=c["due_day"],
        row_loan=row_loan,
        row_mi=row_mi,
        principal=principal,
        interest=interest,
        paid_mi=paid_mi,
        balance_end=orig - paid_principal.astype(np.int64),
        last_mi=last,
    )


def _grid(loan: np.ndarray, t: np.ndarray, w: np.ndarray, m: int, width: int) -> np.ndarray:
    """Sum ``w`` into an (m, width) loan × month grid; t outside [0, width) is dropped."""
    ok = (t >= 0) & (t < width)
    flat = np.bincount(loan[ok] * width + t[ok], weights=w[ok], minlength=m * width)
    return np.round(flat).astype(np.int64).reshape(m, width)


def _to_business(grid: np.ndarray, business: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, grid.shape[1]), dtype=np.int64)
    np.add.at(out, business, grid)
    return out


def panel_effects(book: LoanBook, hz: Horizon, n: int) -> dict[str, np.ndarray]:
    """(n, T) matrices: 長期借入金, 1年内返済予定, 支払利息 and unpaid interest (未払費用)."""
    T, m = hz.T, book.business.size
    L = book.row_loan
    t_row = book.row_mi - hz.sim_start
    t_paid = np.where(book.paid_mi < NONE, np.maximum(book.paid_mi - hz.sim_start, 0), T)
    t_start = book.start_mi - hz.sim_start
    disbursed = np.arange(T)[None, :] >= t_start[:, None]
    orig_in = np.where(disbursed, book.original[:, None], 0)
    paid = _grid(L, t_paid, book.principal.astype(np.float64), m, T).cumsum(axis=1)
    balance = orig_in - paid
    sched = _grid(L, np.maximum(t_row, 0), book.principal.astype(np.float64), m, T + 12)
    due_within_year = sched.cumsum(axis=1)[:, 12:]
    long_term = np.where(disbursed, book.original[:, None] - due_within_year, 0)
    long_term = np.minimum(long_term, balance)
    interest_due = _grid(L, t_row, book.interest.astype(np.float64), m, T)
    in_sim = np.where(t_row >= 0, book.interest, 0).astype(np.float64)
    interest_paid = _grid(L, t_paid, in_sim, m, T)
    unpaid_interest = (interest_due - interest_paid).cumsum(axis=1)
    return {
        "long_term_borrowings": _to_business(long_term, book.business, n),
        "current_portion_long_term_borrowings": _to_business(balance - long_term, book.business, n),
        "interest_expense": _to_business(interest_due, book.business, n),
        "unpaid_interest": _to_business(unpaid_interest, book.business, n),
    }
