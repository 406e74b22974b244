"""Invoices matched to payments on planted truth (docs/performance.md, "Payment matching").

    .venv/bin/python bench/bench_matching.py --businesses 200

Per business: customers (half with kanji names, whose remitters the bank prints in half-width
kana — "unknown" to the name rule; half with katakana names — "same"), a year of invoices
(issued, due at the next month end) and the deposits that paid them, each invoice planted with
one behaviour: paid exactly, paid less a transfer fee, paid together with the customer's other
invoice of the month, paid in two parts by a remitter written as on the invoice, or not paid;
plus deposits from nobody's invoices (other income, random amounts). ``match_payments`` runs per
business; the table counts, per behaviour, the invoices settled by their own deposits (found),
settled or touched by another deposit (wrong: for part payments this is mostly the rule's
oldest-due-first order differing from the plant, the customer being right), the noise deposits
applied to an invoice (false matches) and the allocations of a customer's deposit to another
customer's invoice. The reference beside the timing is the simplest matcher: a dictionary of open
amounts looked up per deposit (exact amounts only), on the same data in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import time
from collections import Counter, defaultdict

from kizashi.domain.matching import Movement, OpenInvoice, match_payments

KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
KANJI = "山田川本中村井上木林森田島松竹梅東西南北大小高橋石原"
FEES = (110, 220, 330, 440, 550, 660, 770, 880)
BEHAVIOURS = ("exact", "fee", "combined", "partial", "unpaid")


def _business(rng: random.Random, b: int) -> tuple[list[OpenInvoice], list[Movement], dict]:
    customers = []
    for c in range(rng.randint(5, 30)):
        kana = "".join(rng.choice(KANA) for _ in range(rng.randint(3, 6)))
        if c % 2:
            name = "株式会社" + "".join(rng.choice(KANJI) for _ in range(3)) + f"{c}"
        else:
            name = kana + "株式会社"
        half = kana.translate(str.maketrans(KANA, "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜ"))
        customers.append((name, "ｶ)" + half))
    invoices: list[OpenInvoice] = []
    moves: list[Movement] = []
    truth: dict[int, tuple[str, set[int]]] = {}  # invoice → (behaviour, its deposits)
    noise: set[int] = set()
    iid = mid = b * 1_000_000
    for month in range(1, 13):
        for c, (name, remitter) in enumerate(customers):
            for _ in range(rng.randint(0, 3)):
                iid += 1
                issued = dt.date(2025, month, 28)
                due = dt.date(2025 + month // 12, month % 12 + 1, 28)
                amount = rng.randrange(10_000, 3_000_000)
                invoices.append(OpenInvoice(iid, "issued", b * 100 + c, name, issued, amount, due))
                kind = rng.choices(BEHAVIOURS, (60, 15, 10, 10, 5))[0]
                paid_on = due - dt.timedelta(days=rng.randint(0, 5))
                deps: set[int] = set()
                if kind == "exact" or kind == "combined":
                    mid += 1
                    moves.append(Movement(mid, paid_on, amount, remitter))
                    deps.add(mid)
                elif kind == "fee":
                    mid += 1
                    moves.append(Movement(mid, paid_on, amount - rng.choice(FEES), remitter))
                    deps.add(mid)
                elif kind == "partial":
                    first = amount // 3
                    for part, on in (
                        (first, paid_on),
                        (amount - first, paid_on + dt.timedelta(20)),
                    ):
                        mid += 1
                        moves.append(Movement(mid, on, part, f"振込 {name}"))
                        deps.add(mid)
                truth[iid] = (kind, deps)
        # "combined": this month's combined invoices of a customer paid in one deposit
        by_cust: dict[int, list[int]] = defaultdict(list)
        for inv in invoices[-60:]:
            if truth[inv.id][0] == "combined" and inv.issue_date.month == month:
                by_cust[inv.counterparty_id].append(inv.id)
        for ids in by_cust.values():
            if len(ids) < 2:
                for i in ids:
                    truth[i] = ("exact", truth[i][1])  # alone: it was an exact payment
                continue
            gone = set().union(*(truth[i][1] for i in ids))
            kept = [m for m in moves if m.id not in gone]
            total = sum(m.amount_yen for m in moves if m.id in gone)
            mid += 1
            on = max(m.booked_on for m in moves if m.id in gone)
            text = next(m.text for m in moves if m.id in gone)
            moves = [*kept, Movement(mid, on, total, text)]
            for i in ids:
                truth[i] = ("combined", {mid})
        for _ in range(rng.randint(0, 4)):  # other income from nobody's invoice
            mid += 1
            noise.add(mid)
            day = dt.date(2025, month, rng.randint(1, 28))
            moves.append(Movement(mid, day, rng.randrange(1_000, 3_000_000), "ｿﾉﾀ ﾆﾕｳｷﾝ"))
    return invoices, moves, {"truth": truth, "noise": noise}


def _reference(invoices: list[OpenInvoice], moves: list[Movement]) -> int:
    open_by_amount: dict[int, list[int]] = defaultdict(list)
    for inv in invoices:
        open_by_amount[inv.amount_yen].append(inv.id)
    hits = 0
    for m in sorted(moves, key=lambda m: (m.booked_on, m.id)):
        if open_by_amount.get(m.amount_yen):
            open_by_amount[m.amount_yen].pop(0)
            hits += 1
    return hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--businesses", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    data = [_business(rng, b) for b in range(1, a.businesses + 1)]
    n_inv = sum(len(i) for i, _, _ in data)
    n_mv = sum(len(m) for _, m, _ in data)
    t = time.perf_counter()
    results = [match_payments(i, m) for i, m, _ in data]
    took = time.perf_counter() - t
    t = time.perf_counter()
    for i, m, _ in data:
        _reference(i, m)
    ref = time.perf_counter() - t
    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    false_matches = 0
    other_customer = 0  # allocations of a customer's deposit to another customer's invoice
    for (invoices, _, meta), allocs in zip(data, results, strict=True):
        truth, noise = meta["truth"], meta["noise"]
        amount = {i.id: i.amount_yen for i in invoices}
        customer = {i.id: i.counterparty_id for i in invoices}
        payer = {d: customer[iid] for iid, (_, deps) in truth.items() for d in deps}
        for al in allocs:
            other_customer += (
                al.transaction_id in payer and payer[al.transaction_id] != customer[al.invoice_id]
            )
        settled: Counter[int] = Counter()
        touched: dict[int, set[int]] = defaultdict(set)
        for al in allocs:
            settled[al.invoice_id] += al.amount_yen + al.fee_yen
            touched[al.invoice_id].add(al.transaction_id)
            false_matches += al.transaction_id in noise
        for iid, (kind, deps) in truth.items():
            planted[kind] += 1
            own = touched[iid] <= deps
            if kind == "unpaid":
                wrong[kind] += bool(touched[iid])
            elif own and settled[iid] == amount[iid]:
                found[kind] += 1
            elif not own:
                wrong[kind] += 1
    print(
        f"# {platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{a.businesses:,} businesses, {n_inv:,} invoices, {n_mv:,} deposits: matching "
        f"{took:.2f} s ({n_mv / max(took, 1e-9):,.0f} deposits/s); reference (exact amounts by "
        f"dictionary) {ref:.3f} s"
    )
    print(f"{'behaviour':10} {'planted':>8} {'found':>7} {'wrong':>6}")
    for kind in BEHAVIOURS:
        print(f"{kind:10} {planted[kind]:>8} {found[kind]:>7} {wrong[kind]:>6}")
    print(f"noise deposits applied to an invoice (false matches): {false_matches}")
    print(f"allocations of a customer's deposit to another customer's invoice: {other_customer}")


if __name__ == "__main__":
    main()
