"""Reads of a business's risk score — always through ``access`` (category ``financials``).

The score row comes from the analytics file (``store.risk_scores``: the newest two months of the
model the reader's organisation scores with — its own active version, else the deployment's
(``access.org_models``, ADR 0010) — for the change from last month, with the peer group's
median); the reasons are computed on request from the month's indicator row and the stored flag
inputs (exact TreeSHAP, one row: milliseconds). The combined triage priority is computed here
with the reader's organisation's weighting (it is not stored: it differs by organisation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from kizashi.domain.periods import month_end
from kizashi.domain.triage import DEFAULT_SCORE_PCT
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.engine.spec.packs import default_pack
from kizashi.model import registry
from kizashi.model.explain import Reason, reasons
from kizashi.store import analytics
from kizashi.store.risk_scores import business_scores, month_ranks

from .actor import Actor
from .org_models import active_model
from .policy import access_business_by_id
from .risk_admin import read_risk_weight


@dataclass(frozen=True)
class RiskView:
    version: str
    model_org_id: int | None  # the organisation whose model scored it (None: the deployment's)
    as_of: date  # the last day of the scored month
    probability: float
    peer_median: float | None
    peer_n: int | None
    change: float | None  # from the previous scored month (None: no previous score)
    triage: float | None  # 0–100, the combined priority
    rule_priority: float | None
    reasons: list[Reason]


def read_risk(
    session: Session,
    actor: Actor,
    data_dir: Path,
    business_id: int,
    purpose: Purpose,
    *,
    today: date | None = None,
    default_score_pct: int | None = None,
) -> RiskView | None:
    """The business's newest score of the model the reader's organisation scores with (None: no
    active model or no score of it).
    ``triage`` is the reader's organisation's: its weighting (``risk_weight``, none set:
    ``default_score_pct``) of the score's and the rules' percentile ranks in the month."""
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.FINANCIALS,
        purpose,
        action="read_risk",
        today=today,
    )
    active = active_model(session, data_dir, actor.org_id)
    if active is None:
        return None
    version = active.version
    rows = business_scores(data_dir, business_id, version)
    if not rows:
        return None
    now = rows[0]
    model = registry.load_model(data_dir, version)
    row, _peers = analytics.indicators_with_peers(
        data_dir, business_id, default_pack().ref, now["as_of"]
    )
    x = np.full(len(model.names), np.nan)
    for j, n in enumerate(model.names):
        v = now.get(n) if n in now else (row or {}).get(n)
        if v is not None:
            x[j] = float(v)
    contrib = model.contributions(x[None, :])[0]
    prev = rows[1]["probability"] if len(rows) > 1 else None
    return RiskView(
        version=version,
        model_org_id=active.owner_org_id,
        as_of=month_end(now["as_of"]),
        probability=float(now["probability"]),
        peer_median=now.get("peer_median"),
        peer_n=now.get("peer_n"),
        change=None if prev is None else float(now["probability"]) - float(prev),
        triage=_triage(session, actor, data_dir, version, now, default_score_pct),
        rule_priority=now.get("rule_priority"),
        reasons=reasons(contrib, x, model.names),
    )


def _triage(
    session: Session,
    actor: Actor,
    data_dir: Path,
    version: str,
    row: dict[str, Any],
    default_score_pct: int | None,
) -> float | None:
    """The combined priority (0–100) with the reader's organisation's weighting: the score's and
    the rules' percentile ranks among the businesses the model scored that month."""
    p, r = row.get("probability"), row.get("rule_priority")
    if p is None or r is None:
        return None
    ranks = month_ranks(data_dir, version, row["as_of"], float(p), float(r))
    if ranks is None:
        return None
    default = DEFAULT_SCORE_PCT if default_score_pct is None else default_score_pct
    w = read_risk_weight(session, actor.org_id, default).score_pct / 100
    return round(w * ranks[0] + (1 - w) * ranks[1], 1)
