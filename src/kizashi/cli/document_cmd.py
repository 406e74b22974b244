"""``kizashi document locaben|sheet``: the ロカベン sheet (.xlsx) or the monitoring sheet (PDF) of
a business, read under consent as the ``--as`` user (audited) and written to ``--output``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kizashi.documents import gather, locaben_workbook, monitoring_sheet_pdf
from kizashi.domain.vocabulary import Purpose
from kizashi.store.errors import NotFound

from .app import app
from .context import actor_for, checkpoint_audit, console, fail, settings, store


class DocumentKind(StrEnum):
    LOCABEN = "locaben"
    SHEET = "sheet"


KIND_JA = {DocumentKind.LOCABEN: "ロカベンシート", DocumentKind.SHEET: "モニタリングシート"}


@app.command("document")
def document(
    kind: Annotated[
        DocumentKind,
        typer.Argument(help="locaben: ロカベンシート(.xlsx)、sheet: モニタリングシート(PDF)"),
    ],
    business: Annotated[int, typer.Option("--business", help="事業者 ID")],
    login: Annotated[str, typer.Option("--as", help="この利用者として読む(同意と監査)")],
    output: Annotated[Path, typer.Option("--output", help="書き出すファイル")],
    purpose: Annotated[
        Purpose, typer.Option("--purpose", help="利用目的(どの同意を使うか)")
    ] = Purpose.MONITORING,
) -> None:
    """対話の資料を作る: ロカベンシート(.xlsx)またはモニタリングシート(PDF)。"""
    actor = actor_for(login)
    try:
        with store().session() as s:
            data = gather(
                s,
                actor,
                settings().data_dir,
                business,
                purpose,
                with_flags=kind is DocumentKind.SHEET,
                with_monthly=kind is DocumentKind.SHEET,
            )
            body = (
                locaben_workbook(data)
                if kind is DocumentKind.LOCABEN
                else monitoring_sheet_pdf(data)
            )
    except NotFound:
        checkpoint_audit()
        fail(f"事業者 {business} が見つからないか、試算表・決算書を見る同意がありません")
        return
    checkpoint_audit()
    try:
        output.write_bytes(body)
    except OSError as e:
        fail(f"{output} に書き出せません: {e.strerror}")
        return
    console.print(f"{data.business_name} の{KIND_JA[kind]}を {output} に書き出しました。")
