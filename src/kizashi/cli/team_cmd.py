"""``kizashi team list|add|rename|remove|member|unmember``: an organisation's teams of officers and
their managers (domain/teams.py), formed by its administrator (``--as``) or the operator (without
``--as``, naming the organisation with ``--org``). Output is Japanese.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select

from kizashi.access.teams import org_teams, read_teams
from kizashi.actions.teams import (
    TeamNameTaken,
    do_add_team,
    do_remove_team,
    do_remove_team_member,
    do_rename_team,
    do_set_team_member,
)
from kizashi.domain.vocabulary import TeamRole
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation, User

from .app import app
from .context import actor_for, console, fail, store

team_app = typer.Typer(help="チーム (teams of officers and their managers).", no_args_is_help=True)
app.add_typer(team_app, name="team")

ROLE_JA = {TeamRole.MANAGER: "管理職", TeamRole.MEMBER: "メンバー"}
AS = typer.Option("--as", help="Act as this administrator (login); omitted: the operator")
REFUSED = "チームが見つからないか、操作する権限がありません"


def _org_id(code: str | None) -> int | None:
    if code is None:
        return None
    with store().session() as s:
        org = s.execute(select(Organisation.id).where(Organisation.code == code)).scalar()
    if org is None:
        fail(f"組織 {escape(code)} が見つかりません")
    return int(org)  # type: ignore[arg-type]


def _user_id(login: str) -> int:
    with store().session() as s:
        uid = s.execute(select(User.id).where(User.login == login)).scalar_one_or_none()
    if uid is None:
        fail(f"利用者 {escape(login)} が見つかりません")
    return int(uid)  # type: ignore[arg-type]


@team_app.command("list")
def team_list(
    as_: Annotated[str | None, AS] = None,
    org: Annotated[str | None, typer.Option(help="Organisation code (the operator)")] = None,
) -> None:
    """チームとメンバーを表示する (the organisation's teams)."""
    actor = actor_for(as_)
    org_id = _org_id(org)
    try:
        with store().session() as s:
            if actor.is_system and org_id is not None:
                teams = org_teams(s, org_id)
            else:
                teams = read_teams(s, actor)
    except NotFound:
        fail(REFUSED)
    if not teams:
        console.print("チームはありません")
    for t in teams:
        members = "、".join(f"{escape(m.name)}（{ROLE_JA[m.role]}）" for m in t.members)
        console.print(f"{t.id}: {escape(t.name)} — {members or 'メンバーなし'}")


@team_app.command("add")
def team_add(
    name: Annotated[str, typer.Argument(help="The team's name")],
    as_: Annotated[str | None, AS] = None,
    org: Annotated[str | None, typer.Option(help="Organisation code (the operator)")] = None,
) -> None:
    """チームを作る (add a team)."""
    actor = actor_for(as_)
    org_id = _org_id(org)
    if actor.is_system and org_id is None:
        fail("--org で組織を指定してください")
    try:
        with store().session() as s:
            team = do_add_team(s, actor, name=name, org_id=org_id)
            team_id = team.id
    except TeamNameTaken:
        fail(f"チーム {escape(name)} はすでにあります")
    except NotFound:
        fail(REFUSED)
    except ValueError:
        fail("チーム名は1文字から100文字で指定してください")
    console.print(f"チーム {escape(name.strip())} を作りました（ID {team_id}）")


@team_app.command("rename")
def team_rename(
    team_id: Annotated[int, typer.Argument(help="Team id")],
    name: Annotated[str, typer.Argument(help="The new name")],
    as_: Annotated[str | None, AS] = None,
) -> None:
    """チームの名前を変える (rename a team)."""
    try:
        with store().session() as s:
            do_rename_team(s, actor_for(as_), team_id=team_id, name=name)
    except TeamNameTaken:
        fail(f"チーム {escape(name)} はすでにあります")
    except NotFound:
        fail(REFUSED)
    except ValueError:
        fail("チーム名は1文字から100文字で指定してください")
    console.print(f"チーム {team_id} の名前を {escape(name.strip())} にしました")


@team_app.command("remove")
def team_remove(
    team_id: Annotated[int, typer.Argument(help="Team id")],
    as_: Annotated[str | None, AS] = None,
) -> None:
    """チームを削除する (remove a team; its members are in no team afterwards)."""
    try:
        with store().session() as s:
            do_remove_team(s, actor_for(as_), team_id=team_id)
    except NotFound:
        fail(REFUSED)
    console.print(f"チーム {team_id} を削除しました")


@team_app.command("member")
def team_member(
    team_id: Annotated[int, typer.Argument(help="Team id")],
    login: Annotated[str, typer.Argument(help="The officer's login")],
    manager: Annotated[bool, typer.Option("--manager", help="As the team's manager")] = False,
    as_: Annotated[str | None, AS] = None,
) -> None:
    """担当者をチームに入れる、または役割を変える (put an officer in a team)."""
    role = TeamRole.MANAGER if manager else TeamRole.MEMBER
    uid = _user_id(login)
    try:
        with store().session() as s:
            do_set_team_member(s, actor_for(as_), team_id=team_id, user_id=uid, role=role)
    except NotFound:
        fail("チームまたは担当者が見つからないか、操作する権限がありません")
    console.print(f"{escape(login)} をチーム {team_id} の{ROLE_JA[role]}にしました")


@team_app.command("unmember")
def team_unmember(
    team_id: Annotated[int, typer.Argument(help="Team id")],
    login: Annotated[str, typer.Argument(help="The officer's login")],
    as_: Annotated[str | None, AS] = None,
) -> None:
    """担当者をチームから外す (take an officer out of a team)."""
    uid = _user_id(login)
    try:
        with store().session() as s:
            do_remove_team_member(s, actor_for(as_), team_id=team_id, user_id=uid)
    except NotFound:
        fail("その担当者はこのチームにいないか、操作する権限がありません")
    console.print(f"{escape(login)} をチーム {team_id} から外しました")


__all__ = ["team_app"]
