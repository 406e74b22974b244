"""``kizashi model train|evaluate|explain|list|activate|deactivate|card|drift``: the risk model.

``--as LOGIN`` (an administrator of a bank or 保証協会) works on that organisation's own models
(ADR 0010): it trains on what the organisation may read, sees its own versions and the
deployment's, and activates its own for its organisation. Without ``--as`` the operator works
on the deployment's models (the fallback for organisations without their own) and sees all."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from kizashi.access import Actor
from kizashi.access.org_models import (
    TrainingScope,
    active_model,
    read_model_doc,
    training_scope,
    visible_versions,
)
from kizashi.access.read_log import audited_reads
from kizashi.access.risk import read_risk
from kizashi.actions.risk_models import do_activate_risk_model, do_deactivate_risk_model
from kizashi.domain.calendar import format_month
from kizashi.domain.vocabulary import Purpose
from kizashi.jobs import risk_model as jobs
from kizashi.model import registry
from kizashi.model.pipeline import NotEnoughHistory
from kizashi.store.errors import NotFound

from .app import app
from .context import actor_for, checkpoint_audit, console, err_console, settings, store

model_app = typer.Typer(
    help="リスクモデル(12か月以内の重大な信用事象の確率): 学習・評価・説明・有効化。"
    "スコアは対話の優先順位づけに使い、与信の判断には使いません。",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")

_NAMES = {
    "model": "本モデル(LightGBM・較正後)",
    "logistic": "ロジスティック回帰(基準)",
    "rules": "ルールのみの優先度",
    "early_warning": "本モデル(信用事象のフラグ・延滞のない行のみ)",
}


def fail(message: str) -> None:
    """Japanese output only (the shared helper prefixes "error:")."""
    err_console.print(f"[red]エラー:[/red] {message}")
    raise typer.Exit(1)


def _n(x: Any, d: int = 3) -> str:
    return "—" if x is None or x != x else f"{x:.{d}f}"


AS_ADMIN = "組織の管理者のログインID(自組織のモデル。省略: 運用者として共通のモデル)"
NO_RIGHT = "リスクモデルを扱う権限がありません(銀行・保証協会の管理者のみ)"


def _version_or_active(actor: Actor, version: str | None) -> str:
    """``version``, or the one the actor's organisation scores with (the operator: the
    deployment's); fails when there is none."""
    if version is None:
        with store().session() as sess:
            current = active_model(sess, settings().data_dir, actor.org_id)
        version = current.version if current else None
    if version is None:
        fail("有効な版がありません(kizashi model list で版を確認してください)")
    return str(version)


def _allowed_doc(actor: Actor, version: str) -> dict[str, Any]:
    """The version's document if the actor may see it (the refusal audited); else fails."""
    try:
        with store().session():
            return read_model_doc(actor, settings().data_dir, version)
    except (registry.ModelNotFound, NotFound):
        fail(f"版 {version} はありません(kizashi model list で確認してください)")
        raise  # unreachable: fail exits


def _scope(actor: Actor, org_id: int | None) -> TrainingScope | None:
    """What organisation ``org_id``'s model reads, read as ``actor`` (audited); None: the
    deployment's model (every business)."""
    if org_id is None:
        return None
    with store().session() as sess:
        return training_scope(sess, actor, org_id)


def _owner_ja(owner: int | None) -> str:
    return "共通のモデル" if owner is None else "自組織のモデル"


def _print_metrics(meta: dict[str, Any]) -> None:
    tr, te = meta.get("train") or {}, meta.get("test") or {}
    console.print(
        f"学習: {tr.get('first_month')}〜{tr.get('last_month')} {tr.get('rows', 0):,} 行"
        f"(事象 {tr.get('events', 0):,} 件)"
    )
    if te.get("first_month"):
        console.print(
            f"検証: {te['first_month']}〜{te['last_month']} {te['rows']:,} 行(事象 {te['events']:,} 件)"
            f" 基準月 {meta.get('cutoff')}"
        )
    m = meta.get("metrics") or {}
    if not m:
        console.print("検証期間の行がないため、成績は測れていません")
        return
    console.print("                                     AUC    PR-AUC 上位5%  上位10% Brier   ECE")
    for k, label in _NAMES.items():
        if k in m:
            r = m[k]
            console.print(
                f"{label:<28} {_n(r['auc'])}  {_n(r['pr_auc'])}  {_n(r['recall_top5'])}  "
                f"{_n(r['recall_top10'])}  {_n(r['brier'], 4)} {_n(r['ece'], 4)}"
            )


@model_app.command("train")
def train(
    cutoff: Annotated[
        str | None, typer.Option("--cutoff", help="基準月 YYYY-MM(既定: 検証月数を残す月)")
    ] = None,
    test_months: Annotated[int, typer.Option("--test-months", min=1, help="検証に残す月数")] = 6,
    calibration: Annotated[
        str, typer.Option("--calibration", help="較正: auto|isotonic|platt")
    ] = "auto",
    activate: Annotated[bool, typer.Option("--activate", help="学習後に有効化する")] = False,
    as_: Annotated[str | None, typer.Option("--as", help=AS_ADMIN)] = None,
) -> None:
    """自機関のデータで学習し、時系列ホールドアウトで評価して、新しい版として保存します。

    --as の管理者の組織が期中モニタリングで見られる事業者と、見られる信用事象だけで学習します。"""
    if calibration not in ("auto", "isotonic", "platt"):
        fail("--calibration は auto・isotonic・platt のいずれかです")
    s = settings()
    actor = actor_for(as_)
    org_id = None if actor.is_system else actor.org_id
    console.print("全期間の指標とフラグを計算しています…")
    try:
        scope = _scope(actor, org_id)
        version, meta = jobs.train(
            store(),
            s,
            actor,
            cutoff=cutoff,
            test_months=test_months,
            calibration=calibration,
            scope=scope,
        )
    except NotFound:
        fail(NO_RIGHT)
        return
    except NotEnoughHistory as exc:
        where = f"基準月 {exc.cutoff} より前に" if exc.cutoff else ""
        fail(
            f"学習できません: {where}12か月後の結果がわかっていて事象を含む学習データがありません"
            "(検証月数に加えて、13か月以上の月次データと信用事象の履歴が必要です)"
        )
        return
    except ValueError as exc:  # no panel yet (the message is Japanese)
        fail(f"学習できません: {exc}")
        return
    console.print(f"版 {version} を保存しました({s.data_dir / 'models' / version})")
    if org_id is not None:
        console.print(
            f"学習した事業者: {(meta.get('scope') or {}).get('businesses', 0):,} 社(自組織が見られる事業者のみ)"
        )
    _print_metrics(meta)
    if activate:
        with store().session() as sess:
            do_activate_risk_model(sess, actor, data_dir=s.data_dir, version=version)
        console.print(f"版 {version} を有効にしました。次回の kizashi run から採点されます")
    checkpoint_audit()


@model_app.command("evaluate")
def evaluate(
    version: Annotated[str | None, typer.Argument(help="版(既定: 有効な版)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
    as_: Annotated[str | None, typer.Option("--as", help=AS_ADMIN)] = None,
) -> None:
    """版の検証成績(学習時の時系列ホールドアウト)と、その後の月での成績を表示します。"""
    s = settings()
    actor = actor_for(as_)
    version = _version_or_active(actor, version)
    doc = _allowed_doc(actor, version)
    later = jobs.evaluate_later(store(), s.data_dir, version, _scope(actor, registry.owner_of(doc)))
    if as_json:
        console.print_json(json.dumps({"version": version, "meta": doc["meta"], "later": later}))
        return
    console.print(f"版 {version}")
    _print_metrics(doc["meta"])
    if later:
        console.print(
            f"基準月より後の月(今のデータ): {later['rows']:,} 行(事象 {later['events']:,} 件)"
            f" AUC {_n(later['model']['auc'])} Brier {_n(later['model']['brier'], 4)}"
        )
    else:
        console.print("基準月より後で、12か月の結果が出そろった月はまだありません")


@model_app.command("list")
def list_versions(
    as_: Annotated[str | None, typer.Option("--as", help=AS_ADMIN)] = None,
) -> None:
    """保存されている版を新しい順に表示します(* が採点に使う版)。

    --as: 自組織の版と共通の版(他の組織の版は表示しません)。"""
    actor = actor_for(as_)
    try:
        with store().session() as sess:
            rows = visible_versions(sess, actor, settings().data_dir)
    except NotFound:
        fail(NO_RIGHT)
        return
    if not rows:
        console.print("保存された版はありません(kizashi model train で学習してください)")
        return
    for r in rows:
        m = r["meta"]
        auc = ((m.get("metrics") or {}).get("model") or {}).get("auc")
        console.print(
            f"{'*' if r['active'] else ' '} {r['version']}  {_owner_ja(r['owner_org_id'])}"
            f"  基準月 {m.get('cutoff', '—')}  "
            f"検証AUC {_n(auc)}  作成 {m.get('created_at', '—')}"
        )


@model_app.command("activate")
def activate(
    version: Annotated[str, typer.Argument(help="有効にする版")],
    as_: Annotated[str | None, typer.Option("--as", help=AS_ADMIN)] = None,
) -> None:
    """版を有効にします(次回の kizashi run から、その版で採点されます)。

    組織の版はその組織の採点だけに、共通の版(運用者のみ)は自組織の版がない組織に使われます。"""
    s = settings()
    try:
        with store().session() as sess:
            before = do_activate_risk_model(
                sess, actor_for(as_), data_dir=s.data_dir, version=version
            )
    except (registry.ModelNotFound, NotFound):
        fail(
            f"版 {version} は有効にできません(自組織の版か、kizashi model list で確認してください)"
        )
        return
    checkpoint_audit()
    console.print(
        f"版 {version} を有効にしました(以前: {before or 'なし'})。次回の kizashi run から採点されます"
    )


@model_app.command("deactivate")
def deactivate(
    as_: Annotated[str, typer.Option("--as", help="組織の管理者のログインID")],
) -> None:
    """自組織の版の使用をやめます(次回の kizashi run から共通のモデルで採点されます)。"""
    actor = actor_for(as_)
    try:
        with store().session() as sess:
            before = do_deactivate_risk_model(sess, actor)
    except NotFound:
        fail(NO_RIGHT)
        return
    checkpoint_audit()
    fallback = registry.active_version(settings().data_dir)
    console.print(
        f"自組織の版 {before or 'なし'} の使用をやめました。次回の kizashi run から"
        + (
            f"共通の版 {fallback} で採点されます"
            if fallback
            else "採点されません(共通の版もありません)"
        )
    )


@model_app.command("card")
def card(
    version: Annotated[str | None, typer.Argument(help="版(既定: 有効な版)")] = None,
    lang: Annotated[str, typer.Option("--lang", help="ja|en")] = "ja",
    as_: Annotated[str | None, typer.Option("--as", help=AS_ADMIN)] = None,
) -> None:
    """版のモデルカード(データ期間・特徴量・成績・較正・限界)を表示します。"""
    s = settings()
    actor = actor_for(as_)
    version = _version_or_active(actor, version)
    _allowed_doc(actor, version)
    try:
        typer.echo(registry.card_text(s.data_dir, version, lang))
    except registry.ModelNotFound:
        fail(f"版 {version} はありません")


@model_app.command("explain")
def explain(
    business_id: Annotated[int, typer.Argument(help="事業者ID")],
    login: Annotated[
        str, typer.Option("--as", help="閲覧する利用者のログインID(閲覧は記録されます)")
    ],
    purpose: Annotated[str, typer.Option("--purpose", help="閲覧目的")] = "monitoring",
) -> None:
    """事業者の最新スコアと、それを押し上げている理由を表示します。"""
    s = settings()
    actor = actor_for(login)
    try:
        chosen = Purpose(purpose)
    except ValueError:
        fail(f"閲覧目的 {purpose!r} はありません(monitoring・support・credit_review・referral)")
        return
    try:
        with audited_reads(store(), actor, business_id, chosen) as log:
            view = read_risk(log.session, actor, s.data_dir, business_id, chosen)
    except (PermissionError, LookupError):
        fail(f"事業者 {business_id} のスコアは見られません(同意・権限・ID を確認してください)")
        return
    if view is None:
        console.print(
            "この事業者のスコアはまだありません(有効な版で kizashi run を実行してください)"
        )
        return
    console.print(
        f"{format_month(view.as_of)}末時点の、12か月以内に重大な信用事象が起きる確率: "
        f"{_pct(view.probability)}(同業の中央値 {_pct(view.peer_median)}、{_diff(view.change)})"
    )
    console.print(f"モデルの版: {view.version}({_owner_ja(view.model_org_id)})")
    for r in view.reasons:
        console.print(f"・{r.ja}")
    console.print("このスコアは対話の優先順位づけに使い、与信の判断には使いません。")


def _pct(x: float | None) -> str:
    if x is None:
        return "—"
    return "0.1%未満" if x < 0.001 else f"{x:.1%}"


def _diff(x: float | None) -> str:
    return "前月のスコアなし" if x is None else f"前月から {x * 100:+.1f} ポイント"


@model_app.command("drift")
def drift(
    version: Annotated[str | None, typer.Argument(help="版(既定: 有効な版)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
    as_: Annotated[str | None, typer.Option("--as", help=AS_ADMIN)] = None,
) -> None:
    """採点した月ごとの安定性(特徴量ごとの PSI)と、予測と実績の事象率を表示します。"""
    s = settings()
    actor = actor_for(as_)
    version = _version_or_active(actor, version)
    doc = _allowed_doc(actor, version)
    report = jobs.drift(store(), s.data_dir, version, _scope(actor, registry.owner_of(doc)))
    if as_json:
        console.print_json(json.dumps(report))
        return
    if not report["months"]:
        console.print(f"版 {version} で採点した月はまだありません")
        return
    console.print(f"版 {version}: PSI < 0.1 安定、0.1〜0.25 要注意、> 0.25 変化あり")
    for m in report["months"]:
        top = list(m["psi"].items())[:3]
        worst = "、".join(f"{k} {v:.2f}" for k, v in top)
        realised = (
            f"実績 {m['realised']:.2%}(予測 {m['predicted_where_known']:.2%})"
            if m["realised"] is not None
            else "実績はまだ出ていません(12か月後に確定)"
        )
        console.print(
            f"{m['as_of']}: {m['businesses']:,} 事業者 平均予測 {m['mean_predicted']:.2%} {realised}"
            f" PSI 上位 {worst}"
        )
