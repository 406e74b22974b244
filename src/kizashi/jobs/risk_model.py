"""The risk model on the institution's own store: train, score a monitoring run, drift.

Training runs the engine over the whole panel history (every month's indicators, peer
percentiles and flag episodes, streamed month by month into the features: ``jobs.risk_history``)
with the store's credit events, then
``kizashi.model.pipeline.train_evaluate``. Scoring is a step of the monitoring run: the active
models (the deployment's and each organisation's own, ADR 0010) score the as-of month into the
run's staged analytics file (``store.risk_scores``); the combined triage priority is computed
when read, with the reader's organisation's weighting (``triage_priority`` is its formula)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from kizashi.access import Actor
from kizashi.access.org_models import TrainingScope, org_active_versions, training_scope
from kizashi.actions.risk_models import do_record_risk_model
from kizashi.domain.refusals import Refused
from kizashi.engine.exec.run import RunResult
from kizashi.engine.spec.packs import default_pack
from kizashi.model import registry
from kizashi.model.bank import add_bank_features, bank_catalogue
from kizashi.model.features import SEVERITIES, Frame, build_frame
from kizashi.model.labels import first_serious, label, month_end
from kizashi.model.metrics import bin_shares, psi
from kizashi.model.pipeline import evaluate, train_evaluate
from kizashi.settings import Settings
from kizashi.store.analytics import analytics_path
from kizashi.store.db import Store
from kizashi.store.risk_scores import month_scores, score_months, write_scores

from .risk_bank import bank_history
from .risk_history import history_frame, panel_files, training_frame
from .risk_org import events_table, only_businesses, without_credit_flags
from .run_inputs import register_inputs

FLAG_COLUMNS = (*(f"flags_{s}" for s in SEVERITIES), "flags_credit", "max_dpd_3m")
# stored beside the score too: the reasons need them and no other file holds them
BANK_COLUMNS = tuple(f.id for f in bank_catalogue())


@dataclass(frozen=True)
class History:
    frame: Frame
    events: pa.Table
    observed_until: np.datetime64


def history(
    store: Store,
    data_dir: Path,
    *,
    business_ids: Sequence[int] | np.ndarray | None = None,
    events: pa.Table | None = None,
    cutoff: str | None = None,
    test_months: int | None = None,
) -> History:
    """Every labelled month's features of every business in the store's panel (``test_months``
    given: only the rows a training with ``cutoff`` and ``test_months`` uses, laid out as it
    reads them: ``model.frame_sink.training_layout``), built month by month
    (``jobs.risk_history``: the history is never one table), and its credit events.

    An organisation's model (``jobs.risk_org``, ADR 0010): ``business_ids`` keeps only these
    businesses' rows (the engine still runs over every business, so peer percentiles are the
    monitoring run's) without the credit rules' flags, and ``events`` are the credit events its
    credit inputs and labels come from (None: the store's)."""
    with tempfile.TemporaryDirectory(prefix="kizashi-panel-") as tmp:
        panel, balances, last = panel_files(data_dir, Path(tmp))
        if last is None:
            raise Refused(
                "月次データがまだありません(kizashi run でパネルを作ってください)",
                "There are no monthly data yet (`kizashi run` builds the panel).",
            )
        businesses, all_events, loans = register_inputs(store, None, last)
        events = all_events if events is None else events
        scope: dict[str, Any] = {
            "loans": loans,
            "loan_balances": balances,
            "frame_events": events,
            "business_ids": None if business_ids is None else np.asarray(business_ids),
            "episodes": None if business_ids is None else without_credit_flags,
        }
        frame = (
            history_frame(panel, businesses, all_events, last, **scope)
            if test_months is None
            else training_frame(
                panel,
                businesses,
                all_events,
                last,
                cutoff=cutoff,
                test_months=test_months,
                **scope,
            )
        )
    bank = bank_history(data_dir, last)
    if bank is not None:  # where the store holds bank data: its features (``model.bank``)
        frame = add_bank_features(frame, bank)
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
    scope: TrainingScope | None = None,
) -> tuple[str, dict[str, Any]]:
    """Train and evaluate on the store; save a new (inactive) version; returns it and its meta.
    ``scope``: an organisation's own model, trained on what it may read (the caller asked
    ``access.org_models.training_scope`` as the administrator: the read is theirs, audited);
    None: the deployment's (the operator's, over every business). ``actor`` signs the record."""
    org_id = scope.org_id if scope is not None else None
    if scope is None:
        h = history(store, settings.data_dir, cutoff=cutoff, test_months=test_months)
    else:
        h = history(
            store,
            settings.data_dir,
            business_ids=scope.business_ids,
            events=events_table(scope.events),
            cutoff=cutoff,
            test_months=test_months,
        )
    model, _meta = train_evaluate(
        h.frame,
        first_serious(h.events),
        h.observed_until,
        cutoff=np.datetime64(cutoff, "M") if cutoff else None,
        test_months=test_months,
        calibration=calibration,
    )
    version = registry.save_model(
        settings.data_dir,
        model,
        owner_org_id=org_id,
        scope=scope.summary() if scope is not None else None,
    )
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
    staged: Path,
    data_dir: Path,
    result: RunResult,
    events: pa.Table,
    bank: pa.Table | None = None,
    *,
    store: Store | None = None,
) -> str | None:
    """Score the run's as-of month into ``staged`` with the deployment's active model (every
    business) and, given the ``store``, with each organisation's own active model (the
    businesses it may read, ``jobs.risk_org``); the versions scored, joined (None: no active
    model, nothing written). ``bank``: the run's monthly bank features (a model trained with
    bank features gets them, or ``bank_data`` = 0 without).

    Each row records the version and the organisation whose model it is (``model_org_id``,
    NULL: the deployment's). The combined triage priority is not stored: it depends on the
    reader's organisation's weighting, so reads compute it (``access.risk``)."""
    at = np.asarray([np.datetime64(result.as_of, "D")])
    scored = []
    version = registry.active_version(data_dir)
    if version is not None:
        frame = build_frame(result.indicators, result.episodes, events, months=at)
        _write_month(staged, data_dir, version, None, result, frame, bank)
        scored.append(version)
    if store is not None:
        with store.read_session() as s:
            own = org_active_versions(s)
            scopes = {o: training_scope(s, Actor.system(), o, audit=False) for o in own}
        for org_id, v in sorted(own.items()):
            sc = scopes[org_id]
            frame = build_frame(
                only_businesses(result.indicators, sc.business_ids),
                without_credit_flags(result.episodes),
                events_table(sc.events),
                months=at,
            )
            _write_month(staged, data_dir, v, org_id, result, frame, bank)
            scored.append(v)
    return "、".join(scored) or None


def _write_month(
    staged: Path,
    data_dir: Path,
    version: str,
    org_id: int | None,
    result: RunResult,
    frame: Frame,
    bank: pa.Table | None,
) -> None:
    model = registry.load_model(data_dir, version)
    if BANK_COLUMNS[0] in model.names:
        frame = add_bank_features(frame, bank)
    p = model.probability(frame.columns(model.names))
    rules = _rule_priority(result.summary, frame.business_id)
    cols: dict[str, Any] = {
        "business_id": pa.array(frame.business_id, pa.int64()),
        "model_org_id": pa.array([org_id] * frame.business_id.size, pa.int64()),
        "peer_group": pa.array(frame.peer_group, pa.string()),
        "probability": pa.array(p, pa.float64()),
        "rule_priority": pa.array(rules, pa.float64()),
    }
    for c in (*FLAG_COLUMNS, *(b for b in BANK_COLUMNS if b in frame.names)):
        x = frame.X[:, frame.names.index(c)].astype(np.float64)
        cols[c] = pa.array(x, pa.float64(), from_pandas=True)  # an unknown bank value: NULL
    write_scores(staged, version, result.as_of, pa.table(cols))


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


def drift(
    store: Store, data_dir: Path, version: str, scope: TrainingScope | None = None
) -> dict[str, Any]:
    """Per scored month: PSI of every feature against the training rows (from the model file),
    and, where the 12-month window has closed, realised vs mean predicted event rate (an
    organisation's model: of the credit events it may see, ``scope`` as its administrator read
    it, else read here for the organisation, like the run's scoring)."""
    model = registry.load_model(data_dir, version)
    months = score_months(data_dir, version)
    if not months:
        return {"version": version, "months": []}
    panel_last = max(m["as_of"] for m in months)
    owner = model.meta.get("owner_org_id")
    if owner is None:
        _biz, events, _loans = register_inputs(store, None, panel_last)
    else:
        with store.session() as s:
            sc = scope or training_scope(s, Actor.system(), owner, audit=False)
            events = events_table(sc.events)
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
            + ", ".join(
                f"s.{c} AS {c}"
                for c in (*FLAG_COLUMNS, *(b for b in BANK_COLUMNS if b in scores.column_names))
            )
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


def evaluate_later(
    store: Store, data_dir: Path, version: str, scope: TrainingScope | None = None
) -> dict[str, Any] | None:
    """The version on today's data: the labelled months after its cut-off (None: none yet).
    An organisation's model is evaluated on what the organisation may read today (``scope``,
    as its administrator read it; else read here for the organisation)."""
    model = registry.load_model(data_dir, version)
    cutoff = model.meta.get("cutoff")
    if not cutoff:
        return None
    owner = model.meta.get("owner_org_id")
    try:
        if owner is None:
            h = history(store, data_dir)
        else:
            with store.session() as s:
                sc = scope or training_scope(s, Actor.system(), owner, audit=False)
            h = history(
                store, data_dir, business_ids=sc.business_ids, events=events_table(sc.events)
            )
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
