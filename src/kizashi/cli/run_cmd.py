"""Monitoring over the store: ``kizashi run``, ``kizashi indicators``, ``kizashi flags``."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from kizashi.access.monitoring import (
    IndicatorsView,
    read_flags,
    read_indicator_history,
    read_indicators,
)
from kizashi.actions.organisations import org_by_code
from kizashi.actions.packs import do_install_rule_pack
from kizashi.domain.periods import parse_month
from kizashi.domain.vocabulary import Purpose
from kizashi.engine.spec.packs import PackError
from kizashi.store.errors import NotFound
from kizashi.web.i18n import Translator

from .app import app
from .context import actor_for, checkpoint_audit, console, fail, settings, store
from .rules_cmd import rules_app

flag_app = typer.Typer(help="予兆フラグの対応状況 (flag workflow).", no_args_is_help=True)
app.add_typer(flag_app, name="flag")


def _json(obj: Any) -> str:
    def default(o: Any) -> Any:
        if dataclasses.is_dataclass(o):
            return dataclasses.asdict(o)  # type: ignore[arg-type]
        if isinstance(o, date):
            return o.isoformat()
        return str(o)

    return json.dumps(obj, ensure_ascii=False, indent=2, default=default)


@app.command("run")
def run(
    month: Annotated[
        str | None, typer.Option(help="As-of month YYYY-MM (default: the latest with data).")
    ] = None,
) -> None:
    """モニタリングを実行する: パネル更新・指標・ルール・フラグ (run monitoring over the store).

    One run at a time per data directory; a run interrupted earlier is completed or marked
    failed first (docs/monitoring.md, "Run statuses and recovery").
    """
    from kizashi.jobs.monitoring import run_monitoring_job
    from kizashi.jobs.monitoring_runs import RunInProgress

    try:
        with console.status("モニタリング実行中…"):
            runs = run_monitoring_job(
                store(), settings(), month=parse_month(month) if month else None, console=console
            )
    except RunInProgress as exc:
        fail(str(exc))
        return
    checkpoint_audit()
    if not runs:
        fail("月次データがないため、何もモニタリングしませんでした")


@app.command("indicators")
def indicators(
    business: Annotated[int, typer.Option(help="Business id")],
    as_: Annotated[
        str, typer.Option("--as", help="Act as this user (login): reads are checked and audited")
    ],
    purpose: Annotated[Purpose, typer.Option(help="Purpose of the read")] = Purpose.MONITORING,
    month: Annotated[
        str | None,
        typer.Option(help="この月の値 YYYY-MM (the values of this month; default: the latest)"),
    ] = None,
    history: Annotated[
        bool,
        typer.Option("--history", help="月ごとの推移 (every month with values, oldest first)"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """事業者の指標と同業比較を表示する (a business's indicators, peer band and percentile, as the page shows)."""
    actor = actor_for(as_)
    if month is not None and history:
        fail("--month と --history は同時に指定できません (give one of them)")
    try:
        wanted = parse_month(month) if month else None
    except ValueError:
        fail(f"--month: 月は YYYY-MM の形で指定してください ({month!r})")
        return
    try:
        with store().session() as s:
            if history:
                views = read_indicator_history(s, actor, settings().data_dir, business, purpose)
            else:
                views = [
                    read_indicators(s, actor, settings().data_dir, business, purpose, month=wanted)
                ]
    except NotFound as exc:
        fail(str(exc))
        return
    if as_json:
        console.print_json(_json(views if history else views[0]))
        return
    if history:
        _print_history(views)
        return
    view = views[0]
    if view.as_of is None:
        fail(f"{month} の指標はありません" if month else "指標はまだありません (kizashi run)")
        return
    console.print(
        f"{view.as_of:%Y-%m-%d} 時点 · 同業グループ {(view.peer_group_label or {}).get('ja', '—')} · "
        f"ロカベン {view.locaben_rating or '—'} ({view.locaben_total or '—'})"
    )
    t = Translator("ja")
    for v in view.values:
        band = (
            ""
            if v.peer_median is None
            else f"  (同業 下位25% {t.indicator(v.peer_p25, v.unit)} / 中央値 "
            f"{t.indicator(v.peer_median, v.unit)} / 上位25% {t.indicator(v.peer_p75, v.unit)})"
        )
        pct = (
            ""
            if v.peer_percentile is None
            else f"  同業他社の {v.peer_percentile}% がこの値より小さい"
        )
        console.print(escape(f"  {v.ja:<24} {t.indicator(v.value, v.unit):>14}{band}{pct}"))


def _print_history(views: list[IndicatorsView]) -> None:
    """One line per indicator, one column per month end (the newest six months)."""
    if not views:
        fail("指標はまだありません (kizashi run)")
        return
    shown = views[-6:]
    console.print(escape("  " + " " * 24 + "".join(f"{v.as_of:%Y-%m-%d}".rjust(14) for v in shown)))
    by_month = [{x.id: x for x in v.values} for v in shown]
    t = Translator("ja")
    for ind in shown[-1].values:
        cells = []
        for m in by_month:
            x = m.get(ind.id)
            cells.append("—" if x is None else t.indicator(x.value, x.unit))
        console.print(escape(f"  {ind.ja:<24}" + "".join(c.rjust(14) for c in cells)))
    if len(views) > len(shown):
        console.print(f"  (全 {len(views)} か月のうち直近 {len(shown)} か月。すべては --json で)")


@app.command("flags")
def flags(
    business: Annotated[int, typer.Option(help="Business id")],
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    purpose: Annotated[Purpose, typer.Option(help="Purpose of the read")] = Purpose.MONITORING,
    include_closed: Annotated[bool, typer.Option("--all", help="Include closed flags")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """事業者の予兆フラグを根拠とともに表示する (a business's flags with their evidence)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            views = read_flags(s, actor, business, purpose, include_closed=include_closed)
    except NotFound as exc:
        fail(str(exc))
        return
    if as_json:
        console.print_json(_json(views))
        return
    t = Translator("ja")
    if not views:
        console.print("未対応の予兆フラグはありません")
    for v in views:
        head = (
            f"[{t.enum_label(v.severity)}] #{v.id} {v.title['ja']} "
            f"({t.month(v.opened_month)}〜, {t.enum_label(v.state)})"
        )
        console.print(escape(head))
        console.print(escape(f"    {v.explanation['ja']}"))
        console.print(escape(f"    次の一歩: {v.next_step['ja']}"))


@rules_app.command("install")
def rules_install(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Rule pack YAML")],
    org: Annotated[str, typer.Option(help="Organisation code that will use the pack")],
    as_: Annotated[
        str | None, typer.Option("--as", help="Act as this user (officer or admin of the org)")
    ] = None,
) -> None:
    """組織独自のルールパックを登録して有効にする (install an organisation's own pack as its active version)."""
    try:
        with store().session() as s:
            row = do_install_rule_pack(
                s, actor_for(as_), org=org_by_code(s, org), yaml_text=file.read_text("utf-8")
            )
            console.print(
                f"installed {row.pack_id}@{row.version} for {org}; it is now the active pack"
            )
    except PackError as exc:
        for p in exc.problems:
            console.print(escape(f"{file}: {p}"))
        fail(f"{len(exc.problems)} problem(s); nothing was installed")
    except (ValueError, PermissionError) as exc:
        fail(str(exc))
