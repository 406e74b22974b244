"""Credit events (条件変更, 延滞, 事故報告, 代位弁済) per loan, from the business timelines.

Only events on or before the last day of ``end_month`` are emitted (the rest is the future).
延滞 is reported at 30, 60, 90 … days past the first missed due date while it lasts;
事故報告 and 代位弁済 concern guaranteed loans only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Horizon, to_dates
from .distress import NONE, Timelines
from .loans import LoanBook

EVENT_KINDS = ("restructuring", "delinquency", "accident_report", "subrogation")
OUTCOME_ORDER = ("subrogation", "delinquency", "restructuring")  # most severe first


@dataclass(frozen=True)
class Events:
    loan: np.ndarray  # local loan index
    kind: np.ndarray  # index into EVENT_KINDS
    occurred_on: np.ndarray  # datetime64[D]
    days_past_due: np.ndarray  # int, -1 when not applicable
    seq: np.ndarray  # 0.. within the loan (event_id = loan_id * 100 + seq)


def _loans_of(b: np.ndarray, book: LoanBook, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (event index, loan index) for every loan of each event's business."""
    counts = np.bincount(book.business, minlength=n)
    first = np.cumsum(counts) - counts
    reps = counts[b]
    ev = np.repeat(np.arange(b.size), reps)
    within = np.arange(ev.size) - np.repeat(np.cumsum(reps) - reps, reps)
    return ev, first[b][ev] + within


def build_events(tl: Timelines, book: LoanBook, hz: Horizon, n: int) -> Events:
    last_day = to_dates(np.asarray([hz.end + 1]))[0] - np.timedelta64(1, "D")
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def emit(loan: np.ndarray, kind: int, day: np.ndarray, dpd: np.ndarray) -> None:
        keep = day <= last_day
        parts.append((loan[keep], np.full(keep.sum(), kind), day[keep], dpd[keep]))

    def mi(t: np.ndarray) -> np.ndarray:
        return np.where(t < hz.T, hz.sim_start + t, NONE)

    r, q, c, a, s = (
        mi(x) for x in (tl.restructuring, tl.delinquency, tl.cure, tl.accident, tl.subrogation)
    )
    # 条件変更: loans running at the time
    b = np.flatnonzero(r < NONE)
    ev, loan = _loans_of(b, book, n)
    at = r[b][ev]
    ok = (book.start_mi[loan] < at) & (at < book.maturity_mi[loan])
    emit(loan[ok], 0, to_dates(at[ok], 15), np.full(ok.sum(), -1))

    # 延滞 milestones, then 事故報告 and 代位弁済 for the loans that were running at the first miss
    b = np.flatnonzero(q < NONE)
    ev, loan = _loans_of(b, book, n)
    q_l = q[b][ev]
    running = (book.start_mi[loan] < q_l) & (q_l <= book.last_mi[loan])
    loan, q_l, bb = loan[running], q_l[running], b[ev[running]]
    first_miss = to_dates(q_l, book.due_day[loan])
    stop = np.minimum(
        np.where(c[bb] < NONE, c[bb] - q_l, NONE), np.where(s[bb] < NONE, s[bb] - q_l + 1, NONE)
    )
    horizon = hz.end - q_l + 1
    n_ms = np.clip(np.minimum(stop, horizon) - 1, 0, hz.T)
    rep = np.repeat(np.arange(loan.size), n_ms)
    k = np.arange(rep.size) - np.repeat(np.cumsum(n_ms) - n_ms, n_ms) + 1
    emit(loan[rep], 1, first_miss[rep] + np.timedelta64(30, "D") * k, 30 * k)
    guaranteed = book.guaranteed[loan]
    has_a = guaranteed & (a[bb] < NONE)
    emit(loan[has_a], 2, to_dates(a[bb][has_a], 5), np.full(has_a.sum(), -1))
    has_s = guaranteed & (s[bb] < NONE)
    emit(loan[has_s], 3, to_dates(s[bb][has_s], 20), np.full(has_s.sum(), -1))

    loan_all = np.concatenate([p[0] for p in parts])
    kind_all = np.concatenate([p[1] for p in parts])
    day_all = np.concatenate([p[2] for p in parts]).astype("datetime64[D]")
    dpd_all = np.concatenate([p[3] for p in parts])
    order = np.lexsort((kind_all, day_all, loan_all))
    loan_all, kind_all, day_all, dpd_all = (
        x[order] for x in (loan_all, kind_all, day_all, dpd_all)
    )
    new = np.r_[True, loan_all[1:] != loan_all[:-1]] if loan_all.size else np.zeros(0, bool)
    starts = np.flatnonzero(new)
    seq = np.arange(loan_all.size) - np.repeat(starts, np.diff(np.r_[starts, loan_all.size]))
    return Events(loan_all, kind_all, day_all, dpd_all, seq)


def outcomes(ev: Events, book: LoanBook, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per business: outcome index (0 none, 1 restructuring, 2 delinquency, 3 subrogation)
    and the first date of that outcome's events (NaT when none)."""
    outcome = np.zeros(n, dtype=np.int8)
    when = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    b = book.business[ev.loan]
    for code, name in zip((3, 2, 1), OUTCOME_ORDER, strict=True):
        sel = ev.kind == EVENT_KINDS.index(name)
        first = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        if sel.any():
            days = ev.occurred_on[sel].astype(np.int64)
            tmp = np.full(n, np.iinfo(np.int64).max)
            np.minimum.at(tmp, b[sel], days)
            hit = tmp < np.iinfo(np.int64).max
            first[hit] = tmp[hit].astype("datetime64[D]")
        take = (outcome == 0) & ~np.isnat(first)
        outcome[take] = code
        when[take] = first[take]
    return outcome, when
