"""Users' logins and sessions: unlock, log out everywhere, deactivate, password, role, purge.

Run by the instance operator (the system actor); every change is audited. Output is Japanese.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access.user_reads import list_org_users
from kizashi.actions.logins import LoginPolicy, do_unlock_login, purge_login_throttles
from kizashi.actions.organisations import (
    do_change_password,
    do_change_role,
    do_set_user_active,
    org_by_code,
)
from kizashi.actions.sessions import do_end_user_sessions, purge_sessions
from kizashi.domain.vocabulary import Role
from kizashi.store.models import User

from .admin_cmd import user_app
from .app import app
from .context import actor_for, console, err_console, settings, store

session_app = typer.Typer(help="ログインセッション (sessions)。", no_args_is_help=True)
app.add_typer(session_app, name="session")

ROLE_NAMES = {
    Role.OWNER: "事業者",
    Role.OFFICER: "担当者",
    Role.ADMIN: "管理者",
    Role.AUDITOR: "監査担当",
}


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]エラー:[/red] {message}")
    raise typer.Exit(1)


def _user(s: Session, login: str) -> User:
    user = s.execute(select(User).where(User.login == login)).scalar_one_or_none()
    if user is None:
        _fail(f"ログインID「{login}」の利用者はいません")
    return user


LoginArg = Annotated[str, typer.Argument(help="ログインID (login)")]


@user_app.command("unlock")
def user_unlock(login: LoginArg) -> None:
    """ログインの失敗で掛かったロックを解除する (lift a login lockout)。"""
    with store().session() as s:
        was_locked = do_unlock_login(s, actor_for(None), _user(s, login))
    if was_locked:
        console.print(f"ログインID「{login}」のロックを解除しました。")
    else:
        console.print(
            f"ログインID「{login}」はロックされていませんでした (失敗回数は0に戻しました)。"
        )


@user_app.command("logout-all")
def user_logout_all(login: LoginArg) -> None:
    """利用者のすべてのセッションを終了する (log a user out everywhere)。"""
    with store().session() as s:
        ended = do_end_user_sessions(s, actor_for(None), _user(s, login))
    console.print(f"ログインID「{login}」のセッションを {ended} 件終了しました。")


@user_app.command("deactivate")
def user_deactivate(login: LoginArg) -> None:
    """利用者を無効にする。すべてのセッションも終了する (deactivate a user)。"""
    with store().session() as s:
        ended = do_set_user_active(s, actor_for(None), _user(s, login), active=False)
    console.print(f"ログインID「{login}」を無効にしました (セッション {ended} 件を終了)。")


@user_app.command("activate")
def user_activate(login: LoginArg) -> None:
    """無効にした利用者を再び有効にする (reactivate a user)。"""
    with store().session() as s:
        do_set_user_active(s, actor_for(None), _user(s, login), active=True)
    console.print(f"ログインID「{login}」を有効にしました。")


@user_app.command("password")
def user_password(
    login: LoginArg,
    password: Annotated[
        str | None, typer.Option(help="新しいパスワード (省略すると入力を求める)", hide_input=True)
    ] = None,
) -> None:
    """パスワードを変更する。すべてのセッションも終了する (set a new password)。"""
    if password is None:
        password = typer.prompt("新しいパスワード", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        _fail("パスワードは8文字以上にしてください")
    with store().session() as s:
        ended = do_change_password(s, actor_for(None), _user(s, login), password)
    console.print(
        f"ログインID「{login}」のパスワードを変更しました (セッション {ended} 件を終了)。"
    )


@user_app.command("role")
def user_role(
    login: LoginArg,
    role: Annotated[Role, typer.Option(help="owner | officer | admin | auditor")],
) -> None:
    """役割を変更する。すべてのセッションも終了する (change a user's role)。"""
    try:
        with store().session() as s:
            ended = do_change_role(s, actor_for(None), _user(s, login), role)
    except ValueError:
        _fail(f"この組織の種類には「{ROLE_NAMES[role]}」の役割がありません")
    console.print(
        f"ログインID「{login}」の役割を「{ROLE_NAMES[role]}」にしました (セッション {ended} 件を終了)。"
    )


@user_app.command("list")
def user_list(
    org: Annotated[str, typer.Option(help="組織コード")],
) -> None:
    """組織の利用者を一覧する: ログインID、氏名、役割、状態、最終ログイン (list users)。"""
    from zoneinfo import ZoneInfo

    jst = ZoneInfo("Asia/Tokyo")
    with store().session() as s:
        try:
            organisation = org_by_code(s, org)
        except ValueError:
            _fail(f"組織コード「{org}」の組織はありません")
        name = organisation.name
        users = list_org_users(s, actor_for(None), organisation.id)
    console.print(f"{name} の利用者 {len(users)} 人")
    for u in users:
        state = "有効" if u.active else "無効"
        if u.locked:
            state += "・ロック中"
        last = (
            u.last_login_at.astimezone(jst).strftime("%Y-%m-%d %H:%M")
            if u.last_login_at
            else "未ログイン"
        )
        console.print(
            f"  {u.login}  {u.display_name}  {ROLE_NAMES[u.role]}  {state}  最終ログイン {last}"
        )


@session_app.command("purge")
def session_purge() -> None:
    """終了・期限切れのセッションと古いログイン失敗の記録を削除する (purge old sessions)。"""
    cfg = settings()
    with store().session() as s:
        sessions = purge_sessions(s)
        throttles = purge_login_throttles(
            s, LoginPolicy(window_seconds=cfg.login_failure_window_seconds)
        )
    console.print(
        f"終了したセッション {sessions} 件と、古いログイン失敗の記録 {throttles} 件を削除しました。"
    )
