"""The risk model's training rows from the whole panel history, streamed month by month.

``history_frame`` runs the engine once over every month (the latest-month run's work, its
memory bounded by business chunks) and receives each month's indicators with its peer
percentiles one month at a time (``run_monitoring(history_sink=…)``) into a
``model.frame_sink.FrameSink``: the history is never one table. At 1.5M businesses × 36 months
that table alone would be several times the 12 GB the model may use (docs/model.md). Only the
months the training can use are kept (``training_months``): the rows whose 12-month window has
closed, and of those only the ones the time split trains or tests on.

``panel_files`` writes the store's panel (and monthly loan balances) from the analytics file to
Parquet, where the engine reads them chunk by chunk, instead of reading them whole into Arrow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from kizashi.domain.panel import (
    EXTRA_COLUMNS,
    KEY_COLUMNS,
    LOAN_COLUMNS,
    LoanColumns,
    item_columns,
    subtotal_columns,
)
from kizashi.engine.exec.run import Source, run_monitoring
from kizashi.model.features import Frame
from kizashi.model.frame_sink import FrameSink, Layout, training_layout
from kizashi.model.labels import HORIZON, first_serious, month_end
from kizashi.store.analytics import analytics_path
from kizashi.store.analytics_schema import LOAN_BALANCE_COLUMNS, LOAN_BALANCES, PANEL

# DuckDB's cap during the history run: it spills beyond it. The frame being filled sits beside it.
MEMORY_LIMIT = "3GB"


def training_months(
    last: date, *, cutoff: str | None = None, test_months: int = 6, horizon: int = HORIZON
) -> np.ndarray:
    """The months (first days) a training up to ``last`` uses: every month whose
    ``horizon``-month window has closed by ``last``'s end, less the ones the time split neither
    trains nor tests on (after ``cutoff`` − ``horizon``, up to ``cutoff``: ``split.time_split``).
    ``cutoff`` None: ``split.default_cutoff``'s (the last labelled month − ``test_months``),
    which the kept months give again, since the last labelled month is kept."""
    lab = np.datetime64(last, "M") - horizon
    cut = np.datetime64(cutoff, "M") if cutoff else lab - test_months
    first = lab - 12 * 30  # any panel's first month is later
    ms = np.arange(first, lab + 1)
    keep = (ms <= cut - horizon) | (ms > cut) | (ms == lab)
    return ms[keep].astype("datetime64[D]")


def history_frame(
    panel: Source,
    businesses: Source,
    events: pa.Table,
    last: date,
    *,
    loans: Source = None,
    loan_balances: Source = None,
    loan_columns: LoanColumns = LOAN_COLUMNS,
    months: np.ndarray | None = None,
    frame_events: pa.Table | None = None,
    business_ids: np.ndarray | None = None,
    episodes: Callable[[pa.Table], pa.Table] | None = None,
    layout: Layout | None = None,
    memory_limit: str | None = MEMORY_LIMIT,
) -> Frame:
    """The feature frame of every labelled month up to ``last`` (``months``: only these), as
    ``build_frame`` makes it from ``run_monitoring(history=True)``'s tables.

    ``events``: the run's credit events; ``frame_events``: the ones the credit features read
    (None: ``events``); ``business_ids``: only these businesses' rows (the engine still runs
    over all, so the percentiles are the portfolio's); ``episodes``: applied to the flag
    episodes before they are counted; ``layout``: the rows kept and their order
    (``model.frame_sink.training_layout``: as ``train_evaluate`` reads them)."""
    lab = np.datetime64(last, "M") - HORIZON
    if months is None:
        months = np.arange(lab - 12 * 30, lab + 1).astype("datetime64[D]")
    sink = FrameSink(
        events if frame_events is None else frame_events,
        months,
        business_ids=business_ids,
        episodes=episodes,
        layout=layout,
    )
    run_monitoring(
        panel,
        businesses,
        events,
        None,
        last,
        loans=loans,
        loan_columns=loan_columns,
        loan_balances=loan_balances,
        history_sink=sink,
        history_months=[m.astype(object) for m in np.asarray(months, dtype="datetime64[D]")],
        as_of_tables=False,
        evidence=False,  # the frame counts flags, never reads their evidence
        memory_limit=memory_limit,
    )
    return sink.frame()


def training_frame(
    panel: Source,
    businesses: Source,
    events: pa.Table,
    last: date,
    *,
    cutoff: str | None = None,
    test_months: int = 6,
    frame_events: pa.Table | None = None,
    **kwargs: Any,
) -> Frame:
    """``history_frame`` of the rows a training with ``cutoff`` and ``test_months`` uses, laid
    out as ``train_evaluate`` reads them (``training_layout``; labels from ``frame_events``,
    None: ``events``). ``kwargs``: ``history_frame``'s."""
    labels_from = events if frame_events is None else frame_events
    return history_frame(
        panel,
        businesses,
        events,
        last,
        months=training_months(last, cutoff=cutoff, test_months=test_months),
        frame_events=frame_events,
        layout=training_layout(
            first_serious(labels_from),
            month_end(np.asarray([np.datetime64(last, "D")]))[0],
            cutoff=np.datetime64(cutoff, "M") if cutoff else None,
            test_months=test_months,
        ),
        **kwargs,
    )


def panel_files(data_dir: Path, out_dir: Path) -> tuple[Path, Path | None, date | None]:
    """The analytics file's panel (and monthly loan balances, if any) as Parquet files in
    ``out_dir``: (panel, loan balances or None, the panel's last month or None: empty)."""
    con = duckdb.connect(str(analytics_path(data_dir)), read_only=True)
    try:
        last = con.execute(f"SELECT MAX(month) FROM {PANEL}").fetchone()[0]  # type: ignore[index]
        cols = ", ".join(
            f'"{c}"' for c in (*KEY_COLUMNS, *item_columns(), *EXTRA_COLUMNS, *subtotal_columns())
        )
        panel = out_dir / "panel.parquet"
        con.execute(
            f"COPY (SELECT {cols} FROM {PANEL} ORDER BY business_id, month) "
            f"TO '{panel}' (FORMAT parquet)"
        )
        balances: Path | None = None
        if LOAN_BALANCES in {r[0] for r in con.execute("SHOW TABLES").fetchall()}:
            balances = out_dir / "loan_balances.parquet"
            con.execute(
                f"COPY (SELECT {', '.join(LOAN_BALANCE_COLUMNS)} FROM {LOAN_BALANCES} "
                f"ORDER BY business_id, month) TO '{balances}' (FORMAT parquet)"
            )
    finally:
        con.close()
    return panel, balances, last
