"""``kizashi synth``: write a synthetic portfolio as Parquet parts (and, on request, as
accounting files: ``--export-format table,moneyforward,yayoi``)."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kizashi.jobs.synth_export import DEFAULT_LIMIT, FORMATS, SynthExporter, parse_formats
from kizashi.synth import PortfolioChunk, write_portfolio
from kizashi.synth.bank import BankOptions

from .app import app

_console = Console(soft_wrap=True)


def _parse_month(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}", value):
        raise typer.BadParameter("use YYYY-MM, e.g. 2026-09")
    year, month = map(int, value.split("-"))
    if not 1 <= month <= 12:
        raise typer.BadParameter("month must be 01..12")
    return date(year, month, 1)


@app.command("synth")
def synth(
    businesses: Annotated[
        int, typer.Option("--businesses", "-n", min=1, help="事業者数 (number of businesses)")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="output directory (Parquet parts per table)")
    ],
    seed: Annotated[int, typer.Option(help="random seed: same seed, same portfolio")] = 0,
    months: Annotated[int, typer.Option(min=13, help="months in the common window (>= 13)")] = 36,
    end_month: Annotated[str, typer.Option("--end-month", help="last month, YYYY-MM")] = "2026-09",
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="businesses per part")
    ] = 20000,
    export_format: Annotated[
        list[str] | None,
        typer.Option(
            "--export-format",
            help=f"also write each business as files in FMT under OUT/export/FMT/ "
            f"({', '.join(FORMATS)}; repeat or comma-separate)",
        ),
    ] = None,
    export_businesses: Annotated[
        int,
        typer.Option(
            "--export-businesses",
            min=0,
            help="how many businesses (the first ids) to export as files",
        ),
    ] = DEFAULT_LIMIT,
    bank: Annotated[
        bool,
        typer.Option(
            "--bank",
            help="also write bank transactions, invoices, open items and the truth table of "
            "planted book/bank discrepancies (bank_truth)",
        ),
    ] = False,
    bank_months: Annotated[
        int, typer.Option("--bank-months", min=2, help="months of bank history (with --bank)")
    ] = 12,
    bank_tx: Annotated[
        int,
        typer.Option("--bank-tx", min=10, help="bank transactions per business and month"),
    ] = 100,
    bank_discrepancies: Annotated[
        float,
        typer.Option(
            "--bank-discrepancies",
            min=0.0,
            max=1.0,
            help="share of businesses with a planted discrepancy (with --bank)",
        ),
    ] = 0.10,
) -> None:
    """合成ポートフォリオを生成する (generate a synthetic portfolio; nothing in it is real)."""
    end = _parse_month(end_month)
    try:
        formats = parse_formats(export_format or [])
    except ValueError as exc:  # the job's words are English; the CLI says it in Japanese
        raise typer.BadParameter(
            f"出力形式が正しくありません({exc.args[0].split(';')[0].removeprefix('unknown export format ')})。"
            f"選べる形式: {', '.join(FORMATS)}",
            param_hint="--export-format",
        ) from exc
    exporter = SynthExporter(out / "export", formats, export_businesses) if formats else None
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]synth[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console,
        transient=False,
    ) as progress:
        task = progress.add_task("businesses", total=businesses)

        def advance(chunk: PortfolioChunk) -> None:
            progress.update(task, completed=chunk.last_id)
            if exporter is not None:
                exporter.add_chunk(chunk)

        opts = BankOptions(bank_months, bank_tx, bank_discrepancies, seed) if bank else None
        summary = write_portfolio(
            out, businesses, seed, months, end, chunk_size, advance, bank=opts
        )
    elapsed = time.perf_counter() - started

    table = Table(title=f"synthetic portfolio → {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    _console.print(table)
    n = max(summary.businesses, 1)
    paths = ", ".join(f"{k} {v / n:.1%}" for k, v in sorted(summary.path_counts.items()))
    outcomes = ", ".join(f"{k} {v / n:.1%}" for k, v in sorted(summary.outcome_counts.items()))
    _console.print(f"paths: {paths}")
    _console.print(f"outcomes by {end:%Y-%m}: {outcomes}")
    _console.print(
        f"{summary.businesses:,} businesses, {summary.total_rows:,} rows in {summary.parts} "
        f"part(s) per table, {elapsed:.1f} s"
    )
    if exporter is not None:
        ex = exporter.summary
        manifest = ex.write_manifest()
        _console.print(
            f"exported {ex.businesses:,} business(es) as {ex.files:,} file(s) "
            f"({', '.join(ex.formats)}; {ex.bytes / 1024 / 1024:.1f} MiB) → {ex.out_dir}; "
            f"fiscal-year start months in {manifest}"
        )
