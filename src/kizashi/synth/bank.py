"""Synthetic money that moved: bank transactions, invoices and open items consistent with the books,
and a known share of businesses whose books and bank disagree (``bank_truth``).

``kizashi synth --bank`` adds four tables beside the portfolio (the columns of
``kizashi.store.analytics_schema``'s money tables, plus the truth table):

* ``bank_transactions``: one account per business over the last ``months`` months of the panel,
  ~``tx_per_month`` movements a month. The month's flows come from the business's own trial
  balance: customer deposits = 売上債権(前月末) + 売上高 − 売上債権(月末); payroll (役員報酬 +
  給料 + 賞与), 法定福利費 as social insurance, 地代家賃, 水道光熱費 + 通信費, 租税公課; the loans'
  instalments on the day they were paid (principal and interest, from ``repayments.paid_on``);
  the other cash costs as supplier payments; and one balancing movement, so that **the balance
  at every month end equals the books' 現金及び預金**. ``balance_yen`` is the running balance.
* ``invoices``: invoices issued each month totalling that month's 売上高 (due the next month end;
  unpaid when due after the last month).
* ``open_items``: the 売掛金・買掛金 schedule at the last month end, equal to the books' 売上債権
  and 買入債務, split over customers and suppliers.
* ``bank_truth``: (business_id, kind, from_month) of every planted discrepancy (``PLANTS``).

Planted discrepancies (each in ``share / len(PLANTS)`` of the businesses, from a month 3–8
months before the last): see ``PLANTS``. Two of them change the books themselves (rounded
figures, hidden borrowings: the panel's leaves and subtotals are rewritten for those rows, the
balance sheet still balances); the others change the bank or invoice side only.

Vectorised per block of 1,000 businesses (``default_rng([seed, 7, block])``), no loop per
business or transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizashi.domain.bank_features import ROUND_ITEMS
from kizashi.domain.panel import item_columns, subtotal_values

from .calendar import month_index, month_of, to_dates

BANK_TABLES = ("bank_transactions", "invoices", "open_items", "bank_truth")
# kind → what is planted (ja text in docs/monitoring.md, 真贋性)
PLANTS = (
    "cash_overstated",  # an unrecorded withdrawal: the bank holds less than the books say
    "sales_overstated",  # books' sales above invoices issued and deposits (40 % made up)
    "receivables_overstated",  # books' receivables twice the receivable schedule
    "borrowings_understated",  # books hide 40 % of the lenders' loan balance (in equity)
    "round_figures",  # books' expenses and sales rounded to ¥100,000
    "fabricated_statement",  # supplier payments with made-up amounts (digits break Benford)
    "regular_payments_stopped",  # payroll and social insurance stop (paid some other way)
    "high_rate_lender",  # a factoring company appears: proceeds and repayments
    "negative_balance",  # an overdraft early in the month, repaid mid-month
    "customer_concentration",  # one customer makes 85 % of the deposits
)
_DESCRIPTIONS = (
    "振込入金",  # 0 sales_receipt
    "給与振込",  # 1 payroll
    "社会保険料",  # 2
    "家賃",  # 3
    "電気料金",  # 4
    "国税",  # 5
    "融資返済",  # 6
    "利息",  # 7
    "振込",  # 8 supplier payment
    "その他",  # 9 balancing
    "ファクタリング",  # 10
    "当座貸越",  # 11
)
_KINDS = (
    "sales_receipt",
    "payroll",
    "social_insurance",
    "rent",
    "utilities",
    "tax",
    "loan_repayment",
    "interest",
    "other",
    "high_rate_lender",
    "transfer",
)
_KIND_OF = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10], dtype=np.int32)  # description → kind
_FIXED_DAY = {1: 25, 2: 28, 3: 27, 4: 20, 5: 10, 9: 15}
_N_PARTIES = 60


@dataclass(frozen=True)
class BankOptions:
    months: int = 12
    tx_per_month: int = 100
    share: float = 0.10  # businesses with a planted discrepancy (split evenly over PLANTS)
    seed: int = 0


def _counterparties() -> pa.Array:
    names = [f"取引先{k:02d}" for k in range(_N_PARTIES)]
    names += [f"仕入先{k:02d}" for k in range(_N_PARTIES)]
    names += ["(株)シヨウキン", "ソウゴウフリコミ", "ｶ)ﾌｧｸﾀﾘﾝｸﾞｼｴｱ", "ｷﾞﾝｺｳ"]
    return pa.array(names, pa.string())


_PARTY = _counterparties()
_CUSTOMER, _SUPPLIER, _BANKISH, _FACTOR, _BANK = (
    0,
    _N_PARTIES,
    2 * _N_PARTIES,
    2 * _N_PARTIES + 2,
    2 * _N_PARTIES + 3,
)


def _split(
    rng: np.random.Generator,
    totals: np.ndarray,
    owner: np.ndarray,
    uniform: np.ndarray | None = None,
) -> np.ndarray:
    """Split ``totals[owner]`` over the items of each owner (random shares, exact to the yen)."""
    w = rng.exponential(1.0, owner.size) if uniform is None else uniform
    s = np.bincount(owner, weights=w, minlength=totals.size)
    amt = np.floor(totals[owner] * (w / np.where(s[owner] > 0, s[owner], 1))).astype(np.int64)
    rest = totals - np.bincount(owner, weights=amt, minlength=totals.size).astype(np.int64)
    first = np.r_[True, owner[1:] != owner[:-1]]
    amt[first] += rest[owner[first]]
    return amt


def _col(panel: pa.Table, name: str) -> np.ndarray:
    return np.array(panel.column(name).to_numpy(zero_copy_only=False), dtype=np.int64)


def plan_plants(
    ids: np.ndarray, loan_balance_at: dict[int, int], opts: BankOptions, end_mi: int
) -> dict[str, np.ndarray]:
    """Which businesses get which plant, and from which month: business_id → (kind, from)."""
    rng = np.random.default_rng([opts.seed, 7, int(ids[0]) if ids.size else 0, 1])
    n = ids.size
    kind = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    planted = u < opts.share
    kind[planted] = (u[planted] / opts.share * len(PLANTS)).astype(np.int64) % len(PLANTS)
    # hidden borrowings need borrowings to hide
    hb = PLANTS.index("borrowings_understated")
    kind[(kind == hb) & (np.array([loan_balance_at.get(int(i), 0) for i in ids]) < 5_000_000)] = -1
    start = end_mi - rng.integers(3, 9, n)
    return {"business_id": ids, "kind": kind, "from_mi": start}


def bank_chunk(
    panel: pa.Table,
    repayments: pa.Table,
    loan_balances: pa.Table,
    end_mi: int,
    opts: BankOptions,
) -> tuple[pa.Table, Iterator[dict[str, pa.Table]]]:
    """The chunk's panel (with the books-side plants applied) and its bank tables per block."""
    ids = np.unique(np.asarray(panel.column("business_id").to_numpy(), dtype=np.int64))
    lb_month = month_of(np.asarray(loan_balances.column("month").to_numpy(), dtype="datetime64[D]"))
    lb_end = loan_balances.filter(pa.array(lb_month == end_mi))
    lb_map = dict(
        zip(
            lb_end.column("business_id").to_pylist(),
            lb_end.column("loan_balance").to_pylist(),
            strict=True,
        )
    )
    plan = plan_plants(ids, lb_map, opts, end_mi)
    panel = _plant_books(panel, plan)

    def blocks() -> Iterator[dict[str, pa.Table]]:
        for lo in range(0, ids.size, 1000):
            sel = ids[lo : lo + 1000]
            mask = pc.is_in(panel.column("business_id"), pa.array(sel))
            p = panel.filter(mask)
            r = repayments.filter(
                pc.is_in(pc.divide(repayments.column("loan_id"), 10), pa.array(sel))
            )
            part = {k: v[lo : lo + 1000] for k, v in plan.items()}
            yield _block(p, r, part, end_mi, opts)

    return panel, blocks()


def _plant_books(panel: pa.Table, plan: dict[str, np.ndarray]) -> pa.Table:
    """Rounded figures and hidden borrowings, written into the books (leaves and subtotals)."""
    bid = np.asarray(panel.column("business_id").to_numpy(), dtype=np.int64)
    mi = month_of(np.asarray(panel.column("month").to_numpy(), dtype="datetime64[D]"))
    pos = np.searchsorted(plan["business_id"], bid)
    kind, start = plan["kind"][pos], plan["from_mi"][pos]
    rnd = (kind == PLANTS.index("round_figures")) & (mi >= start)
    hid = (kind == PLANTS.index("borrowings_understated")) & (mi >= start)
    if not (rnd.any() or hid.any()):
        return panel
    leaves = {c: _col(panel, c) for c in item_columns()}
    resid = np.zeros(bid.size, dtype=np.int64)
    for c in ROUND_ITEMS:
        v = leaves[c]
        r = np.where(rnd, (v + 50_000) // 100_000 * 100_000, v)
        resid += np.where(c == "sales", -(r - v), r - v)
        leaves[c] = r
    leaves["other_sga"] = leaves["other_sga"] - resid  # the P/L result is unchanged
    borrowed = leaves["long_term_borrowings"] + leaves["short_term_borrowings"]
    d = np.where(hid, borrowed * 2 // 5, 0)
    lt = np.minimum(d, leaves["long_term_borrowings"])
    leaves["long_term_borrowings"] -= lt
    leaves["short_term_borrowings"] -= d - lt
    leaves["retained_earnings"] += d  # the balance sheet still balances
    out = panel
    for c, v in {**leaves, **subtotal_values(leaves)}.items():
        if c in out.column_names:
            out = out.set_column(out.column_names.index(c), c, pa.array(v, pa.int64()))
    return out


def _block(
    panel: pa.Table,
    repayments: pa.Table,
    plan: dict[str, np.ndarray],
    end_mi: int,
    opts: BankOptions,
) -> dict[str, pa.Table]:
    ids = plan["business_id"]
    rng = np.random.default_rng([opts.seed, 7, int(ids[0]), 2])
    first_mi = end_mi - opts.months + 1
    months = month_of(np.asarray(panel.column("month").to_numpy(), dtype="datetime64[D]"))
    panel = panel.take(pa.array(np.lexsort((months, panel.column("business_id").to_numpy()))))
    bid = np.asarray(panel.column("business_id").to_numpy(), dtype=np.int64)
    mi = month_of(np.asarray(panel.column("month").to_numpy(), dtype="datetime64[D]"))
    prev_ok = np.r_[False, (bid[1:] == bid[:-1]) & (mi[1:] == mi[:-1] + 1)]
    rows = np.flatnonzero(prev_ok & (mi >= first_mi) & (mi <= end_mi))
    prev = rows - 1
    g = {
        c: _col(panel, c)
        for c in (
            "cash_and_deposits",
            "sales",
            "trade_receivables",
            "trade_payables",
            "salaries",
            "officer_compensation",
            "bonuses",
            "legal_welfare",
            "rent",
            "utilities",
            "communication",
            "taxes_and_dues",
            "cost_of_sales",
            "sga_expenses",
            "depreciation_total",
        )
    }
    R = rows.size
    b, m = bid[rows], mi[rows]
    pos = np.searchsorted(ids, b)
    kind, start = plan["kind"][pos], plan["from_mi"][pos]
    on = m >= start

    def planted(name: str) -> np.ndarray:
        return (kind == PLANTS.index(name)) & on

    cash, cash_prev = g["cash_and_deposits"][rows], g["cash_and_deposits"][prev]
    receipts = np.maximum(
        0, g["trade_receivables"][prev] + g["sales"][rows] - g["trade_receivables"][rows]
    )
    payroll = g["salaries"][rows] + g["officer_compensation"][rows] + g["bonuses"][rows]
    social, rent = g["legal_welfare"][rows], g["rent"][rows]
    util = g["utilities"][rows] + g["communication"][rows]
    tax = g["taxes_and_dues"][rows]
    supplier = np.maximum(
        0,
        g["cost_of_sales"][rows]
        + g["sga_expenses"][rows]
        - g["depreciation_total"][rows]
        - payroll
        - social
        - rent
        - util
        - tax,
    )
    # loans: instalments paid in the window, by (business, month)
    rp_paid = repayments.filter(pc.is_valid(repayments.column("paid_on")))
    paid_on = np.asarray(rp_paid.column("paid_on").to_numpy(), dtype="datetime64[D]")
    rp_b = np.asarray(rp_paid.column("loan_id").to_numpy(), dtype=np.int64) // 10
    rp_m = month_of(paid_on)
    key_rows = b * 1000 + (m - first_mi)
    rp_key = rp_b * 1000 + (rp_m - first_mi)
    idx = np.searchsorted(key_rows, rp_key)
    hit = (rp_m >= first_mi) & (rp_m <= end_mi) & (idx < R)
    hit[hit] &= key_rows[idx[hit]] == rp_key[hit]
    loan_p = np.bincount(
        idx[hit], weights=np.asarray(rp_paid.column("principal").to_numpy())[hit], minlength=R
    ).astype(np.int64)
    loan_i = np.bincount(
        idx[hit], weights=np.asarray(rp_paid.column("interest").to_numpy())[hit], minlength=R
    ).astype(np.int64)
    loan_day = np.full(R, 20, dtype=np.int64)
    loan_day[idx[hit]] = (paid_on[hit] - paid_on[hit].astype("datetime64[M]")).astype(np.int64) + 1

    # bank-side plants (the balancing movement keeps each month end equal to the books)
    receipts = np.where(planted("sales_overstated"), receipts * 3 // 5, receipts)
    stopped = planted("regular_payments_stopped")
    withdrawn = np.zeros(R, dtype=np.int64)
    co = planted("cash_overstated")
    first_co = co & (m == start)
    withdrawn[first_co] = np.maximum(1_000_000, cash[first_co] // 4)
    # the bank's balance is the books' less what was withdrawn since the plant
    co_amt = np.zeros(ids.size, dtype=np.int64)
    np.add.at(co_amt, pos[first_co], withdrawn[first_co])
    bank_cash = cash - np.where(co, co_amt[pos], 0)
    bank_prev = cash_prev - np.where(co & (m > start), co_amt[pos], 0)
    hr = np.flatnonzero(planted("high_rate_lender"))
    big = np.maximum(500_000, receipts[hr] // 3)
    fee = np.zeros(R, dtype=np.int64)
    fee[hr] = big // 20  # what the factoring company keeps
    known = (
        -fee
        + receipts
        - supplier
        - np.where(stopped, 0, payroll + social)
        - rent
        - util
        - tax
        - loan_p
        - loan_i
    )
    other = (bank_cash - bank_prev) - known

    # ---- the transactions: fixed lines, then receipts and supplier payments
    fixed_amounts = [
        (1, -np.where(stopped, 0, payroll)),
        (2, -np.where(stopped, 0, social)),
        (3, -rent),
        (4, -util),
        (5, -tax),
        (6, -loan_p),
        (7, -loan_i),
        (9, other),
    ]
    parts: list[tuple[np.ndarray, ...]] = []  # (row, day, amount, desc, party)
    for code, amt in fixed_amounts:
        sel = np.flatnonzero(amt != 0)
        day = loan_day[sel] if code in (6, 7) else np.full(sel.size, _FIXED_DAY[code])
        party = np.full(sel.size, _BANK if code in (6, 7) else _BANKISH + (code % 2))
        parts.append((sel, day, amt[sel], np.full(sel.size, code), party))
    for hr_day, sign in ((5, 1), (26, -1)):
        parts.append(
            (
                hr,
                np.full(hr.size, hr_day),
                sign * (big + (big // 20 if sign < 0 else 0)),
                np.full(hr.size, 10),
                np.full(hr.size, _FACTOR),
            )
        )
    nb = np.flatnonzero(planted("negative_balance"))
    od = np.abs(bank_prev[nb]) + np.maximum(300_000, receipts[nb] // 2)
    parts.append((nb, np.full(nb.size, 2), -od, np.full(nb.size, 11), np.full(nb.size, _BANK)))
    parts.append((nb, np.full(nb.size, 16), od, np.full(nb.size, 11), np.full(nb.size, _BANK)))

    n_var = max(opts.tx_per_month - 8, 2)
    share_r = rng.uniform(0.2, 0.6, ids.size)[pos]
    n_r = np.maximum(1, (n_var * share_r).astype(np.int64)) * (receipts > 0)
    n_p = np.maximum(1, n_var - n_r) * (supplier > 0)
    rr = np.repeat(np.arange(R), n_r)
    zipf = rng.uniform(0.6, 1.6, ids.size)[pos]
    cust = np.minimum((rng.pareto(zipf[rr]) * 2).astype(np.int64), _N_PARTIES - 1)
    conc = planted("customer_concentration")[rr]
    w = rng.exponential(1.0, rr.size)
    firsts = np.r_[True, rr[1:] != rr[:-1]] if rr.size else np.zeros(0, bool)
    cust = np.where(conc, np.where(firsts, 0, cust + 1), cust)
    nr_per = np.bincount(rr, minlength=R)
    w = np.where(conc & firsts, 0.85 / 0.15 * np.maximum(nr_per[rr] - 1, 1), w)
    r_amt = _split(rng, receipts, rr, w)
    parts.append(
        (rr, rng.integers(1, 29, rr.size), r_amt, np.zeros(rr.size, np.int64), _CUSTOMER + cust)
    )
    pr = np.repeat(np.arange(R), n_p)
    fab = planted("fabricated_statement")[pr]
    wp = np.where(
        fab,
        rng.uniform(1, 10, pr.size) * 10.0 ** rng.integers(0, 2, pr.size),
        10.0 ** rng.uniform(0, 3, pr.size),  # log-uniform over whole decades: Benford
    )
    p_amt = _split(rng, supplier, pr, wp)
    sup = np.minimum((rng.pareto(1.0, pr.size) * 3).astype(np.int64), _N_PARTIES - 1)
    parts.append((pr, rng.integers(1, 29, pr.size), -p_amt, np.full(pr.size, 8), _SUPPLIER + sup))

    row = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts]).astype(np.int64)
    amount = np.concatenate([p[2] for p in parts]).astype(np.int64)
    desc = np.concatenate([p[3] for p in parts]).astype(np.int64)
    party = np.concatenate([p[4] for p in parts]).astype(np.int64)
    booked = to_dates(m[row], day)
    # sort: business, date, money in before money out
    o = np.lexsort((amount < 0, booked, b[row]))
    row, booked, amount, desc, party = row[o], booked[o], amount[o], desc[o], party[o]
    tb = b[row]
    start_of = np.r_[True, tb[1:] != tb[:-1]]
    csum = np.cumsum(amount)
    base = np.maximum.accumulate(np.where(start_of, np.arange(tb.size), 0))
    balance = bank_prev[row[base]] + csum - csum[base] + amount[base]
    tx = pa.table(
        {
            "business_id": pa.array(tb.astype(np.int32)),
            "account_id": pa.array((tb * 10 + 1).astype(np.int32)),
            "booked_on": pa.array(booked, pa.date32()),
            "amount_yen": pa.array(amount),
            "balance_yen": pa.array(balance),
            "counterparty": pa.DictionaryArray.from_arrays(
                pa.array(party.astype(np.int32)), _PARTY
            ),
            "description": pa.DictionaryArray.from_arrays(
                pa.array(desc.astype(np.int32)), pa.array(_DESCRIPTIONS)
            ),
            "kind": pa.DictionaryArray.from_arrays(pa.array(_KIND_OF[desc]), pa.array(_KINDS)),
        }
    )
    return {
        "bank_transactions": tx,
        "invoices": _invoices(rng, b, m, g["sales"][rows], planted("sales_overstated"), end_mi),
        "open_items": _open_items(rng, b, m, g, rows, planted("receivables_overstated"), end_mi),
        "bank_truth": _truth(plan),
    }


def _month_end(mi: np.ndarray) -> np.ndarray:
    return to_dates(mi + 1) - np.timedelta64(1, "D")


def _invoices(
    rng: np.random.Generator,
    b: np.ndarray,
    m: np.ndarray,
    sales: np.ndarray,
    cut: np.ndarray,
    end_mi: int,
) -> pa.Table:
    total = np.where(cut, sales * 3 // 5, sales)
    k = np.where(total > 0, rng.integers(2, 9, b.size), 0)
    owner = np.repeat(np.arange(b.size), k)
    amt = _split(rng, total, owner)
    seq = np.arange(owner.size) - np.repeat(np.cumsum(k) - k, k)
    due = _month_end(m[owner] + 1)
    ids = pc.binary_join_element_wise(
        pc.cast(pa.array(b[owner]), pa.string()),
        pc.cast(pa.array(m[owner] * 10 + seq), pa.string()),
        "-",
    )
    t = pa.table(
        {
            "business_id": pa.array(b[owner].astype(np.int32)),
            "invoice_id": ids,
            "direction": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(owner.size, np.int32)), pa.array(["issued"])
            ),
            "counterparty": pa.DictionaryArray.from_arrays(pa.array(seq.astype(np.int32)), _PARTY),
            "issue_date": pa.array(_month_end(m[owner]), pa.date32()),
            "due_date": pa.array(due, pa.date32()),
            "total_yen": pa.array(amt),
            "tax_yen": pa.array(amt // 11),
            "paid": pa.array(m[owner] + 1 <= end_mi),
            # paid in full or not at all: no part payments in the synthetic portfolio
            "payable_yen": pa.array(amt),
            "settled_yen": pa.array(np.where(m[owner] + 1 <= end_mi, amt, 0)),
        }
    )
    return t


def _open_items(
    rng: np.random.Generator,
    b: np.ndarray,
    m: np.ndarray,
    g: dict[str, np.ndarray],
    rows: np.ndarray,
    cut: np.ndarray,
    end_mi: int,
) -> pa.Table:
    last = np.flatnonzero(m == end_mi)
    ar = g["trade_receivables"][rows][last]
    ar = np.where(cut[last], ar // 2, ar)
    ap = g["trade_payables"][rows][last]
    out_b, side, amt, party, due = [], [], [], [], []
    for s, total, base in ((0, ar, _CUSTOMER), (1, ap, _SUPPLIER)):
        k = np.where(total > 0, rng.integers(1, 6, last.size), 0)
        owner = np.repeat(np.arange(last.size), k)
        out_b.append(b[last][owner])
        side.append(np.full(owner.size, s))
        amt.append(_split(rng, total, owner))
        seq = np.arange(owner.size) - np.repeat(np.cumsum(k) - k, k)
        party.append(base + seq)
        due.append(_month_end(end_mi + 1 + (seq % 2)))
    t = pa.table(
        {
            "business_id": pa.array(np.concatenate(out_b).astype(np.int32)),
            "side": pa.DictionaryArray.from_arrays(
                pa.array(np.concatenate(side).astype(np.int32)), pa.array(["receivable", "payable"])
            ),
            "counterparty": pa.DictionaryArray.from_arrays(
                pa.array(np.concatenate(party).astype(np.int32)), _PARTY
            ),
            "due_date": pa.array(np.concatenate(due), pa.date32()),
            "amount_yen": pa.array(np.concatenate(amt).astype(np.int64)),
        }
    )
    return t


def _truth(plan: dict[str, np.ndarray]) -> pa.Table:
    k = plan["kind"] >= 0
    return pa.table(
        {
            "business_id": pa.array(plan["business_id"][k]),
            "kind": pa.array(np.asarray(PLANTS)[plan["kind"][k]], pa.string()),
            "from_month": pa.array(to_dates(plan["from_mi"][k]), pa.date32()),
        }
    )


__all__ = ["BANK_TABLES", "PLANTS", "BankOptions", "bank_chunk", "month_index"]
