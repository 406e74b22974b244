"""An organisation's own risk model in the jobs (ADR 0010): its inputs as the engine's tables.

``kizashi.access.org_models.training_scope`` decides which businesses and credit events an
organisation's model learns from and scores; this module turns them into the Arrow inputs of
``jobs.risk_model`` (``history(business_ids=…, events=…)`` for training, ``score_run`` for
each organisation's active version). No business data is read here.

The engine runs over every business as in the monitoring run (peer percentiles, the flags of the
financial rules: what every page shows); an organisation's model keeps only its businesses'
rows, takes its credit inputs (the worst arrears of the last three months) and its labels from
the credit events it may see, and leaves out the flags of the credit rules (``credit.*``), which
the shared pack raises from every organisation's credit events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def events_table(rows: Sequence[Sequence[Any]]) -> pa.Table:
    """Credit events (business_id, loan_id, kind, occurred_on, days_past_due) as the engine's
    ``events`` input (the shape ``run_inputs.register_inputs`` builds)."""
    return pa.table(
        {
            "business_id": pa.array([r[0] for r in rows], pa.int64()),
            "loan_id": pa.array([r[1] for r in rows], pa.int64()),
            "kind": pa.array(
                [str(r[2].value if hasattr(r[2], "value") else r[2]) for r in rows], pa.string()
            ),
            "occurred_on": pa.array([r[3] for r in rows], pa.date32()),
            "days_past_due": pa.array([r[4] for r in rows], pa.int32()),
        }
    )


def only_businesses(table: pa.Table, business_ids: Sequence[int] | np.ndarray) -> pa.Table:
    """The rows of ``table`` whose ``business_id`` is one of ``business_ids``."""
    ids = pa.array(np.asarray(business_ids, dtype=np.int64))
    col = table.column("business_id")
    if col.type != pa.int64():
        col = col.cast(pa.int64())
    return table.filter(pc.is_in(col, value_set=ids))


def without_credit_flags(episodes: pa.Table | None) -> pa.Table | None:
    """The flag episodes without the credit rules' (``credit.*``: raised from every
    organisation's credit events)."""
    if episodes is None or episodes.num_rows == 0:
        return episodes
    keep = pc.invert(pc.starts_with(episodes.column("rule_id"), "credit."))
    return episodes.filter(pc.fill_null(keep, True))
