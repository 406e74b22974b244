"""Stream the synthetic portfolio to Parquet parts: ``DIR/<table>/part-00000.parquet`` …

One part per chunk and table, written as soon as the chunk is generated, so memory stays
flat however many businesses are requested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from .bank import BANK_TABLES, BankOptions, bank_chunk
from .calendar import month_index
from .generator import TABLES, PortfolioChunk, generate


@dataclass
class WriteSummary:
    out_dir: Path
    businesses: int = 0
    parts: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    path_counts: dict[str, int] = field(default_factory=dict)
    outcome_counts: dict[str, int] = field(default_factory=dict)
    event_counts: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def add(self, chunk: PortfolioChunk) -> None:
        self.parts += 1
        self.businesses += chunk.businesses.num_rows
        for name, table in chunk.tables().items():
            self.rows[name] += table.num_rows
        for target, table, col in (
            (self.path_counts, chunk.businesses, "path"),
            (self.outcome_counts, chunk.businesses, "outcome"),
            (self.event_counts, chunk.credit_events, "kind"),
        ):
            for row in table.group_by(col).aggregate([([], "count_all")]).to_pylist():
                target[row[col]] = target.get(row[col], 0) + row["count_all"]


def write_portfolio(
    out_dir: Path,
    n_businesses: int,
    seed: int = 0,
    months: int = 36,
    end_month: date = date(2026, 9, 1),
    chunk_size: int = 20000,
    on_chunk: Callable[[PortfolioChunk], None] | None = None,
    bank: BankOptions | None = None,
) -> WriteSummary:
    """Generate and write; ``on_chunk`` is called after each chunk is on disk (progress).

    With ``bank``, also the bank transactions, invoices, open items and the truth table of
    planted discrepancies (``synth.bank``), streamed block by block into one part per chunk;
    the panel then carries the books-side plants.
    """
    out_dir = Path(out_dir)
    names = (*TABLES, *BANK_TABLES) if bank else TABLES
    for name in names:
        (out_dir / name).mkdir(parents=True, exist_ok=True)
    summary = WriteSummary(out_dir=out_dir)
    for chunk in generate(n_businesses, seed, months, end_month, chunk_size):
        if bank is not None:
            chunk = _with_bank(out_dir, chunk, month_index(end_month), bank, summary)
        for name, table in chunk.tables().items():
            pq.write_table(
                table, out_dir / name / f"part-{chunk.index:05d}.parquet", compression="zstd"
            )
        summary.add(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return summary


def _with_bank(
    out_dir: Path, chunk: PortfolioChunk, end_mi: int, opts: BankOptions, summary: WriteSummary
) -> PortfolioChunk:
    panel, blocks = bank_chunk(chunk.panel, chunk.repayments, chunk.loan_balances, end_mi, opts)
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for tables in blocks:
            for name, table in tables.items():
                if name not in writers:
                    path = out_dir / name / f"part-{chunk.index:05d}.parquet"
                    writers[name] = pq.ParquetWriter(path, table.schema, compression="zstd")
                writers[name].write_table(table)
                summary.rows[name] = summary.rows.get(name, 0) + table.num_rows
    finally:
        for w in writers.values():
            w.close()
    return replace(chunk, panel=panel)
