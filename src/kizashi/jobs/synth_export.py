"""Write synthetic businesses out as accounting files: ``OUT/export/FMT/<business>.csv``.

The synthetic panel (B/S balances, P/L monthly flows; ``kizashi.domain.panel``) becomes
cumulative monthly trial balances (``cumulative_from_flows``) and then a file per business
per format through ``kizashi.ingest.writers``: a generic 残高試算表 (``table``), a
マネーフォワード 仕訳帳 (``moneyforward``) or a 弥生 仕訳日記帳 (``yayoi``). Importing such a file
reproduces the panel's numbers exactly, yen for yen (tests/ingest/test_synth_roundtrip.py).

Only the first ``limit`` businesses are exported (default ``DEFAULT_LIMIT``): the files are
for trying the importers, demos and round-trip tests, not a second copy of a national
portfolio. ``OUT/export/manifest.csv`` lists each business with its fiscal-year start
month, which the journal and table files do not state.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc

from kizashi.ingest.writers import WRITERS, cumulative_from_flows, write
from kizashi.synth import PortfolioChunk

DEFAULT_LIMIT = 200
FORMATS = tuple(sorted(WRITERS))
MANIFEST_HEADER = ["business_id", "name", "fiscal_year_start_month", "months", "format", "file"]


def parse_formats(values: Iterable[str]) -> list[str]:
    """``--export-format`` values, repeatable and/or comma-separated, checked, in order."""
    out: list[str] = []
    for value in values:
        for f in (p.strip() for p in value.split(",")):
            if not f:
                continue
            if f not in WRITERS:
                raise ValueError(f"unknown export format {f!r}; choose from {', '.join(FORMATS)}")
            if f not in out:
                out.append(f)
    return out


def file_name(business_id: int, fmt: str) -> str:
    return f"business-{business_id:07d}.{fmt}.csv"


@dataclass
class ExportSummary:
    out_dir: Path
    formats: list[str]
    limit: int
    businesses: int = 0
    files: int = 0
    bytes: int = 0
    manifest: list[list[str]] = field(default_factory=list)

    def write_manifest(self) -> Path:
        path = self.out_dir / "manifest.csv"
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(MANIFEST_HEADER)
        w.writerows(self.manifest)
        path.write_text(buf.getvalue(), "utf-8")
        return path


class SynthExporter:
    """Fed chunk by chunk (``kizashi synth``'s ``on_chunk``); stops after ``limit`` businesses."""

    def __init__(self, out_dir: Path, formats: list[str], limit: int = DEFAULT_LIMIT) -> None:
        if not formats:
            raise ValueError("give at least one export format")
        if limit < 0:
            raise ValueError("the export limit cannot be negative")
        self.summary = ExportSummary(Path(out_dir), list(formats), limit)
        for fmt in formats:
            (self.summary.out_dir / fmt).mkdir(parents=True, exist_ok=True)

    @property
    def done(self) -> bool:
        return self.summary.businesses >= self.summary.limit

    def add_chunk(self, chunk: PortfolioChunk) -> None:
        if self.done:
            return
        s = self.summary
        take = chunk.businesses.slice(0, s.limit - s.businesses)
        ids = take.column("business_id")
        panel = chunk.panel.filter(pc.is_in(chunk.panel.column("business_id"), value_set=ids))
        by_business: dict[int, list[dict]] = {}
        for row in panel.to_pylist():
            by_business.setdefault(row["business_id"], []).append(row)
        for biz in take.to_pylist():
            self._business(biz, by_business.get(biz["business_id"], []))

    def _business(self, biz: dict, rows: list[dict]) -> None:
        s = self.summary
        s.businesses += 1
        if not rows:
            return
        months = cumulative_from_flows(rows)
        fy_month = biz["fiscal_year_end_month"] % 12 + 1
        for fmt in s.formats:
            data = write(fmt, months)
            name = file_name(biz["business_id"], fmt)
            (s.out_dir / fmt / name).write_bytes(data)
            s.files += 1
            s.bytes += len(data)
            s.manifest.append(
                [
                    str(biz["business_id"]),
                    biz["name"],
                    str(fy_month),
                    str(len(months)),
                    fmt,
                    f"{fmt}/{name}",
                ]
            )


def export_panel(
    out_dir: Path, formats: list[str], chunks: Iterable[PortfolioChunk], limit: int = DEFAULT_LIMIT
) -> ExportSummary:
    """Export from already generated chunks (tests, scripts); writes the manifest."""
    exporter = SynthExporter(out_dir, formats, limit)
    for chunk in chunks:
        exporter.add_chunk(chunk)
        if exporter.done:
            break
    exporter.summary.write_manifest()
    return exporter.summary


__all__ = [
    "DEFAULT_LIMIT",
    "FORMATS",
    "ExportSummary",
    "SynthExporter",
    "export_panel",
    "file_name",
    "parse_formats",
]
