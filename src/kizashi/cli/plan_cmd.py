"""``kizashi plan add|import|list|show|actual``: a business's plans (事業計画・資金繰り計画・
収益力改善アクションプラン・早期経営改善計画・経営改善計画), their versions and plan against actual.

Every command acts as ``--as LOGIN`` through ``actions.plans`` and ``access.plans`` (the
``financials`` consent category and audit as for any reader or writer). Output is Japanese.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kizashi.access.plans import list_plans, read_plan, read_plan_progress
from kizashi.actions.plans import do_add_plan, do_import_plan
from kizashi.domain.calendar import format_month
from kizashi.domain.plans import ITEM_JA, ITEMS, PLAN_KIND_JA, PlanKind
from kizashi.domain.vocabulary import Purpose
from kizashi.ingest.plans import PlanFileError
from kizashi.store.errors import NotFound

from .app import app
from .context import actor_for, console, fail, store

plan_app = typer.Typer(help="事業計画と予実 (business plans).", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

As = Annotated[str, typer.Option("--as", help="Act as this user (login)")]
PurposeOpt = Annotated[Purpose, typer.Option(help="Purpose")]
GRANULARITY_JA = {"monthly": "月次", "annual": "年次"}
SOURCE_JA = {"entered": "入力", "csv": "CSV", "xlsx": "Excel"}


def _yen(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _signed(v: int | None) -> str:
    return "—" if v is None else f"{v:+,}"


@plan_app.command("add")
def plan_add(
    business: Annotated[int, typer.Option("--business", help="Business id")],
    kind: Annotated[PlanKind, typer.Option(help="Plan kind")],
    title: Annotated[str, typer.Option(help="Title")],
    as_: As,
    file: Annotated[Path | None, typer.Option("--file", help="Targets (CSV/.xlsx)")] = None,
) -> None:
    """計画を登録する (任意で目標ファイルを第1版として取り込む)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            plan = do_add_plan(s, actor, business, kind=kind, title=title)
            version = None
            if file is not None:
                version = do_import_plan(s, actor, plan.id, file.read_bytes(), file.name)
            plan_id = plan.id
    except NotFound:
        fail("事業者が見つからないか、計画を登録できません")
    except PlanFileError as exc:
        fail("取り込めませんでした (何も保存していません):\n" + "\n".join(exc.lines()))
    except ValueError as exc:
        fail(str(exc))
    console.print(f"計画 {plan_id} を登録しました" + (" (第1版)" if version else ""))


@plan_app.command("import")
def plan_import(
    plan: Annotated[int, typer.Option("--plan", help="Plan id")],
    file: Annotated[Path, typer.Argument(help="CSV or .xlsx")],
    as_: As,
    note: Annotated[str | None, typer.Option(help="Note")] = None,
) -> None:
    """目標ファイル (CSV/.xlsx) を計画の新しい版として取り込む (全行か、何も保存しないか)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            v = do_import_plan(s, actor, plan, file.read_bytes(), file.name, note=note)
            version = v.version
    except NotFound:
        fail("計画が見つからないか、取り込めません")
    except PlanFileError as exc:
        fail("取り込めませんでした (何も保存していません):\n" + "\n".join(exc.lines()))
    except ValueError as exc:
        fail(str(exc))
    console.print(f"計画 {plan} の第{version}版を保存しました")


@plan_app.command("list")
def plan_list(
    business: Annotated[int, typer.Option("--business", help="Business id")],
    as_: As,
    purpose: PurposeOpt = Purpose.MONITORING,
) -> None:
    """事業者の計画の一覧."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            plans = list_plans(s, actor, business, purpose)
    except NotFound:
        fail("事業者が見つからないか、閲覧できません")
    if not plans:
        console.print("計画はまだありません")
    for p in plans:
        latest = p.latest
        ver = f"第{latest.version}版 ({GRANULARITY_JA[latest.granularity]})" if latest else "版なし"
        console.print(f"{p.id}  {PLAN_KIND_JA[PlanKind(p.kind)]}  {escape(p.title)}  {ver}")


@plan_app.command("show")
def plan_show(
    plan: Annotated[int, typer.Option("--plan", help="Plan id")],
    as_: As,
    version: Annotated[int | None, typer.Option(help="Version (default: latest)")] = None,
    purpose: PurposeOpt = Purpose.MONITORING,
) -> None:
    """計画の目標とアクション."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            d = read_plan(s, actor, plan, purpose, version=version)
    except NotFound:
        fail("計画が見つからないか、閲覧できません")
    console.print(
        f"{PLAN_KIND_JA[PlanKind(d.plan.kind)]} 「{escape(d.plan.title)}」 第{d.version.version}版"
        f" ({GRANULARITY_JA[d.version.granularity]}、{SOURCE_JA.get(d.version.source, '')}"
        f"{' ' + escape(d.version.source_name) if d.version.source_name else ''})"
    )
    console.print("期間      " + "  ".join(ITEM_JA[i] for i in ITEMS) + " (円)")
    for period, figures in d.targets.items():
        console.print(
            f"{format_month(period, 'ja')}  " + "  ".join(_yen(figures[i]) for i in ITEMS)
        )
    for due, title, owner in d.actions:
        console.print(f"アクション {due.isoformat()}  {escape(title)}  {escape(owner or '')}")


@plan_app.command("actual")
def plan_actual(
    plan: Annotated[int, typer.Option("--plan", help="Plan id")],
    as_: As,
    version: Annotated[int | None, typer.Option(help="Version (default: latest)")] = None,
    purpose: PurposeOpt = Purpose.MONITORING,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """予実: 月ごとの計画・実績・差異 (円) と、売上高の累計未達の判定."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            p = read_plan_progress(s, actor, plan, purpose, version=version)
    except NotFound:
        fail("計画が見つからないか、閲覧できません")
    if as_json:
        print(
            json.dumps(
                {
                    "plan_id": plan,
                    "version": p.detail.version.version,
                    "periods": [
                        {
                            "period": pc.period.isoformat(),
                            "items": [ic.__dict__ for ic in pc.items],
                        }
                        for pc in p.comparison
                    ],
                    "shortfall": None
                    if p.shortfall is None
                    else {
                        "firing": p.shortfall.firing,
                        "since": p.shortfall.since.isoformat() if p.shortfall.since else None,
                    },
                },
                ensure_ascii=False,
            )
        )
        return
    console.print(f"「{escape(p.detail.plan.title)}」 第{p.detail.version.version}版の予実 (円)")
    for pc in p.comparison:
        parts = []
        for ic in pc.items:
            if ic.plan is None and ic.actual is None:
                continue
            text = f"{ITEM_JA[ic.item]} 計画 {_yen(ic.plan)} 実績 {_yen(ic.actual)} 差異 {_signed(ic.deviation)}"
            if ic.cumulative_deviation is not None:
                text += f" (累計差異 {_signed(ic.cumulative_deviation)})"
            parts.append(text)
        console.print(f"{format_month(pc.period, 'ja')}: " + " / ".join(parts))
    sf = p.shortfall
    if sf is not None and sf.firing and sf.since:
        console.print(
            f"計画未達: 売上高の累計が計画を {sf.pct}% 以上下回る月が {sf.months}か月以上続いています"
            f" ({format_month(sf.since, 'ja')}から)"
        )
    elif sf is not None:
        console.print("計画未達の継続はありません")
