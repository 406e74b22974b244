"""Invoices matched to payments on planted truth (docs/performance.md, "Payment matching").

    .venv/bin/python bench/bench_matching.py --businesses 200 --before a91e91e --reimport

Per business: customers (half with kanji names, whose remitters the bank prints in half-width
kana — "unknown" to the name rule; half with katakana names — "same"), a year of invoices
(issued, due at the next month end, numbered INV-…) and the deposits that paid them, each invoice
planted with one behaviour: paid exactly, paid less a transfer fee, paid together with the
customer's other invoice of the month, paid in parts by a remitter written as on the invoice (a third,
the rest 20 days later; for 30 % of them, drawn from the separate stream below: three parts 20
days apart, "partial3"), or not paid; plus deposits from nobody's invoices (other
income, random amounts). A quarter of the single-invoice deposits carry the invoice number in the
摘要 (EDI information), drawn from a separate random stream so the rest of the data does not move.
``match_payments`` runs per business; the table counts, per behaviour, the invoices settled by
their own deposits (found), settled or touched by another deposit (wrong: for part payments mostly
the part applied to another invoice of the right customer), the noise deposits applied to an
invoice (false matches) and the allocations of a customer's deposit to another customer's invoice.

The reference beside the timing is the simplest matcher: a dictionary of open amounts looked up
per deposit (exact amounts only), on the same data in the same run. ``--before REV`` also runs the
matcher of git revision REV (``git show REV:src/kizashi/domain/matching.py``) on the same data.

``--reimport``: one business with 3 years of history in a SQLite store (``--customers`` customers,
invoices stored directly, deposits imported as an internet-banking CSV through
``do_import_money``); then the time of re-importing an overlapping statement (its last month
again plus a new month) through ``do_import_money`` — parse, store and the incremental matching
in one unit of work — against matching the whole business from scratch (what every import did
before), and the matching inside the import alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import types
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from kizashi.domain.matching import Movement, OpenInvoice, match_payments

KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
KANJI = "山田川本中村井上木林森田島松竹梅東西南北大小高橋石原"
FEES = (110, 220, 330, 440, 550, 660, 770, 880)
BEHAVIOURS = ("exact", "fee", "combined", "partial", "unpaid")
KINDS = ("exact", "fee", "combined", "partial", "partial3", "unpaid")  # partial3: 3 parts


def _business(
    rng: random.Random,
    b: int,
    months: int = 12,
    numbered: random.Random | None = None,
    customers: int | None = None,
) -> tuple[list[OpenInvoice], list[Movement], dict]:
    """One business's invoices, deposits and planted truth; ``numbered`` (a separate stream)
    decides which single-invoice deposits carry the invoice number."""
    numbered = numbered or random.Random(b)
    names = []
    count = rng.randint(5, 30)
    for c in range(customers or count):
        kana = "".join(rng.choice(KANA) for _ in range(rng.randint(3, 6)))
        if c % 2:
            name = "株式会社" + "".join(rng.choice(KANJI) for _ in range(3)) + f"{c}"
        else:
            name = kana + "株式会社"
        half = kana.translate(str.maketrans(KANA, "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜ"))
        names.append((name, "ｶ)" + half))
    invoices: list[OpenInvoice] = []
    moves: list[Movement] = []
    truth: dict[int, tuple[str, set[int]]] = {}  # invoice → (behaviour, its deposits)
    noise: set[int] = set()
    iid = mid = b * 1_000_000
    for m in range(months):
        year, month = 2025 + m // 12, m % 12 + 1
        for c, (name, remitter) in enumerate(names):
            for _ in range(rng.randint(0, 3)):
                iid += 1
                issued = dt.date(year, month, 28)
                due = dt.date(year + month // 12, month % 12 + 1, 28)
                amount = rng.randrange(10_000, 3_000_000)
                number = f"INV-{iid}"
                invoices.append(
                    OpenInvoice(
                        iid, "issued", b * 10_000 + c, name, issued, amount, due, number=number
                    )
                )
                edi = f" EDI {number}" if numbered.random() < 0.25 else ""
                kind = rng.choices(BEHAVIOURS, (60, 15, 10, 10, 5))[0]
                paid_on = due - dt.timedelta(days=rng.randint(0, 5))
                deps: set[int] = set()
                if kind == "exact" or kind == "combined":
                    mid += 1
                    text = remitter + (edi if kind == "exact" else "")
                    moves.append(Movement(mid, paid_on, amount, text))
                    deps.add(mid)
                elif kind == "fee":
                    mid += 1
                    moves.append(Movement(mid, paid_on, amount - rng.choice(FEES), remitter + edi))
                    deps.add(mid)
                elif kind == "partial":
                    first = amount // 3
                    parts = [(first, paid_on), (amount - first, paid_on + dt.timedelta(20))]
                    if numbered.random() < 0.3:  # in three parts, 20 days apart
                        kind = "partial3"
                        parts = [
                            (first, paid_on),
                            (first, paid_on + dt.timedelta(20)),
                            (amount - 2 * first, paid_on + dt.timedelta(40)),
                        ]
                    for part, on in parts:
                        mid += 1
                        moves.append(Movement(mid, on, part, f"振込 {name}{edi}"))
                        deps.add(mid)
                truth[iid] = (kind, deps)
        # "combined": this month's combined invoices of a customer paid in one deposit
        by_cust: dict[int, list[int]] = defaultdict(list)
        for inv in invoices[-60:]:
            if truth[inv.id][0] == "combined" and inv.issue_date == dt.date(year, month, 28):
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
            day = dt.date(year, month, rng.randint(1, 28))
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


def _score(data: list, results: list[list]) -> dict[str, object]:
    """Per behaviour planted/found/wrong, false matches, deposits given to another customer."""
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
    return {
        "planted": planted,
        "found": found,
        "wrong": wrong,
        "false": false_matches,
        "other": other_customer,
    }


def _matcher_of(rev: str) -> Callable[[list[OpenInvoice], list[Movement]], list]:
    """``match_payments`` of git revision ``rev``, fed this revision's objects."""
    path = "src/kizashi/domain/matching.py"
    root = Path(__file__).resolve().parents[1]
    code = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    mod = types.ModuleType(f"matching_{rev}")
    sys.modules[mod.__name__] = mod  # dataclasses look their module up
    exec(compile(code, f"{rev}:{path}", "exec"), mod.__dict__)
    fields = set(mod.OpenInvoice.__dataclass_fields__)

    def run(invoices: list[OpenInvoice], moves: list[Movement]) -> list:
        old_invoices = [mod.OpenInvoice(**{k: getattr(i, k) for k in fields}) for i in invoices]
        old_moves = [mod.Movement(m.id, m.booked_on, m.amount_yen, m.text) for m in moves]
        t = time.perf_counter()
        out = mod.match_payments(old_invoices, old_moves)
        run.seconds += time.perf_counter() - t  # type: ignore[attr-defined]
        return list(out)

    run.seconds = 0.0  # type: ignore[attr-defined]
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--businesses", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--before", help="also run the matcher of this git revision")
    ap.add_argument("--reimport", action="store_true", help="time a re-import (3 years)")
    ap.add_argument("--customers", type=int, default=100, help="customers for --reimport")
    a = ap.parse_args()
    rng, numbered = random.Random(a.seed), random.Random(a.seed + 1)
    data = [_business(rng, b, numbered=numbered) for b in range(1, a.businesses + 1)]
    n_inv = sum(len(i) for i, _, _ in data)
    n_mv = sum(len(m) for _, m, _ in data)
    t = time.perf_counter()
    results = [match_payments(i, m) for i, m, _ in data]
    took = time.perf_counter() - t
    t = time.perf_counter()
    for i, m, _ in data:
        _reference(i, m)
    ref = time.perf_counter() - t
    scores = {"now": _score(data, results)}
    timings = [("matching (this tree)", took)]
    if a.before:
        before = _matcher_of(a.before)
        old = [before(i, m) for i, m, _ in data]
        scores[a.before] = _score(data, old)
        timings.append((f"matching ({a.before})", before.seconds))  # type: ignore[attr-defined]
    timings.append(("reference (exact amounts by dictionary)", ref))
    print(
        f"# {platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{a.businesses:,} businesses, {n_inv:,} invoices, {n_mv:,} deposits")
    for label, secs in timings:
        print(f"  {label:42} {secs:7.3f} s  {n_mv / max(secs, 1e-9):>12,.0f} deposits/s")
    head = f"{'behaviour':10} {'planted':>8}"
    for name in scores:
        head += f" {'found ' + name:>16} {'wrong ' + name:>16}"
    print(head)
    first = scores["now"]
    for kind in KINDS:
        line = f"{kind:10} {first['planted'][kind]:>8}"  # type: ignore[index]
        for sc in scores.values():
            line += f" {sc['found'][kind]:>16} {sc['wrong'][kind]:>16}"  # type: ignore[index]
        print(line)
    for name, sc in scores.items():
        print(
            f"{name}: noise deposits applied to an invoice (false matches) {sc['false']}; "
            f"allocations of a customer's deposit to another customer's invoice {sc['other']}"
        )
    if a.reimport:
        _reimport(a.seed, a.customers)


def _reimport(seed: int, customers: int) -> None:
    """Re-import of an overlapping statement for a business with 3 years of history."""
    from kizashi.access import Actor
    from kizashi.actions.bank import do_import_money
    from kizashi.actions.businesses import BusinessInput, do_add_business
    from kizashi.actions.matching import do_match_payments, match_business
    from kizashi.domain.vocabulary import OrgKind, Role
    from kizashi.ingest.money import MoneyOptions
    from kizashi.store.db import Store
    from kizashi.store.matching_models import InvoicePayment
    from kizashi.store.models import Counterparty, Invoice, Submission

    rng = random.Random(seed)
    invoices, moves, _ = _business(rng, 1, months=36, customers=customers)
    moves = sorted(moves, key=lambda m: (m.booked_on, m.id))
    cut = dt.date(2027, 12, 1)  # the history ends with November 2027
    history = [m for m in moves if m.booked_on < cut]
    again = [m for m in history if m.booked_on >= dt.date(2027, 11, 1)]
    new = [m for m in moves if m.booked_on >= cut]
    work = Path(tempfile.mkdtemp(prefix="kizashi-bench-matching-"))
    store = Store(f"sqlite:///{work / 'kizashi.db'}")
    with store.session() as s:
        biz = do_add_business(
            s, Actor.system(), BusinessInput("ベンチ商事", "58", "13", fiscal_year_end_month=3)
        )
        bid = biz.id
        owner = Actor(None, biz.org_id, OrgKind.BUSINESS, Role.OWNER, "owner")
    opts = MoneyOptions(today=dt.date(2028, 1, 10))

    def statement(rows: list[Movement], opening: int) -> bytes:
        out = ["口座番号,普通 1234567", "日付,摘要,お支払金額,お預り金額,差引残高"]
        balance = opening
        for m in rows:
            balance += m.amount_yen
            out.append(f"{m.booked_on:%Y/%m/%d},{m.text},,{m.amount_yen},{balance}")
        return ("\n".join(out) + "\n").encode("utf-8")

    def run_import(data: bytes, name: str) -> float:
        t = time.perf_counter()
        with store.session() as s:
            got = do_import_money(
                s,
                owner,
                business_id=bid,
                data=data,
                filename=name,
                raw_dir=work,
                format="netbank_csv",
                options=opts,
            )
        assert got.stored, got.issues[:3]
        return time.perf_counter() - t

    first = run_import(statement(history, 0), "history.csv")
    with store.session() as s:
        # the invoices hang on the history statement's submission (a bench shortcut)
        sub = s.execute(select(Submission.id).where(Submission.business_id == bid)).scalar_one()
        cps: dict[int, int] = {}
        for inv in invoices:
            if inv.counterparty_id not in cps:
                row = Counterparty(
                    business_id=bid, name=inv.name, match_key=f"c{inv.counterparty_id}"
                )
                s.add(row)
                s.flush()
                cps[inv.counterparty_id] = row.id
        s.add_all(
            Invoice(
                business_id=bid,
                counterparty_id=cps[inv.counterparty_id],
                submission_id=sub,
                direction="issued",
                invoice_number=inv.number,
                issue_date=inv.issue_date,
                due_date=inv.due_date,
                total_yen=inv.amount_yen,
                tax_yen=0,
                payable_yen=inv.amount_yen,
                credit_note=False,
                paid=False,
                source_format="bench",
                dedup_key=f"bench-{inv.id}",
            )
            for inv in invoices
        )
    t = time.perf_counter()
    with store.session() as s:
        full_out = do_match_payments(s, owner, bid)
    full = time.perf_counter() - t
    opening = sum(m.amount_yen for m in history) - sum(m.amount_yen for m in again)
    reimport = run_import(statement(again + new, opening), "reimport.csv")
    with store.session() as s:
        sub = s.execute(select(func.max(Submission.id))).scalar_one()
        t = time.perf_counter()
        inc_out = match_business(s, owner, bid, submission_id=sub)
        inc = time.perf_counter() - t
        s.rollback()

    def stored() -> set[tuple]:
        pay = InvoicePayment
        cols = (pay.invoice_id, pay.transaction_id, pay.amount_yen, pay.fee_yen, pay.rule)
        return set(s.execute(select(*cols)).all())

    with store.session() as s:
        kept = stored()
        do_match_payments(s, owner, bid)
        same = stored() == kept
        s.rollback()
    print(
        f"re-import, one business, 3 years: {len(invoices):,} invoices, {len(moves):,} "
        f"deposits; history imported in {first:.2f} s; "
        f"matching from scratch {full:.3f} s ({full_out.allocations:,} matches)"
    )
    print(
        f"  re-import of {len(again)} + {len(new)} new deposits (overlapping statement): "
        f"{reimport:.3f} s in all, of which matching (incremental) {inc:.3f} s "
        f"({inc_out.allocations:,} matches after it; equal to matching from scratch: {same})"
    )


if __name__ == "__main__":
    main()
