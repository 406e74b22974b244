"""Administration: database, audit log, organisations, users, businesses."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from kizashi.actions.businesses import BusinessInput, do_add_business, do_import_businesses
from kizashi.actions.organisations import (
    AlreadyExists,
    RoleNotOffered,
    do_add_organisation,
    do_add_user,
    org_by_code,
)
from kizashi.domain.vocabulary import OrgKind, Relation, Role
from kizashi.store.audit import ChainProblem, ResealRefused, reseal_chain, verify_chain
from kizashi.store.audit_checkpoints import (
    archive_checkpoints,
    read_checkpoints,
    verify_checkpoints,
    write_checkpoint,
)
from kizashi.store.audit_key import AuditKeyError, load_audit_key
from kizashi.store.db import (
    Store,
    current_revision,
    head_revision,
    open_store,
    sqlite_path,
    upgrade,
)
from kizashi.store.models import AuditHead, Organisation

from .app import app
from .context import actor_for, console, err_console, fail, settings, store

db_app = typer.Typer(help="データベース (database) の管理。", no_args_is_help=True)
audit_app = typer.Typer(help="監査ログ (audit log)。", no_args_is_help=True)
org_app = typer.Typer(help="組織 (organisations)。", no_args_is_help=True)
user_app = typer.Typer(help="利用者 (users)。", no_args_is_help=True)
business_app = typer.Typer(help="事業者 (businesses)。", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(business_app, name="business")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (also done automatically on first use)."""
    st = store()  # migrates on construction
    upgrade(st.engine)
    console.print(
        f"database at revision {current_revision(st.engine)} (head {head_revision(st.engine)})"
    )


def _fail_ja(message: str) -> NoReturn:
    """The audit commands speak Japanese only, their error prefix included."""
    err_console.print(f"[red]エラー:[/red] {message}")
    raise typer.Exit(1)


def _existing_store(ctx: typer.Context, *, create_audit_key: bool) -> Store:
    """The instance's store, refusing (not creating) a missing data directory or database."""
    cfg = settings()
    if not cfg.data_dir.is_dir():
        _fail_ja(
            f"データディレクトリ {cfg.data_dir} がありません (KIZASHI_DATA_DIR を確認してください)"
        )
    db_file = sqlite_path(cfg.resolved_database_url)
    if db_file is not None and not db_file.is_file():
        _fail_ja(f"データベース {db_file} がありません")
    key_file = cfg.resolved_audit_key_file
    if not create_audit_key and cfg.audit_key is None and not key_file.is_file():
        _fail_ja(f"監査鍵 {key_file} がありません (鍵がなければ監査ログを検証できません)")
    try:
        st = open_store(cfg, migrate=False, create_audit_key=create_audit_key)
        ctx.call_on_close(st.dispose)
        with st.read_session() as s:
            s.execute(select(func.count()).select_from(AuditHead))
    except (OperationalError, ProgrammingError):
        _fail_ja("データベースに接続できないか、監査ログの表がありません")
    return st


def _problem_ja(p: ChainProblem, checked: int) -> str:
    messages = {
        "missing": f"イベント {p.event_id}: 番号が連続していません (行の削除または並べ替え)",
        "prev_hash": f"イベント {p.event_id}: 直前のイベントのハッシュと連結していません",
        "changed": f"イベント {p.event_id}: 内容が鍵付きハッシュと一致しません "
        "(行の変更、または鍵を使わない再計算)",
        "legacy": f"イベント {p.event_id} から {p.count} 件: 鍵のない旧形式のままです "
        "(kizashi audit reseal で封印し直してください)",
        "head": f"先頭記録 (イベント {p.event_id}) が最後のイベントと一致しません (末尾の削除)",
        "checkpoint_bad": f"チェックポイント {p.event_id} 行目: 署名が正しくありません "
        "(偽造または変更)",
        "truncated": f"チェックポイントにはイベント {p.event_id} 件が記録されていますが、"
        f"監査ログには {checked} 件しかありません (末尾の削除または全削除)",
        "rewritten": f"イベント {p.event_id}: チェックポイントに記録されたハッシュと異なります "
        "(書き換えと再計算)",
    }
    return messages.get(p.code, f"イベント {p.event_id}: 不明な問題")


MAX_LISTED = 20


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """監査ログの鍵付きハッシュ連鎖とチェックポイントを検証する。改ざんや欠落があれば終了コード 1。"""
    st = _existing_store(ctx, create_audit_key=False)
    key = st.audit_key.get()
    # Checkpoints first: every one of them was written before the snapshot below.
    checkpoints, problems = read_checkpoints(settings().resolved_audit_checkpoint_dir, key)
    with st.read_session() as s:
        checked, chain_problems = verify_chain(s, key=key)
        problems = chain_problems + problems + verify_checkpoints(s, checkpoints)
    for p in problems[:MAX_LISTED]:
        console.print(f"[red]{_problem_ja(p, checked)}[/red]")
    if len(problems) > MAX_LISTED:
        console.print(f"ほか {len(problems) - MAX_LISTED} 件")
    if problems:
        _fail_ja(
            f"監査ログの改ざんまたは欠落を検出しました: 問題 {len(problems)} 件 "
            f"(イベント {checked} 件を検査)"
        )
    if not checkpoints:
        console.print(
            "[yellow]注意: 外部チェックポイントがありません。末尾の削除や全削除は検出できません "
            "(kizashi audit checkpoint で作成できます)[/yellow]"
        )
    console.print(
        f"監査ログは無傷です: イベント {checked} 件を検証し、"
        f"チェックポイント {len(checkpoints)} 件と一致しました"
    )


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """監査ログの件数と先頭ハッシュを署名付きチェックポイントとしてデータベースの外に記録する。"""
    st = _existing_store(ctx, create_audit_key=True)
    directory = settings().resolved_audit_checkpoint_dir
    cp = write_checkpoint(st, directory)
    console.print(
        f"チェックポイントを記録しました: イベント {cp.count} 件、"
        f"先頭ハッシュ {cp.head_hash[:16]}… ({directory})"
    )


@audit_app.command("reseal")
def audit_reseal(
    ctx: typer.Context,
    old_key_file: Annotated[
        Path | None,
        typer.Option(
            help="鍵の交換: 以前の監査鍵のファイル。連鎖をこの鍵で検証し、現在の鍵で封印し直す"
        ),
    ] = None,
) -> None:
    """監査ログを現在の監査鍵で封印し直す: 鍵のない旧形式のイベント、または --old-key-file で鍵の交換。"""
    st = _existing_store(ctx, create_audit_key=True)
    old_key = None
    if old_key_file is not None:
        try:
            old_key = load_audit_key(old_key_file, create=False)
        except (AuditKeyError, OSError):
            _fail_ja(f"以前の監査鍵 {old_key_file} を読めません")
        if old_key == st.audit_key.get():
            _fail_ja("以前の監査鍵と現在の監査鍵が同じです")
    directory = settings().resolved_audit_checkpoint_dir
    checkpoints, bad = read_checkpoints(directory, old_key or st.audit_key.get())
    with st.read_session() as s:
        cp_problems = bad + verify_checkpoints(s, checkpoints)
    if cp_problems:
        _fail_ja(
            "チェックポイントと一致しないため封印し直せません (kizashi audit verify で確認してください)"
        )
    try:
        with st.session() as s:
            count = reseal_chain(s, old_key=old_key)
    except ResealRefused:
        _fail_ja(
            "監査ログの連鎖が壊れているため封印し直せません (kizashi audit verify で確認してください)"
        )
    if count == 0:
        console.print("封印し直す旧形式のイベントはありません")
        return
    archived = archive_checkpoints(directory)
    cp = write_checkpoint(st, directory)
    if old_key is not None:
        console.print(f"イベント {count} 件を新しい監査鍵で封印し直しました")
    else:
        console.print(f"旧形式のイベント {count} 件を鍵付きハッシュで封印し直しました")
    if archived is not None:
        console.print(f"以前のチェックポイントは {archived.name} に移しました")
    console.print(f"新しいチェックポイント: イベント {cp.count} 件")


_KIND_JA = {
    OrgKind.BUSINESS: "事業者",
    OrgKind.SUPPORTER: "支援者",
    OrgKind.BANK: "金融機関",
    OrgKind.GUARANTOR: "信用保証協会",
    OrgKind.REVITALIZATION: "中小企業活性化協議会",
}
_ROLE_JA = {
    Role.OWNER: "事業者",
    Role.OFFICER: "担当者",
    Role.ADMIN: "管理者",
    Role.AUDITOR: "監査担当",
}


def _org_ja(s: Session, code: str) -> Organisation:
    try:
        return org_by_code(s, code)
    except ValueError:
        _fail_ja(f"組織コード「{code}」の組織はありません")


@org_app.command("add")
def org_add(
    code: Annotated[str, typer.Argument(help="組織コード (短い固定の識別子、例: cgc-hokkaido)")],
    name: Annotated[str, typer.Option(help="表示名 (例: 北海道信用保証協会)")],
    kind: Annotated[
        OrgKind,
        typer.Option(
            help="種類: business (事業者) | supporter (支援者) | bank (金融機関) | "
            "guarantor (信用保証協会) | revitalization (中小企業活性化協議会)"
        ),
    ],
    corporate_number: Annotated[str | None, typer.Option(help="法人番号 (任意)")] = None,
) -> None:
    """組織を追加する。"""
    try:
        with store().session() as s:
            org = do_add_organisation(
                s,
                actor_for(None),
                kind=kind,
                name=name,
                code=code,
                corporate_number=corporate_number,
            )
            console.print(
                f"組織を追加しました: 番号 {org.id}、コード {org.code}（{_KIND_JA[kind]}）"
            )
    except AlreadyExists:
        _fail_ja(f"組織コード「{code}」はすでに使われています")


@user_app.command("add")
def user_add(
    login: Annotated[str, typer.Argument(help="ログインID")],
    org: Annotated[str, typer.Option(help="組織コード")],
    role: Annotated[
        Role,
        typer.Option(
            help="役割: owner (事業者) | officer (担当者) | admin (管理者) | auditor (監査担当)"
        ),
    ],
    name: Annotated[str | None, typer.Option(help="表示名")] = None,
    password: Annotated[
        str | None, typer.Option(help="パスワード (省略すると入力を求める)", hide_input=True)
    ] = None,
) -> None:
    """組織に利用者を追加する。"""
    if password is None:
        password = typer.prompt("パスワード", hide_input=True, confirmation_prompt=True)
    with store().session() as s:
        organisation = _org_ja(s, org)
        try:
            user = do_add_user(
                s,
                actor_for(None),
                org=organisation,
                login=login,
                password=password,
                display_name=name or login,
                role=role,
            )
        except AlreadyExists:
            _fail_ja(f"ログインID「{login}」はすでに使われています")
        except RoleNotOffered:
            _fail_ja(
                f"{_KIND_JA[organisation.kind]}の組織には「{_ROLE_JA[role]}」の役割がありません"
            )
        console.print(f"利用者を追加しました: 番号 {user.id}、{login}（{_ROLE_JA[role]}）")


@business_app.command("add")
def business_add(
    name: Annotated[str, typer.Argument(help="商号")],
    industry: Annotated[str, typer.Option(help="日本標準産業分類 中分類のコード (例: 09)")],
    prefecture: Annotated[str, typer.Option(help="都道府県名または JIS コード")],
    fiscal_year_end_month: Annotated[int, typer.Option(min=1, max=12, help="決算月")],
    corporate_number: Annotated[
        str | None, typer.Option(help="法人番号 (13桁; 個人事業主は省略)")
    ] = None,
    employees: Annotated[int | None, typer.Option(min=0, help="従業員数")] = None,
    capital: Annotated[int | None, typer.Option(min=0, help="資本金 (円)")] = None,
    founded: Annotated[str | None, typer.Option(help="設立日 (例: 2001-04-01)")] = None,
    registrar: Annotated[str | None, typer.Option(help="登録する組織のコード")] = None,
    relation: Annotated[
        Relation,
        typer.Option(
            help="登録する組織と事業者の関係: lender (融資) | guarantor (保証) | "
            "advisor (支援) | registrar (登録のみ)"
        ),
    ] = Relation.REGISTRAR,
) -> None:
    """事業者を1件登録する。"""
    from kizashi.domain.corporate_number import CorporateNumberError, normalize_corporate_number
    from kizashi.domain.industry import industry_by_code, prefecture_by_name_or_code

    try:
        prefecture_code = prefecture_by_name_or_code(prefecture).code
    except ValueError:
        _fail_ja(f"都道府県「{prefecture}」が見つかりません")
    try:
        industry_by_code(industry)
    except ValueError:
        _fail_ja(f"業種コード「{industry}」は日本標準産業分類の中分類にありません")
    if corporate_number:
        try:
            normalize_corporate_number(corporate_number)
        except CorporateNumberError as exc:
            _fail_ja(str(exc))
    try:
        founded_on = date.fromisoformat(founded) if founded else None
    except ValueError:
        _fail_ja(f"設立日「{founded}」は 2001-04-01 のような日付で書いてください")
    with store().session() as s:
        reg = _org_ja(s, registrar) if registrar else None
        try:
            biz = do_add_business(
                s,
                actor_for(None),
                BusinessInput(
                    name=name,
                    industry_code=industry,
                    prefecture_code=prefecture_code,
                    fiscal_year_end_month=fiscal_year_end_month,
                    corporate_number=corporate_number,
                    employees=employees,
                    capital_yen=capital,
                    founded_on=founded_on,
                ),
                registrar=reg,
                relation=relation,
            )
        except AlreadyExists as exc:
            _fail_ja(f"法人番号 {exc.value} の事業者はすでに登録されています")
        console.print(f"事業者を登録しました: 番号 {biz.id}、{biz.name}")


@business_app.command("import")
def business_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8 or CP932)")],
    registrar: Annotated[
        str, typer.Option(help="Code of the registering organisation (bank or 保証協会)")
    ],
    relation: Annotated[
        Relation, typer.Option(help="The registrar's relation to these businesses")
    ] = Relation.REGISTRAR,
) -> None:
    """Register a borrower list in bulk: all rows or none; bad rows are reported by line."""
    data = file.read_bytes()
    if len(data) > settings().max_upload_bytes:
        fail(f"{file}: {len(data):,} bytes is over the limit of {settings().max_upload_bytes:,}")
    with store().session() as s:
        result = do_import_businesses(
            s,
            actor_for(None),
            data,
            registrar=org_by_code(s, registrar),
            relation=relation,
            filename=str(file),
        )
        if result.errors:
            s.rollback()
    if result.errors:
        for e in result.errors:
            console.print(f"{file}: {e}")
        fail(f"{len(result.errors)} error(s); nothing was imported")
    console.print(f"{len(result.created)} businesses imported from {file}")
