"""Load a synthetic portfolio (``kizashi.synth``) into the operational store, chunk by chunk.

The job generates; the writes are actions (``kizashi.actions.portfolio``): the generator
manifest kept as the raw file, then one ``do_load_portfolio_chunk`` per chunk, each in its own
transaction (a failure leaves earlier chunks complete and the failing chunk absent) and audited
as one write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import numpy as np

from kizashi.access import Actor
from kizashi.actions.portfolio import (
    Institutions,
    LoadSummary,
    do_load_portfolio_chunk,
    do_store_portfolio_manifest,
)
from kizashi.settings import Settings
from kizashi.store.db import Store

__all__ = ["Institutions", "LoadSummary", "load_synthetic_portfolio"]


def load_synthetic_portfolio(
    store: Store,
    settings: Settings,
    inst: Institutions,
    *,
    n: int,
    seed: int,
    months: int,
    end_month: date,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> LoadSummary:
    from kizashi.synth import generate

    manifest = json.dumps(
        {
            "generator": "kizashi.synth",
            "businesses": n,
            "seed": seed,
            "months": months,
            "end_month": end_month.isoformat(),
        },
        sort_keys=True,
    ).encode()
    summary = LoadSummary()
    rng = np.random.default_rng([seed, 7])
    actor = Actor.system()
    with store.session() as s:
        sha = do_store_portfolio_manifest(s, actor, raw_dir=settings.raw_dir, manifest=manifest)
    for chunk in generate(n, seed=seed, months=months, end_month=end_month, chunk_size=2000):
        with store.session() as s:
            do_load_portfolio_chunk(s, actor, chunk, inst, sha, summary, rng=rng, today=today)
        if progress:
            progress(chunk.last_id - chunk.first_id + 1)
    return summary
