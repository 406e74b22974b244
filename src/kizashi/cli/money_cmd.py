"""``kizashi ingest`` for money files: bank statements (全銀, internet-banking CSV), e-invoices
(JP PINT, Peppol BIS 3, 中小企業共通EDI) and receivable/payable schedules.

``kizashi ingest`` hands a file here when a money importer recognises it (or ``--format``
names one). ``--business ID --as LOGIN`` stores through ``actions.bank.do_import_money``;
``--dry-run`` without ``--business`` analyses only. Output in Japanese (``--json``: as stored).
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

import typer

from kizashi.actions.bank import (
    MoneyOutcome,
    do_import_money,
    do_save_money_preset,
    load_money_preset,
    money_format_of,
)
from kizashi.ingest import IngestError
from kizashi.ingest.errors import Issue
from kizashi.ingest.money import MoneyOptions, MoneyResult, analyse_money
from kizashi.store.errors import NotFound
from kizashi.web.i18n import Translator
from kizashi.web.money_report import (
    KIND_LABELS,
    money_format_label,
    money_issue_row,
    money_summary,
)

from .context import actor_for, checkpoint_audit, settings, store

EXIT_ERRORS = 1


def is_money(payload: list[tuple[bytes, str]], fmt: str | None) -> bool:
    """Whether these files are money files (every one; mixing with accounting is refused)."""
    if not payload:
        return False
    found = [money_format_of(d, n, fmt) is not None for d, n in payload]
    if any(found) and not all(found):
        raise typer.BadParameter("銀行・請求書のファイルと会計ファイルは別々に取り込んでください")
    return all(found)


def money_options(
    preset: str | None, side: str | None, as_of: str | None, today: str | None
) -> MoneyOptions:
    """The options; ``--column-mapping`` is a JSON file, JSON text, or (see ``preset_name``) the
    name of a layout saved by the organisation."""
    mapping: dict[str, str] | None = None
    if preset and preset_name(preset) is None:
        path = Path(preset)
        try:
            raw = json.loads(path.read_text("utf-8")) if path.is_file() else json.loads(preset)
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"--column-mapping: {exc}") from exc
        if not isinstance(raw, dict):
            raise typer.BadParameter("--column-mapping: 項目名 → 見出し の JSON にしてください")
        mapping = {str(k): str(v) for k, v in raw.items()}
    if side not in (None, "receivable", "payable"):
        raise typer.BadParameter("--side: receivable か payable")
    try:
        return MoneyOptions(
            today=date.fromisoformat(today) if today else None,
            preset=mapping,
            side=side,
            as_of=date.fromisoformat(as_of) if as_of else None,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def preset_name(value: str | None) -> str | None:
    """``value`` when it names a saved layout (not a file, not JSON), else None."""
    if not value or Path(value).is_file() or value.lstrip().startswith("{"):
        return None
    return value


def ingest_money(
    payload: list[tuple[bytes, str]],
    *,
    business: int | None,
    login: str | None,
    fmt: str | None,
    options: MoneyOptions,
    direction: str | None,
    confirm_other_party: bool,
    dry_run: bool,
    as_json: bool,
    max_bytes: int,
    preset: str | None = None,
    save_preset: str | None = None,
) -> None:
    t = Translator("ja")
    failed = False
    results: list[dict[str, Any]] = []
    for data, name in payload:
        if business is None:
            try:
                result = analyse_money(data, name, format=fmt, options=options, max_bytes=max_bytes)
            except IngestError as exc:
                failed = True
                results.append({"filename": name, "ok": False, "fatal": str(exc)})
                if not as_json:
                    typer.echo(f"エラー {name}: 読み取れません: {exc}", err=True)
                continue
            failed |= bool(result.errors)
            results.append(_result_dict(result))
            if not as_json:
                _print_result(result, t)
            continue
        assert login is not None
        actor = actor_for(login)
        try:
            with store().session() as s:
                if save_preset and options.preset and not dry_run:
                    do_save_money_preset(s, actor, actor.org_id or 0, save_preset, options.preset)
                if preset_name(preset):
                    options = replace(options, preset=load_money_preset(s, actor, str(preset)))
                outcome = do_import_money(
                    s,
                    actor,
                    business_id=business,
                    data=data,
                    filename=name,
                    raw_dir=settings().raw_dir,
                    format=fmt,
                    options=options,
                    direction=direction,
                    confirm_other_party=confirm_other_party,
                    dry_run=dry_run,
                    max_bytes=max_bytes,
                )
        except (IngestError, ValueError, PermissionError) as exc:
            typer.echo(f"エラー: {exc}", err=True)
            raise typer.Exit(EXIT_ERRORS) from None
        except NotFound:
            checkpoint_audit()
            if as_json:
                typer.echo(json.dumps({"ok": False, "fatal": "not found"}, ensure_ascii=False))
            else:
                typer.echo(
                    f"エラー: 事業者 {business} が見つからないか、{login} はこのデータを提出できません",
                    err=True,
                )
            raise typer.Exit(EXIT_ERRORS) from None
        checkpoint_audit()
        failed |= not outcome.ok
        results.append(outcome.to_dict())
        if not as_json:
            _print_outcome(outcome, t)
    if as_json:
        typer.echo(
            json.dumps(
                results if len(results) > 1 else results[0],
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
    if failed:
        raise typer.Exit(EXIT_ERRORS)


def _result_dict(r: MoneyResult) -> dict[str, Any]:
    f = r.file
    return {
        "filename": r.filename,
        "format": r.format,
        "kind": r.kind,
        "ok": not r.errors,
        "transactions": len(f.transactions),
        "accounts": len(f.accounts),
        "invoices": [asdict(i) for i in f.invoices],
        "open_items": len(f.open_items),
        "planned_payments": len(f.planned_payments),
        "issues": [i.to_dict() for i in r.issues],
    }


def _issue_line(issue: Issue, t: Translator) -> str:
    row = money_issue_row(issue, t)
    where = " ".join(
        x
        for x in (
            row.file,
            f"{row.line}行目" if row.line else "",
            f"{row.column}列目" if row.column else "",
        )
        if x
    )
    what = "・".join(x for x in (row.field, row.value) if x)
    severity = "エラー" if issue.severity == "error" else "注意"
    return f"{severity} {row.headline}: {' '.join(x for x in (where, what, row.message) if x)}"


def _print_result(r: MoneyResult, t: Translator) -> None:
    typer.echo(f"{r.filename}: {money_format_label(r.format, t)}({t.gettext(KIND_LABELS[r.kind])})")
    f = r.file
    if f.transactions:
        typer.echo(f"  入出金明細 {len(f.transactions):,} 件、口座 {len(f.accounts):,} 件")
        for key, (opening, closing) in f.balances.items():
            acc = f.accounts[key]
            typer.echo(
                f"  口座 {acc.bank_code or '-'}-{acc.branch_code or '-'} {acc.number or '-'}: "
                f"取引前残高 {t.yen(opening)} → 取引後残高 {t.yen(closing)}"
            )
    for inv in f.invoices:
        typer.echo(
            f"  請求書 {inv.invoice_id} {t.date(inv.issue_date)} 税込 {t.yen(inv.total_yen)}"
            f"(消費税 {t.yen(inv.tax_yen)})売り手 {inv.seller.name} 買い手 {inv.buyer.name}"
        )
    for p in f.planned_payments:
        typer.echo(f"  振込予定 {t.date(p.pay_on)} {p.payee} {t.yen(p.amount_yen)}")
    for item in f.open_items:
        side = "売掛金" if item.side == "receivable" else "買掛金"
        typer.echo(
            f"  {side} {item.counterparty} {t.yen(item.amount_yen)} 期日 {t.date(item.due_date)}"
        )
    for issue in r.issues:
        typer.echo(_issue_line(issue, t))


def _print_outcome(o: MoneyOutcome, t: Translator) -> None:
    typer.echo(f"{o.filename}: {money_format_label(o.format, t)}")
    for issue in o.issues:
        typer.echo(_issue_line(issue, t))
    if o.duplicate:
        typer.echo(
            f"取り込み済みです: 事業者 {o.business_id} の提出 {o.submission_id} と同じファイルです。"
            "何も変えていません"
        )
        return
    if o.errors:
        typer.echo("保存していません: エラーがあります(上の一覧)")
        return
    if o.dry_run:
        typer.echo(f"保存できます(確認のみ): 事業者 {o.business_id}")
        return
    typer.echo(f"保存しました: 事業者 {o.business_id} の提出 {o.submission_id}")
    for line in money_summary(o, t):
        typer.echo(f"  {line}")
    if o.directions:
        names = {"issued": "発行", "received": "受領"}
        typer.echo("  請求書の向き: " + "、".join(names.get(d, d) for d in o.directions))
