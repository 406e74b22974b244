"""``kizashi stress``: interest-rate stress, new 経常赤字 businesses at +0.25, +0.5, +1 and +2 pt,
for the portfolio or one business: on the store as a user (``--as``: the businesses whose
financials that user may read, audited, as on the pages) or on a panel of Parquet files
(``--panel``: a synthetic portfolio or an export, no store involved)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pyarrow.compute as pc
import typer
from rich.console import Console
from rich.table import Table

from kizashi.access.stress import read_business_stress, read_portfolio_stress
from kizashi.engine.exec.stress import BASES, run_stress
from kizashi.store.errors import NotFound
from kizashi.web.i18n import format_yen

from .app import app
from .context import actor_for, checkpoint_audit, settings, store

_console = Console(soft_wrap=True)
BASIS_JA = {
    "all": "帳簿のすべての借入金",
    "repricing": "1年以内に金利が見直される借入金(短期・1年内返済・変動金利分)",
}


def _pt(bp: int) -> str:
    return f"+{bp / 100:g}%ポイント"


@app.command("stress")
def stress(
    panel: Annotated[
        Path | None,
        typer.Option(
            "--panel", help="パネルの Parquet(kizashi synth の出力先など)。--as と併用不可"
        ),
    ] = None,
    login: Annotated[
        str | None,
        typer.Option("--as", help="この利用者が閲覧できる事業者で計算する(同意と監査)"),
    ] = None,
    month: Annotated[str | None, typer.Option("--month", help="基準月 YYYY-MM(既定: 最新)")] = None,
    basis: Annotated[
        str, typer.Option("--basis", help="金利が上がる借入金: all(すべて)または repricing")
    ] = "all",
    floating_share: Annotated[
        float,
        typer.Option(
            "--floating-share",
            min=0.0,
            max=1.0,
            help="repricing のとき長期借入金のうち変動金利の割合",
        ),
    ] = 0.3,
    business: Annotated[int | None, typer.Option("--business", help="この事業者だけ表示")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """金利上昇(+0.25・+0.5・+1・+2%pt)で新たに経常赤字になる事業者を数える。"""
    if basis not in BASES:
        raise typer.BadParameter("all か repricing を指定してください", param_hint="--basis")
    as_of = None
    if month is not None:
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            raise typer.BadParameter("YYYY-MM で指定してください", param_hint="--month")
        as_of = date(int(month[:4]), int(month[5:]), 1)
    if (panel is None) == (login is None):
        raise typer.BadParameter("--panel か --as のどちらか一方を指定してください")
    if login is not None:
        _on_store(login, as_of, basis, floating_share, business, as_json)
        return
    assert panel is not None
    per, summary = run_stress(panel, as_of, basis=basis, floating_share=floating_share)
    if business is not None:
        rows = per.filter(pc.equal(per.column("business_id"), business)).to_pylist()
        if not rows:
            typer.echo(f"事業者 {business} は直近12か月の試算表がそろっていないため計算できません")
            raise typer.Exit(1)
        _print_business(business, rows[0], as_json)
        return
    _print_summary(summary, basis, as_json)


def _print_business(business: int, r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(r, ensure_ascii=False))
        return
    _console.print(
        f"事業者 {business}: 直近12か月の経常利益 {format_yen(r['ttm_ordinary_profit'])}、"
        f"対象の借入金 {format_yen(r['debt'])}"
    )
    for bp in (25, 50, 100, 200):
        extra = -(-r["debt"] * bp // 10_000)
        after = r["ttm_ordinary_profit"] - extra
        word = (
            "経常赤字になります"
            if r[f"loss_{bp}"]
            else ("経常赤字のままです" if r["loss_now"] else "黒字を保ちます")
        )
        _console.print(
            f"  {_pt(bp)}: 利息 {format_yen(extra)} 増 → 経常利益 {format_yen(after)}({word})"
        )


def _print_summary(summary: dict[str, Any], basis: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    _console.print(
        f"金利上昇ストレス({summary['as_of'][:4]}年{int(summary['as_of'][5:])}月時点、"
        f"対象: {BASIS_JA[basis]})"
    )
    _console.print(
        f"直近12か月の試算表がそろう事業者 {summary['businesses']:,} 社のうち、"
        f"すでに経常赤字 {summary['ordinary_loss_now']:,} 社"
    )
    t = Table()
    t.add_column("金利上昇")
    t.add_column("新たに経常赤字", justify="right")
    t.add_column("割合", justify="right")
    for s in summary["stress"]:
        share = "—" if s["share_pct"] is None else f"{s['share_pct']:.2f}%"
        t.add_row(_pt(s["points_bp"]), f"{s['new_ordinary_loss']:,} 社", share)
    _console.print(t)


def _on_store(
    login: str,
    as_of: date | None,
    basis: str,
    floating_share: float,
    business: int | None,
    as_json: bool,
) -> None:
    """The same tables as for a panel, over the store's businesses ``login`` may see."""
    actor = actor_for(login)
    data_dir = settings().data_dir
    with store().session() as s:
        if business is not None:
            try:
                v = read_business_stress(
                    s,
                    actor,
                    data_dir,
                    business,
                    month=as_of,
                    basis=basis,
                    floating_share=floating_share,
                )
            except NotFound:
                v = None
        else:
            p = read_portfolio_stress(
                s, actor, data_dir, month=as_of, basis=basis, floating_share=floating_share
            )
    checkpoint_audit()
    if business is not None:
        if v is None:
            typer.echo(f"事業者 {business} は見つからないか、財務を見る同意がありません")
            raise typer.Exit(1)
        if v.ttm_ordinary_profit is None or v.debt is None:
            typer.echo(f"事業者 {business} は直近12か月の試算表がそろっていないため計算できません")
            raise typer.Exit(1)
        row = {
            "business_id": business,
            "ttm_ordinary_profit": v.ttm_ordinary_profit,
            "debt": v.debt,
            "loss_now": v.loss_now,
            **{f"loss_{x.points_bp}": x.turns_to_loss for x in v.steps},
        }
        _print_business(business, row, as_json)
        return
    summary = {
        "as_of": None if p.as_of is None else f"{p.as_of:%Y-%m}",
        "basis": basis,
        "floating_share": p.floating_share,
        "businesses": p.businesses,
        "visible": p.visible,
        "ordinary_loss_now": p.ordinary_loss_now,
        "stress": [
            {
                "points_bp": x.points_bp,
                "new_ordinary_loss": x.new_ordinary_loss,
                "share_pct": x.share_pct,
                "businesses": [b for b, _n in x.businesses],
            }
            for x in p.steps
        ],
    }
    if p.as_of is None and not as_json:
        typer.echo("閲覧できる事業者で、直近12か月の試算表がそろう事業者はまだありません")
        return
    _print_summary(summary, basis, as_json)
