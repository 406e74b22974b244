"""``kizashi chart`` and ``kizashi ingest``: the standard chart and file import (dry run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kizashi.domain.chart import load_chart
from kizashi.ingest import ColumnMapping, IngestError, Report, analyse_files, load_importers

from .app import app


@app.command("chart")
def chart_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """標準科目を表示する / Print the standard chart of accounts."""
    chart = load_chart()
    items = [
        {
            "code": i.code,
            "ja": i.ja,
            "en": i.en,
            "statement": i.statement,
            "side": i.side,
            "kind": i.kind,
            "parent": i.parent,
        }
        for i in chart.items
    ]
    if as_json:
        typer.echo(
            json.dumps({"version": chart.version, "items": items}, ensure_ascii=False, indent=2)
        )
        return
    for i in items:
        typer.echo(
            f"{i['code']:<40} {i['statement']} {i['side']:<6} {i['kind']:<7} "
            f"{i['parent'] or '-':<30} {i['ja']} / {i['en']}"
        )


def _print_formats() -> None:
    for name, imp in sorted(load_importers().items()):
        typer.echo(f"{name:<16} {imp.label_ja} / {imp.label_en}")


def _print_report(report: Report) -> None:
    for s in report.sources:
        typer.echo(
            f"{s.filename}: {s.format} ({s.format_label}) — {s.format_reason}; "
            f"encoding {s.encoding} ({s.encoding_reason}); {s.kind}"
        )
    typer.echo(f"fiscal year starts in month {report.fiscal_year_start_month}")
    typer.echo("mapping:")
    for m in report.mapping:
        mark = " ← confirm" if m.needs_confirmation else ""
        typer.echo(f"  {m.account:<30} → {m.code or '?':<30} {m.confidence:.2f} {m.method}{mark}")
    for month in report.months:
        typer.echo(f"{month.period_end} (fiscal year from {month.fiscal_year_start}):")
        for code, value in month.amounts.items():
            typer.echo(f"  {code:<40} {value:>15,}")
    for issue in [*report.errors, *report.warnings]:
        where = ":".join(str(x) for x in (issue.file, issue.line, issue.column) if x)
        typer.echo(f"{issue.severity.upper()} {issue.code} {where} {issue.message}")


@app.command("ingest")
def ingest_cmd(
    files: Annotated[list[Path] | None, typer.Argument(help="files to import")] = None,
    business: Annotated[int | None, typer.Option("--business", help="business id")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="importer name")] = None,
    fy_month: Annotated[
        int | None,
        typer.Option(
            "--fiscal-year-start-month", min=1, max=12, help="first month of the fiscal year"
        ),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--column-mapping", help="saved column mapping (JSON)")
    ] = None,
    period_end: Annotated[
        str | None, typer.Option("--period-end", help="period end when the file lacks it")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="analyse only; store nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    list_formats: Annotated[bool, typer.Option("--list-formats", help="list importers")] = False,
) -> None:
    """会計ソフトの出力を取り込む / Import accounting exports (``formats`` lists importers)."""
    if list_formats or (files and len(files) == 1 and str(files[0]) == "formats"):
        _print_formats()
        return
    if not files:
        raise typer.BadParameter("give at least one FILE (or `kizashi ingest formats`)")
    if not dry_run:
        typer.echo(
            "not yet: storing needs the database; use --dry-run to analyse without "
            f"storing (business {business}).",
            err=True,
        )
        raise typer.Exit(2)
    try:
        column_mapping = ColumnMapping.from_json(mapping.read_text("utf-8")) if mapping else None
        report = analyse_files(
            [(p.read_bytes(), p.name) for p in files],
            format=fmt,
            fiscal_year_start_month=fy_month,
            column_mapping=column_mapping,
            period_end=period_end,
        )
    except (IngestError, OSError, ValueError) as exc:
        if as_json:
            typer.echo(json.dumps({"ok": False, "fatal": str(exc)}, ensure_ascii=False))
        else:
            typer.echo(f"ERROR {exc}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)
