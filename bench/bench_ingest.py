"""Files per second for `kizashi ingest`: analysis alone (no database), and end to end.

Typical files: a 12-month journal of ~2,000 lines (マネーフォワード 27 columns, UTF-8; and the
same entries as 弥生 25 columns, CP932) and a ~100-line monthly trial balance (CP932), the
latter written by ``kizashi.ingest.writers``.

End to end = ``do_import_submission`` in its own unit of work on a SQLite file store:
access check, analysis, raw file kept on disk, submission, statements and lines, audit —
each file for a business that has not stored it yet (the usual case; a repeated upload is
a no-op and much cheaper). Run: ``.venv/bin/python bench/bench_ingest.py [--seconds S]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from kizashi.access import Actor
from kizashi.actions.businesses import BusinessInput, do_add_business
from kizashi.actions.submissions import do_import_submission
from kizashi.domain.chart import load_chart
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.ingest import analyse
from kizashi.ingest.report import MonthlyTrialBalance
from kizashi.ingest.writers import MF_HEADER, write_trial_balance_csv
from kizashi.store.db import Store

EXPENSES = [
    "仕入高",
    "給料手当",
    "地代家賃",
    "水道光熱費",
    "旅費交通費",
    "通信費",
    "消耗品費",
    "支払手数料",
    "[製]給料",
    "[製]減価償却費",
]


def journal_entries(n_lines: int, seed: int = 1) -> list[tuple[date, list[tuple[str, int, int]]]]:
    rnd = random.Random(seed)
    out = []
    lines = 0
    while lines < n_lines:
        day = date(2025, 4, 1).replace(month=rnd.randint(1, 12), day=rnd.randint(1, 28))
        amount = rnd.randint(1, 500) * 1000
        if rnd.random() < 0.4:
            entry = [("売掛金", amount, 0), ("売上高", 0, amount)]
        elif rnd.random() < 0.8:
            entry = [(rnd.choice(EXPENSES), amount, 0), ("普通預金", 0, amount)]
        else:
            tax = amount // 10
            entry = [("給料手当", amount, 0), ("普通預金", 0, amount - tax), ("預り金", 0, tax)]
        out.append((day, entry))
        lines += len(entry)
    return sorted(out, key=lambda e: e[0])


def mf_csv(entries: list[tuple[date, list[tuple[str, int, int]]]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(MF_HEADER)
    for n, (day, lines) in enumerate(entries, 1):
        for name, dr, cr in lines:
            row = [""] * 27
            row[0], row[1] = str(n), f"{day:%Y/%m/%d}"
            if dr:
                row[2], row[8] = name, str(dr)
            else:
                row[10], row[16] = name, str(cr)
            w.writerow(row)
    return buf.getvalue().encode("utf-8")


def yayoi_csv(entries: list[tuple[date, list[tuple[str, int, int]]]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    for day, lines in entries:
        for k, (name, dr, cr) in enumerate(lines):
            flag = "2110" if k == 0 else ("2101" if k == len(lines) - 1 else "2100")
            row = [""] * 25
            row[0], row[3] = flag, f"R.07/{day.month:02d}/{day.day:02d}"
            row[4], row[8] = (name, str(dr)) if dr else ("", "0")
            row[10], row[14] = (name, str(cr)) if cr else ("", "0")
            row[24] = "NO"
            w.writerow(row)
    return buf.getvalue().encode("cp932")


def trial_balance() -> bytes:
    chart = load_chart()
    rnd = random.Random(2)
    amounts = {i.code: rnd.randint(0, 10**8) for i in chart.leaves}
    amounts["cash_and_deposits"] -= chart.balance_difference(amounts)
    return write_trial_balance_csv(
        [MonthlyTrialBalance(date(2025, 9, 30), date(2025, 4, 1), amounts)]
    )


def _line(label: str, data: bytes, n: int, elapsed: float) -> None:
    lines = data.count(b"\n")
    print(
        f"{label:<52} {lines:>6} lines {len(data) / 1024:>7.1f} KiB "
        f"{n / elapsed:>8.1f} files/s {elapsed / n * 1000:>8.1f} ms/file"
    )


def measure(label: str, data: bytes, name: str, seconds: float = 3.0) -> None:
    report = analyse(data, name, fiscal_year_start_month=4)
    assert not report.errors, report.errors[:3]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        analyse(data, name, fiscal_year_start_month=4)
        n += 1
    _line(label, data, n, time.perf_counter() - start)


class EndToEnd:
    """A SQLite store in a temporary directory with businesses waiting for their files."""

    def __init__(self, businesses: int = 400) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kizashi-bench-"))
        self.store = Store(f"sqlite:///{self.dir / 'kizashi.db'}")
        self.owners: list[tuple[int, Actor]] = []
        with self.store.session() as s:
            for k in range(businesses):
                biz = do_add_business(
                    s,
                    Actor.system(),
                    BusinessInput(f"ベンチ商事{k}", "58", "13", fiscal_year_end_month=3),
                )
                owner = Actor(None, biz.org_id, OrgKind.BUSINESS, Role.OWNER, f"owner{k}")
                self.owners.append((biz.id, owner))
        self.next = 0

    def import_one(self, data: bytes, name: str) -> None:
        bid, owner = self.owners[self.next % len(self.owners)]
        self.next += 1
        with self.store.session() as s:
            out = do_import_submission(
                s, owner, business_id=bid, files=[(data, name)], raw_dir=self.dir / "raw"
            )
        assert out.stored or out.duplicate, (out.reason, out.report.errors[:3])

    def measure(self, label: str, data: bytes, name: str, seconds: float = 3.0) -> None:
        self.import_one(data, name)  # warm up (and check it stores)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds and self.next < len(self.owners):
            self.import_one(data, name)
            n += 1
        _line(label, data, n, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    seconds = parser.parse_args().seconds
    entries = journal_entries(2000)
    mf, yayoi, tb = mf_csv(entries), yayoi_csv(entries), trial_balance()
    print("analysis only (no database)")
    measure("journal, マネーフォワード 27 cols (UTF-8)", mf, "mf.csv", seconds)
    measure("journal, 弥生 25 cols (CP932, 和暦)", yayoi, "yayoi.csv", seconds)
    measure("trial balance, generic 残高試算表 (CP932)", tb, "tb.csv", seconds)
    print("end to end: analyse + store (SQLite file, one unit of work per file)")
    e2e = EndToEnd()
    e2e.measure("journal, マネーフォワード → 12 statements", mf, "mf.csv", seconds)
    e2e.measure("journal, 弥生 → 12 statements", yayoi, "yayoi.csv", seconds)
    e2e.measure("trial balance → 1 statement", tb, "tb.csv", seconds)


if __name__ == "__main__":
    main()
