"""``kizashi chart`` and ``kizashi ingest``: the standard chart, file import and storing.

``kizashi ingest FILE... --business ID --as LOGIN`` stores through ``do_import_submission``;
``--dry-run`` without ``--business`` analyses only (no database). ``kizashi ingest confirm``
remembers account confirmations; ``kizashi ingest formats`` lists the importers.

Exit codes: 0 stored (or already stored, or a clean dry run); 1 errors or refused;
2 usage; 3 accounts need a person's confirmation (nothing stored).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from kizashi.actions.mappings import do_confirm_account_mapping, do_save_column_mapping
from kizashi.actions.submissions import ImportOutcome, do_import_submission
from kizashi.domain.chart import load_chart
from kizashi.ingest import ColumnMapping, IngestError, Limits, Report, analyse_files, load_importers
from kizashi.ingest.limits import limits_of
from kizashi.ingest.money import default_money_importers
from kizashi.store.errors import NotFound
from kizashi.web.i18n import Translator
from kizashi.web.upload_report import (
    format_label,
    issue_row,
    item_label,
    method_label,
    omitted_rows,
)

from . import money_cmd
from .app import app
from .context import actor_for, checkpoint_audit, settings, store

EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_CONFIRM = 3


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
    for name, money in sorted(default_money_importers().items()):
        typer.echo(f"{name:<16} {money.label_ja} / {money.label_en}")


def _print_report(report: Report) -> None:
    """The report in Japanese, worded from codes by the pages' catalogue (--json: as stored)."""
    t = Translator("ja")
    chart = load_chart()
    for s in report.sources:
        typer.echo(f"{s.filename}: {format_label(s.format, t)}(文字コード {s.encoding})")
    if report.fiscal_year_start_month:
        typer.echo(f"会計年度の開始月: {report.fiscal_year_start_month}月")
    typer.echo("科目の対応:")
    for m in report.mapping:
        mark = "  ← 確認が必要" if m.needs_confirmation else ""
        typer.echo(
            f"  {m.account:<30} → {item_label(chart, m.code, t):<24} "
            f"{round(m.confidence * 100):>3}% {method_label(m.method, t)}{mark}"
        )
    for month in report.months:
        typer.echo(f"{t.date(month.period_end)}(会計年度 {t.date(month.fiscal_year_start)} から):")
        for code, value in month.amounts.items():
            typer.echo(f"  {item_label(chart, code, t):<30} {value:>15,}円")
    for issue in [*report.errors, *report.warnings]:
        row = issue_row(issue, t)
        where = " ".join(
            x
            for x in (
                issue.file,
                f"{issue.line}行目" if issue.line else "",
                f"{issue.column}列目" if issue.column else "",
            )
            if x
        )
        what = "・".join(x for x in (row.field, row.value) if x)
        severity = "エラー" if issue.severity == "error" else "注意"
        detail = " ".join(x for x in (where, what, row.message) if x)
        typer.echo(
            f"{severity} {row.headline}: {detail}" if detail else f"{severity} {row.headline}"
        )
    if report.errors_omitted or report.warnings_omitted:
        counts = "、".join(
            f"{row.headline} {row.count:,} 件"
            for row in omitted_rows(report.issue_counts, report.errors, t)
        )
        typer.echo(
            f"表示したのはエラー {report.errors_total:,} 件中 {len(report.errors):,} 件、"
            f"注意 {report.warnings_total:,} 件中 {len(report.warnings):,} 件"
            f"(KIZASHI_MAX_UPLOAD_ISSUES)。種類ごとの全件数: {counts}"
        )


def _read_files(files: list[Path], limit: int, as_json: bool) -> list[tuple[bytes, str]]:
    """The files' bytes; a file over the upload limit is refused before it is read."""
    out = []
    for p in files:
        try:
            size = p.stat().st_size
            if size > limit:
                _fatal(
                    f"{p.name}: {size:,} バイトで、取り込みの上限 {limit:,} バイト"
                    "(KIZASHI_MAX_UPLOAD_BYTES)を超えています。期間を分けるか、上限を上げてください",
                    as_json,
                )
            out.append((p.read_bytes(), p.name))
        except OSError as exc:
            _fatal(f"{p}: {exc.strerror or exc}", as_json)
    return out


def _fatal(message: str, as_json: bool, code: int = EXIT_ERRORS) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"ok": False, "fatal": message}, ensure_ascii=False))
    else:
        typer.echo(f"エラー: {message}", err=True)
    raise typer.Exit(code)


def _column_mapping(value: str | None, as_json: bool) -> ColumnMapping | str | None:
    """``--column-mapping``: a JSON file, or else the name of a preset saved in the store."""
    if value is None:
        return None
    path = Path(value)
    if path.is_file():
        try:
            return ColumnMapping.from_json(path.read_text("utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            _fatal(f"{value}: not a column mapping ({exc})", as_json)
    return value


def _print_outcome(outcome: ImportOutcome, login: str) -> None:
    _print_report(outcome.report)
    b = outcome.business_id
    t = Translator("ja")
    if outcome.duplicate:
        typer.echo(
            f"取り込み済みです: 事業者 {b} の提出 {outcome.submission_id} と同じファイルです。"
            "何も変えていません"
        )
        return
    if outcome.needs_confirmation:
        fmt = outcome.source_format or "FORMAT"
        typer.echo(
            f"保存していません: {len(outcome.needs_confirmation)} 件の科目に確認が必要です。"
            "一度確認すると記憶されます。確認してからもう一度取り込んでください:"
        )
        for m in outcome.needs_confirmation:
            typer.echo(
                f"  kizashi ingest confirm --business {b} --as {login} --source-format {fmt} "
                f'"{m.account}={m.code or "CODE"}"'
            )
    if outcome.report.errors:
        typer.echo("保存していません: エラーがあります(上の一覧)")
    if not outcome.ok:
        return
    verb = "保存できます(確認のみ)" if outcome.dry_run else "保存しました"
    head = f"提出 {outcome.submission_id}" if outcome.stored else "新しい提出"
    typer.echo(f"{verb}: 事業者 {b} の{head}(sha256 {outcome.raw_sha256})")
    kinds = {"monthly_tb": "月次試算表", "annual": "決算書"}
    for st in outcome.statements:
        sup = f"、{st.supersedes_id} 番を置き換え" if st.supersedes_id else ""
        ident = f" {st.id} 番" if st.id else ""
        typer.echo(
            f"  {t.date(st.period_end)} {kinds.get(str(st.kind), str(st.kind))}{ident}"
            f" 第{st.version}版({st.lines} 行{sup})"
        )
    for d in outcome.unchanged:
        typer.echo(f"  {t.date(d)} は同じ数字で保存済みです: 変更なし")


def _confirm(
    business: int | None,
    login: str | None,
    source_format: str | None,
    pairs: list[str],
    as_json: bool,
) -> None:
    if business is None or not login or not source_format or not pairs:
        raise typer.BadParameter(
            "usage: kizashi ingest confirm --business ID --as LOGIN --source-format FORMAT "
            '"勘定科目名=standard_code" ...'
        )
    parsed = []
    for pair in pairs:
        name, sep, code = pair.rpartition("=")
        if not sep or not name.strip() or not code.strip():
            raise typer.BadParameter(f"{pair!r}: write 勘定科目名=standard_code")
        parsed.append((name.strip(), code.strip()))
    actor = actor_for(login)
    try:
        with store().session() as s:
            rows = [
                do_confirm_account_mapping(s, actor, business, source_format, name, code)
                for name, code in parsed
            ]
            done = [
                {"as_reported_name": r.as_reported_name, "item_code": r.item_code} for r in rows
            ]
    except NotFound:
        _fatal(f"business {business} not found, or {login} may not submit its data", as_json)
    except ValueError as exc:
        _fatal(f"{exc}; nothing was confirmed", as_json)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": True,
                    "business_id": business,
                    "source_format": source_format,
                    "confirmed": done,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for d in done:
        typer.echo(
            f"confirmed: {d['as_reported_name']} → {d['item_code']} "
            f"(business {business}, {source_format}; remembered)"
        )


@app.command("ingest")
def ingest_cmd(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="files to import; or `formats`; or `confirm NAME=CODE...`"),
    ] = None,
    business: Annotated[int | None, typer.Option("--business", help="business id")] = None,
    login: Annotated[
        str | None, typer.Option("--as", help="act as this user (login); needed to store")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="importer name")] = None,
    fy_month: Annotated[
        int | None,
        typer.Option(
            "--fiscal-year-start-month",
            min=1,
            max=12,
            help="first month of the fiscal year (default: the business's)",
        ),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--column-mapping", help="column mapping: a JSON file, or a preset name (with --as)"
        ),
    ] = None,
    save_mapping: Annotated[
        str | None,
        typer.Option(
            "--save-column-mapping",
            help="save the --column-mapping file as a preset of your organisation under NAME",
        ),
    ] = None,
    period_end: Annotated[
        str | None, typer.Option("--period-end", help="period end when the file lacks it")
    ] = None,
    source_format: Annotated[
        str | None, typer.Option("--source-format", help="for `confirm`: the importer name")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="analyse only; store nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    list_formats: Annotated[bool, typer.Option("--list-formats", help="list importers")] = False,
    direction: Annotated[
        str | None,
        typer.Option(
            "--direction",
            help="invoices: issued or received, when the file's parties do not name the business",
        ),
    ] = None,
    confirm_party: Annotated[
        bool,
        typer.Option(
            "--confirm-other-party",
            help="store although the file names another company or account holder",
        ),
    ] = False,
    side: Annotated[
        str | None,
        typer.Option("--side", help="schedules: receivable or payable, when the file does not say"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="schedules: the date of the balances (ISO)")
    ] = None,
    today: Annotated[
        str | None,
        typer.Option("--today", help="bank files: the day 和暦 and MMDD dates are read near (ISO)"),
    ] = None,
) -> None:
    """会計ソフトの出力を取り込む / Import accounting exports (``formats`` lists importers)."""
    first = str(files[0]) if files else ""
    if list_formats or (files and len(files) == 1 and first == "formats"):
        _print_formats()
        return
    if first == "confirm":
        _confirm(business, login, source_format, [str(f) for f in (files or [])[1:]], as_json)
        return
    if not files:
        raise typer.BadParameter("give at least one FILE (or `kizashi ingest formats`)")
    if business is None and not dry_run:
        raise typer.BadParameter(
            "to store, give --business ID --as LOGIN; to analyse without storing, --dry-run"
        )
    if business is not None and not login:
        raise typer.BadParameter("--as LOGIN is needed to import for a business")
    limits = limits_of(settings())  # the same limits as an upload through the web
    limit = limits.max_bytes
    payload = _read_files(files, limit, as_json)
    if money_cmd.is_money(payload, fmt):
        money_cmd.ingest_money(
            payload,
            business=business,
            login=login,
            fmt=fmt,
            options=money_cmd.money_options(mapping, side, as_of, today),
            direction=direction,
            confirm_other_party=confirm_party,
            dry_run=dry_run,
            as_json=as_json,
            max_bytes=limit,
            preset=mapping,
            save_preset=save_mapping,
        )
        return
    column_mapping = _column_mapping(mapping, as_json)
    if business is None:
        _analyse_only(payload, fmt, fy_month, column_mapping, period_end, limits, as_json)
        return
    assert login is not None
    actor = actor_for(login)
    try:
        with store().session() as s:
            if save_mapping and not dry_run:
                if not isinstance(column_mapping, ColumnMapping):
                    raise ValueError("--save-column-mapping needs --column-mapping FILE")
                do_save_column_mapping(
                    s,
                    actor,
                    actor.org_id or 0,
                    save_mapping,
                    json.loads(column_mapping.to_json()),
                )
            outcome = do_import_submission(
                s,
                actor,
                business_id=business,
                files=payload,
                raw_dir=settings().raw_dir,
                format=fmt,
                fiscal_year_start_month=fy_month,
                column_mapping=column_mapping,
                period_end=period_end,
                dry_run=dry_run,
                max_bytes=limit,
                limits=limits,
                confirm_other_company=confirm_party,
            )
    except NotFound:
        _fatal(f"business {business} not found, or {login} may not submit its data", as_json)
    except (PermissionError, ValueError) as exc:
        _fatal(str(exc), as_json)
    checkpoint_audit()
    if as_json:
        typer.echo(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_outcome(outcome, login)
    if outcome.report.errors:
        raise typer.Exit(EXIT_ERRORS)
    if outcome.needs_confirmation:
        raise typer.Exit(EXIT_CONFIRM)


def _analyse_only(
    payload: list[tuple[bytes, str]],
    fmt: str | None,
    fy_month: int | None,
    column_mapping: ColumnMapping | str | None,
    period_end: str | None,
    limits: Limits,
    as_json: bool,
) -> None:
    if isinstance(column_mapping, str):
        _fatal(
            f"{column_mapping}: no such file (a saved preset needs --business and --as)", as_json
        )
    try:
        report = analyse_files(
            payload,
            format=fmt,
            fiscal_year_start_month=fy_month,
            column_mapping=column_mapping,
            period_end=period_end,
            limits=limits,
        )
    except IngestError as exc:
        _fatal(str(exc), as_json)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_ERRORS)
