"""What the model predicts: a serious credit event within the next 12 months.

Serious (issue 15): 延滞 of 3 months or more (a report at ≥ 90 days past due), 条件変更,
事故報告 or 代位弁済. A row (business × month) is labelled from the events after the month's last
day up to ``horizon`` months later. A row whose business already had a serious event by the
month's end is not a prediction (it is out of scope: dropped); a row whose window reaches past
the last day anything was observed is unknown (−1) and is neither trained on nor evaluated.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SERIOUS_KINDS = ("restructuring", "accident_report", "subrogation")
SERIOUS_DPD = 90
HORIZON = 12
UNKNOWN = -1


def month_end(month: np.ndarray, plus: int = 0) -> np.ndarray:
    """The last day of the month ``plus`` months after each month (datetime64[D])."""
    m = month.astype("datetime64[M]") + plus + 1
    return m.astype("datetime64[D]") - np.timedelta64(1, "D")


def first_serious(events: pa.Table) -> dict[int, np.datetime64]:
    """Per business, the date of its first serious credit event (none: absent)."""
    if events.num_rows == 0:
        return {}
    biz = events.column("business_id").to_numpy(zero_copy_only=False).astype(np.int64)
    kind = events.column("kind")
    day = events.column("occurred_on").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    dpd = events.column("days_past_due").cast(pa.float64()).fill_null(0.0)
    serious = pc.or_(
        pc.is_in(kind, pa.array(SERIOUS_KINDS)),
        pc.and_(pc.equal(kind, "delinquency"), pc.greater_equal(dpd, SERIOUS_DPD)),
    )
    sel = serious.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    biz, day = biz[sel], day[sel]
    order = np.lexsort((day, biz))  # per business, earliest first
    biz, day = biz[order], day[order]
    first = np.r_[True, biz[1:] != biz[:-1]] if biz.size else np.zeros(0, bool)
    return dict(zip(biz[first].tolist(), day[first], strict=True))


def serious_dates(business_id: np.ndarray, firsts: dict[int, np.datetime64]) -> np.ndarray:
    """Each row's business's first serious event date (NaT: none)."""
    out = np.full(business_id.size, np.datetime64("NaT"), dtype="datetime64[D]")
    if not firsts:
        return out
    keys = np.fromiter(firsts.keys(), dtype=np.int64, count=len(firsts))
    vals = np.asarray(list(firsts.values()), dtype="datetime64[D]")
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]
    pos = np.clip(np.searchsorted(keys, business_id), 0, keys.size - 1)
    hit = keys[pos] == business_id
    out[hit] = vals[pos[hit]]
    return out


def label(
    business_id: np.ndarray,
    month: np.ndarray,
    firsts: dict[int, np.datetime64],
    observed_until: np.datetime64,
    horizon: int = HORIZON,
) -> tuple[np.ndarray, np.ndarray]:
    """(in_scope, y): in_scope is False where the business already had a serious event by the
    month's end; y is 1 (event within the window), 0 (none, window fully observed) or −1."""
    first = serious_dates(business_id, firsts)
    end = month_end(month)
    window_end = month_end(month, horizon)
    has = ~np.isnat(first)
    in_scope = ~(has & (first <= end))
    y = np.full(business_id.size, UNKNOWN, dtype=np.int8)
    observed = window_end <= observed_until
    event = has & (first > end) & (first <= window_end) & (first <= observed_until)
    # only rows whose window is fully observed are labelled: an event seen early in an
    # unfinished window would bias the labelled rows towards events
    y[observed] = 0
    y[observed & event] = 1
    return in_scope, y
