"""The risk model on the institution's own store: train, score a monitoring run, drift.

Training runs the engine over the whole panel history (``run_monitoring(history=True)``: every
month's indicators, peer percentiles and flag episodes) with the store's credit events, then
``kizashi.model.pipeline.train_evaluate``. Scoring is a step of the monitoring run: the active
model scores the as-of month into the run's staged analytics file (``store.risk_scores``), with
the combined triage priority (``triage_priority``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from kizashi.access import Actor
from kizashi.actions.risk_models import do_record_risk_model
from kizashi.domain.refusals import Refused
from kizashi.engine.exec.run import RunResult, run_monitoring
from kizashi.engine.spec.packs import default_pack
from kizashi.model import registry
from kizashi.model.features import SEVERITIES, Frame, build_frame
from kizashi.model.labels import first_serious, label, month_end
from kizashi.model.metrics import bin_shares, psi
from kizashi.model.pipeline import evaluate, train_evaluate
from kizashi.settings import Settings
from kizashi.store.analytics import analytics_path
from kizashi.store.db import Store
from kizashi.store.risk_scores import month_scores, score_months, write_scores

from .panel_sync import read_loan_balances, read_panel
from .run_inputs import register_inputs

FLAG_COLUMNS = (*(f"flags_{s}" for s in SEVERITIES), "flags_credit", "max_dpd_3m")


@dataclass(frozen=True)
class History:
    frame: Frame
    events: pa.Table
    observed_until: np.datetime64


def history(store: Store, data_dir: Path) -> History:
    """Every month's features of every business in the store's panel, and its credit events."""
    panel = read_panel(data_dir)
    if panel.num_rows == 0:
        raise Refused(
            "月次データがまだありません(kizashi run でパネルを作ってください)",
            "There are no monthly data yet (`kizashi run` builds the panel).",
        )
    last = max(panel.column("month").to_pylist())
    businesses, events, loans = register_inputs(store, None, last)
    result = run_monitoring(
        panel,
        businesses,
        events,
        None,
        last,
        loans=loans,
        loan_balances=read_loan_balances(data_dir),
        history=True,
    )
    frame = build_frame(result.indicators, result.episodes, events)
    observed = month_end(np.asarray([np.datetime64(last, "D")]))[0]
    return History(frame, events, observed)


def train(
    store: Store,
    settings: Settings,
    actor: Actor,
    *,
    cutoff: str | None = None,
    test_months: int = 6,
    calibration: str = "auto",
) -> tuple[str, dict[str, Any]]:
    """Train and evaluate on the store; save a new (inactive) version; returns it and its meta."""
    h = history(store, settings.data_dir)
    model, _meta = train_evaluate(
        h.frame,
        first_serious(h.events),
        h.observed_until,
        cutoff=np.datetime64(cutoff, "M") if cutoff else None,
        test_months=test_months,
        calibration=calibration,
    )
    version = registry.save_model(settings.data_dir, model)
    with store.session() as s:
        do_record_risk_model(s, actor, version=version, meta=model.meta)
    return version, model.meta


def triage_priority(
    probability: np.ndarray, rule_priority: np.ndarray, weight: float
) -> np.ndarray:
    """0–100: ``weight`` × the score's percentile rank + (1 − ``weight``) × the rules' priority's
    percentile rank in the portfolio that month (ties share their mean rank)."""

    def pct(x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            return x
        xs = np.sort(x)
        return (
            100 * (np.searchsorted(xs, x, "left") + np.searchsorted(xs, x, "right")) / (2 * x.size)
        )

    return weight * pct(probability) + (1 - weight) * pct(rule_priority)


def score_run(
    staged: Path, data_dir: Path, result: RunResult, events: pa.Table, weight: float
) -> str | None:
    """Score the run's as-of month with the active model into ``staged``; its version (None:
    no active model, nothing written)."""
    version = registry.active_version(data_dir)
    if version is None:
        return None
    model = registry.load_model(data_dir, version)
    at = np.datetime64(result.as_of, "D")
    frame = build_frame(result.indicators, result.episodes, events, months=np.asarray([at]))
    p = model.probability(frame.columns(model.names))
    rules = _rule_priority(result.summary, frame.business_id)
    cols: dict[str, Any] = {
        "business_id": pa.array(frame.business_id, pa.int64()),
        "peer_group": pa.array(frame.peer_group, pa.string()),
        "probability": pa.array(p, pa.float64()),
        "rule_priority": pa.array(rules, pa.float64()),
        "triage": pa.array(triage_priority(p, rules, weight), pa.float64()),
    }
    for c in FLAG_COLUMNS:
        cols[c] = pa.array(frame.X[:, frame.names.index(c)].astype(np.float64), pa.float64())
    write_scores(staged, version, result.as_of, pa.table(cols))
    return version


def _rule_priority(summary: pa.Table, business_id: np.ndarray) -> np.ndarray:
    """The run summary's rules priority of each business (none or NULL: 0), by a sorted
    search rather than a dictionary per business (1.5M of them)."""
    ids = summary.column("business_id").to_numpy(zero_copy_only=False).astype(np.int64)
    prio = summary.column("priority").cast(pa.float64()).fill_null(0.0).to_numpy()
    out = np.zeros(business_id.size)
    if ids.size == 0:
        return out
    order = np.argsort(ids, kind="stable")
    ids, prio = ids[order], prio[order]
    pos = np.clip(np.searchsorted(ids, business_id), 0, ids.size - 1)
    hit = ids[pos] == business_id
    out[hit] = prio[pos[hit]]
    return out


def drift(store: Store, data_dir: Path, version: str) -> dict[str, Any]:
    """Per scored month: PSI of every feature against the training rows (from the model file),
    and, where the 12-month window has closed, realised vs mean predicted event rate."""
    model = registry.load_model(data_dir, version)
    months = score_months(data_dir, version)
    if not months:
        return {"version": version, "months": []}
    panel_last = max(m["as_of"] for m in months)
    _biz, events, _loans = register_inputs(store, None, panel_last)
    firsts = first_serious(events)
    observed = month_end(np.asarray([np.datetime64(panel_last, "D")]))[0]
    out = []
    for m in months:
        as_of: date = m["as_of"]
        t = month_scores(data_dir, version, as_of)
        if t is None or t.num_rows == 0:
            continue
        ids = t.column("business_id").to_numpy().astype(np.int64)
        X = _month_features(data_dir, model.names, as_of, t)
        feats = {}
        for j, n in enumerate(model.names):
            ref = model.reference.get(n)
            if ref:
                feats[n] = psi(ref["shares"], bin_shares(X[:, j], ref["edges"]))
        p = t.column("probability").to_numpy()
        months_arr = np.full(ids.size, np.datetime64(as_of, "D"))
        in_scope, y = label(ids, months_arr, firsts, observed)
        known = in_scope & (y >= 0)
        row: dict[str, Any] = {
            "as_of": as_of.isoformat()[:7],
            "businesses": int(ids.size),
            "mean_predicted": float(p.mean()),
            "psi": dict(sorted(feats.items(), key=lambda kv: -kv[1])),
            "realised": float(y[known].mean()) if known.any() else None,
            "predicted_where_known": float(p[known].mean()) if known.any() else None,
        }
        out.append(row)
    return {"version": version, "months": out}


def _month_features(
    data_dir: Path, names: tuple[str, ...], as_of: date, scores: pa.Table
) -> np.ndarray:
    """The scored rows' features again: the month's indicator rows plus the stored flag columns."""
    con = duckdb.connect(str(analytics_path(data_dir)), read_only=True)
    try:
        con.register("s", scores)
        t = con.sql(
            "SELECT s.business_id, i.* EXCLUDE (business_id), "
            + ", ".join(f"s.{c} AS {c}" for c in FLAG_COLUMNS)
            + " FROM s LEFT JOIN indicator_values i ON i.business_id = s.business_id "
            "AND i.as_of = ? AND i.pack_ref = ? ORDER BY s.business_id",
            params=[as_of, default_pack().ref],
        ).to_arrow_table()
    finally:
        con.close()
    assert t is not None
    order = np.argsort(scores.column("business_id").to_numpy(), kind="stable")
    X = np.full((t.num_rows, len(names)), np.nan)
    for j, n in enumerate(names):
        if n in t.column_names:
            X[:, j] = t.column(n).cast(pa.float64()).to_numpy(zero_copy_only=False)
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return X[back]


def evaluate_later(store: Store, data_dir: Path, version: str) -> dict[str, Any] | None:
    """The version on today's data: the labelled months after its cut-off (None: none yet)."""
    model = registry.load_model(data_dir, version)
    cutoff = model.meta.get("cutoff")
    if not cutoff:
        return None
    try:
        h = history(store, data_dir)
    except ValueError:
        return None
    in_scope, y = label(
        h.frame.business_id, h.frame.month, first_serious(h.events), h.observed_until
    )
    later = (
        in_scope & (y >= 0) & (h.frame.month.astype("datetime64[M]") > np.datetime64(cutoff, "M"))
    )
    if not later.any() or y[later].sum() == 0:
        return None
    measures = evaluate(model, h.frame.take(later), y[later])
    return {"rows": int(later.sum()), "events": int(y[later].sum()), **measures}
