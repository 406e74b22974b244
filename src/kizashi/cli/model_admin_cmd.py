"""``kizashi model weight|jobs|run-job``: an organisation's weighting of the risk model's score
in its triage priority, and the training jobs requested from the admin page or the API
(``run-job`` is what the page starts in its own process; the operator may run one by hand).
Output is Japanese."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select

from kizashi.access.risk_admin import default_pct, read_job, read_jobs, read_risk_weight
from kizashi.actions.risk_admin import do_fail_stale_jobs, do_reset_risk_weight, do_set_risk_weight
from kizashi.jobs.risk_model_jobs import run_training_job
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation

from .context import actor_for, checkpoint_audit, console, settings, store
from .model_cmd import fail, model_app

STATUS_JA = {"queued": "待機中", "running": "実行中", "finished": "完了", "failed": "失敗"}


def _org_id(code: str) -> int:
    with store().session() as s:
        oid = s.execute(select(Organisation.id).where(Organisation.code == code)).scalar()
    if oid is None:
        fail(f"組織 {escape(code)} が見つかりません")
    return int(oid)  # type: ignore[arg-type]


@model_app.command("weight")
def weight(
    set_: Annotated[
        int | None,
        typer.Option("--set", min=0, max=100, help="スコアの比重(%)を設定する(0〜100)"),
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="組織の設定をやめ、既定値に戻す")] = False,
    as_: Annotated[str | None, typer.Option("--as", help="組織の管理者のログインID")] = None,
    org: Annotated[str | None, typer.Option("--org", help="組織コード(運用者が使う場合)")] = None,
) -> None:
    """対話の優先順位でのリスクスコアの比重(組織ごと)を表示・変更します。"""
    actor = actor_for(as_)
    if actor.is_system and org is None:
        fail("--as(組織の管理者)か --org(組織コード)を指定してください")
    org_id = _org_id(org) if actor.is_system and org else actor.org_id
    default = default_pct(settings().risk_weight)
    try:
        with store().session() as s:
            if reset:
                do_reset_risk_weight(s, actor, org_id=org_id)
            elif set_ is not None:
                do_set_risk_weight(s, actor, score_pct=set_, org_id=org_id)
            view = read_risk_weight(s, org_id, default)
    except NotFound:
        fail("比重を変更する権限がありません(金融機関・保証協会などの管理者のみ)")
        return
    if reset or set_ is not None:
        checkpoint_audit()
    where = "既定値" if view.default else "組織の設定"
    console.print(
        f"対話の優先順位: リスクスコア {view.score_pct}%、ルール {100 - view.score_pct}%({where})"
    )


@model_app.command("jobs")
def jobs(
    as_: Annotated[str | None, typer.Option("--as", help="管理者のログインID")] = None,
) -> None:
    """画面・API から依頼された学習ジョブを新しい順に表示します。"""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            do_fail_stale_jobs(s, actor)
            rows = read_jobs(s, actor)
            lines = [
                f"{j.id:>4}  {STATUS_JA.get(j.status, j.status)}  依頼 {j.requested_at:%Y-%m-%d %H:%M}"
                f"  版 {j.version or '—'}" + (f"  {escape(j.error)}" if j.error else "")
                for j in rows
            ]
    except NotFound:
        fail("学習ジョブを見る権限がありません(銀行・保証協会の管理者のみ)")
        return
    if not lines:
        console.print("学習ジョブはありません")
    for line in lines:
        console.print(line)


@model_app.command("run-job")
def run_job(job_id: Annotated[int, typer.Argument(help="学習ジョブの番号")]) -> None:
    """依頼された学習ジョブを実行します(管理画面が別プロセスで起動します)。"""
    with store().session() as s:
        job = read_job(s, actor_for(None), job_id)
        status = job.status if job else None
    if status != "queued":
        fail(
            f"学習ジョブ {job_id} は待機中ではありません(状態: {STATUS_JA.get(status or '', 'なし')})"
        )
    console.print(f"学習ジョブ {job_id} を実行します…")
    version = run_training_job(store(), settings(), job_id)
    checkpoint_audit()
    with store().session() as s:
        job = read_job(s, actor_for(None), job_id)
        status, error = (job.status, job.error) if job else (None, None)
    if version:
        console.print(
            f"学習ジョブ {job_id}: 版 {version} を保存しました(有効化は管理画面か activate で)"
        )
    elif status == "failed":
        fail(f"学習ジョブ {job_id} は失敗しました: {escape(error or '')}")
    else:
        fail(
            f"学習ジョブ {job_id} は待機中ではありません(状態: {STATUS_JA.get(status or '', 'なし')})"
        )
