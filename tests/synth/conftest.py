"""One synthetic portfolio shared by the synth tests (generated once, about a second)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kizashi.domain.chart import load_chart
from kizashi.domain.panel import item_columns
from kizashi.synth import generate

END = date(2026, 9, 1)


@dataclass(frozen=True)
class Portfolio:
    tables: dict[str, pa.Table]
    n: int

    def df(self, name: str) -> pd.DataFrame:
        return self.tables[name].to_pandas()


def collect(
    n: int, seed: int, chunk_size: int, months: int = 36, end: date = END
) -> dict[str, pa.Table]:
    parts: dict[str, list[pa.Table]] = {}
    for chunk in generate(n, seed=seed, months=months, end_month=end, chunk_size=chunk_size):
        for name, table in chunk.tables().items():
            parts.setdefault(name, []).append(table)
    return {name: pa.concat_tables(ts) for name, ts in parts.items()}


@pytest.fixture(scope="session")
def portfolio() -> Portfolio:
    return Portfolio(collect(5000, seed=11, chunk_size=2000), 5000)


def evaluate(panel: pa.Table, code: str) -> np.ndarray:
    """A chart item for every panel row, from the leaf columns."""
    total = np.zeros(panel.num_rows, dtype=np.int64)
    for leaf, sign in load_chart().leaf_terms(code).items():
        total += sign * panel.column(leaf).to_numpy()
    return total


def fiscal_ytd(panel: pa.Table, values: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` within (business, fiscal year), rows in panel order."""
    bid = panel.column("business_id").to_numpy()
    fy = panel.column("fiscal_year_start").to_numpy().astype("datetime64[D]").astype(np.int64)
    new = np.r_[True, (bid[1:] != bid[:-1]) | (fy[1:] != fy[:-1])]
    cs = np.cumsum(values)
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    return cs - (cs[starts] - values[starts])[group]


__all__ = ["END", "Portfolio", "collect", "evaluate", "fiscal_ytd", "item_columns"]
