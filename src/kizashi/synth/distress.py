"""Paths (healthy / recovering / distressed) and credit-event timelines.

A distressed business has a destined outcome (条件変更, 延滞 or 代位弁済). Its timeline is laid
out backwards from the final event: the final event month is uniform over the months in which
the whole timeline fits after the earliest allowed onset, up to 12 months AFTER the window (so
some distressed businesses have not reached their event yet: the ones to find early). Before the
first event, sales fall, margins thin and working-capital days stretch for ``lead`` months.

The share of businesses with each destined outcome is calibrated so that the expected number of
final events in the LAST 12 months of the window, per business, equals ``annual_rates``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Params

NONE = 10**6  # "never" for event months (beyond any horizon)
PATHS = ("healthy", "recovering", "distressed")
KINDS = ("none", "restructuring", "delinquency", "subrogation")


@dataclass(frozen=True)
class Timelines:
    path: np.ndarray  # int8 index into PATHS
    kind: np.ndarray  # int8 index into KINDS (destined, maybe not realised in the window)
    onset: np.ndarray  # t deterioration (or dip) starts; NONE for healthy
    lead: np.ndarray  # months from onset to the first credit event (dip length if recovering)
    restructuring: np.ndarray  # t of 条件変更 or NONE
    delinquency: np.ndarray  # t of the first missed instalment or NONE
    cure: np.ndarray  # t arrears are paid (delinquency outcome) or NONE
    accident: np.ndarray  # t of 事故報告 or NONE
    subrogation: np.ndarray  # t of 代位弁済 or NONE
    rescue: np.ndarray  # t an extra guaranteed loan is drawn or NONE
    drop: np.ndarray  # sales fall by the first event (dip depth if recovering)
    squeeze: np.ndarray  # gross-margin fall by the first event
    stretch: np.ndarray  # relative rise of receivable/inventory/payable days


def _durations(rng: np.random.Generator, kind: np.ndarray, d: dict) -> dict[str, np.ndarray]:
    """Months between onset and each event, for destined kinds 1..3."""
    n = kind.size
    lead = rng.integers(d["lead_months"][0], d["lead_months"][1] + 1, n)
    gap = rng.integers(
        d["delinquency_after_restructuring_months"][0],
        d["delinquency_after_restructuring_months"][1] + 1,
        n,
    )
    restr_first = rng.random(n) < d["restructuring_before_delinquency"]
    cure = rng.integers(d["delinquency_cure_months"][0], d["delinquency_cure_months"][1] + 1, n)
    subro = rng.integers(
        d["subrogation_after_report_months"][0], d["subrogation_after_report_months"][1] + 1, n
    )
    report = int(d["accident_report_after_months"])
    restr = np.where((kind == 1) | ((kind >= 2) & restr_first), lead, NONE)
    delinq = np.where(kind >= 2, np.where(restr_first, lead + gap, lead), NONE)
    accident = np.where(kind == 3, delinq + report, NONE)
    subrogation = np.where(kind == 3, accident + subro, NONE)
    cure_t = np.where(kind == 2, delinq + cure, NONE)
    # the final event: 条件変更, the first 延滞 report (one month after the missed due date),
    # or 代位弁済
    final = np.select([kind == 1, kind == 2, kind == 3], [restr, delinq + 1, subrogation], NONE)
    return {
        "lead": lead,
        "restructuring": restr,
        "delinquency": delinq,
        "cure": cure_t,
        "accident": accident,
        "subrogation": subrogation,
        "final": final,
    }


def _final_window(
    T: int, earliest_onset_t: int, final_dur: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lo = earliest_onset_t + final_dur
    hi = T - 1 + 12
    return lo, np.maximum(hi, lo)


_SHARES: dict[tuple[int, int, int], np.ndarray] = {}


def destined_shares(params: Params, T: int, earliest_onset_t: int) -> np.ndarray:
    """Share of businesses destined for each kind (index 1..3), from the annual rates.

    Calibrated by a fixed-seed simulation of the timelines, so it is deterministic.
    """
    key = (id(params), T, earliest_onset_t)
    if key not in _SHARES:
        _SHARES[key] = _calibrate(params, T, earliest_onset_t)
    return _SHARES[key]


def _calibrate(params: Params, T: int, earliest_onset_t: int) -> np.ndarray:
    d = params.section("distress")
    rng = np.random.default_rng(20261125)
    shares = np.zeros(4)
    for k in (1, 2, 3):
        kind = np.full(40_000, k)
        dur = _durations(rng, kind, d)
        lo, hi = _final_window(T, earliest_onset_t, dur["final"])
        final = rng.integers(lo, hi + 1)
        in_last_year = ((final >= T - 12) & (final <= T - 1)).mean()
        shares[k] = d["annual_rates"][KINDS[k]] / max(in_last_year, 1e-9)
    return shares


def draw_timelines(rng: np.random.Generator, n: int, T: int, params: Params) -> Timelines:
    d = params.section("distress")
    earliest = 11 + int(d["earliest_onset_month"])
    shares = destined_shares(params, T, earliest)
    rec_share = float(d["recovering_share"])
    u = rng.random(n)
    edges = np.cumsum([shares[1], shares[2], shares[3], rec_share])
    kind = np.searchsorted(edges, u, side="right").astype(np.int8)  # 0..3 = r, d, s, recovering
    recovering = kind == 3
    kind = np.where(kind <= 2, kind + 1, 0).astype(np.int8)
    path = np.where(kind > 0, 2, np.where(recovering, 1, 0)).astype(np.int8)

    dur = _durations(rng, kind, d)
    lo, hi = _final_window(T, earliest, dur["final"])
    final = rng.integers(np.minimum(lo, NONE - 1), np.minimum(hi, NONE - 1) + 1)
    onset = np.where(kind > 0, final - dur["final"], NONE)

    def at(key: str) -> np.ndarray:
        return np.where(dur[key] < NONE, onset + dur[key], NONE)

    # recovering: a dip of 6-12 months down and as long back up, starting anywhere
    dip = rng.integers(6, 13, n)
    dip_onset = rng.integers(0, max(T - 6, 1), n)
    depth = rng.uniform(d["recovering_depth"][0], d["recovering_depth"][1], n)
    drop = rng.uniform(d["sales_drop"][0], d["sales_drop"][1], n)
    lead = np.where(recovering, dip, dur["lead"])
    onset = np.where(recovering, dip_onset, onset)
    rescue = np.where(
        (kind > 0) & (rng.random(n) < d["rescue_loan_share"]), onset + lead // 2, NONE
    )
    return Timelines(
        path=path,
        kind=kind,
        onset=onset,
        lead=lead,
        restructuring=at("restructuring"),
        delinquency=at("delinquency"),
        cure=at("cure"),
        accident=at("accident"),
        subrogation=at("subrogation"),
        rescue=rescue,
        drop=np.where(recovering, depth, np.where(kind > 0, drop, 0.0)),
        squeeze=np.where(
            kind > 0, rng.uniform(d["margin_squeeze"][0], d["margin_squeeze"][1], n), 0.0
        ),
        stretch=np.where(kind > 0, rng.uniform(d["days_stretch"][0], d["days_stretch"][1], n), 0.0),
    )


def ramp(tl: Timelines, T: int) -> np.ndarray:
    """(n, T) deterioration level: 0 before onset, 1 at the first event.

    Distressed: rises linearly over ``lead``; after the first event it stays at 1 for
    条件変更 outcomes and keeps rising (to 1.5 a year later) for 延滞 / 代位弁済.
    Recovering: a triangle 0 → 1 → 0 over twice ``lead``.
    """
    t = np.arange(T)[None, :]
    onset = np.minimum(tl.onset, NONE // 2)[:, None]
    lead = np.maximum(tl.lead, 1)[:, None]
    x = (t - onset) / lead
    up = np.clip(x, 0.0, 1.0)
    worse = 0.5 * np.clip(x - 1.0, 0.0, 12.0 / lead) * lead / 12.0
    distressed = up + np.where((tl.kind >= 2)[:, None], worse, 0.0)
    recovering = np.clip(1.0 - np.abs(x - 1.0), 0.0, 1.0)
    return np.select(
        [(tl.path == 2)[:, None], (tl.path == 1)[:, None]], [distressed, recovering], 0.0
    )


TAX_ARREARS_LEAD = 2  # [INFERENCE] taxes go unpaid from two months before the first event


def tax_arrears_from(tl: Timelines) -> np.ndarray:
    """t from which a distressed business stops paying 消費税 and 法人税等 (滞納), else NONE."""
    return np.where(tl.path == 2, tl.onset + tl.lead - TAX_ARREARS_LEAD, NONE)
