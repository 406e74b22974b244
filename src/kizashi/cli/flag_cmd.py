"""``kizashi flag set-state|assign|history``: the logged-in organisation's own response to a flag.

Each command acts as ``--as LOGIN`` and touches only that user's organisation's response (the
owner answers for the business): its state, reason, assignee and due date, and the history of
who changed what, when and why. Output is Japanese.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select

from kizashi.access.monitoring import read_flag_response
from kizashi.actions.flags import (
    UNSET,
    ReasonRequired,
    Unset,
    do_assign_flag,
    do_change_flag_state,
)
from kizashi.actions.refusals import Refused
from kizashi.domain.vocabulary import FlagState, Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import User
from kizashi.web.i18n import Translator

from .context import actor_for, console, fail, store
from .run_cmd import flag_app

FIELDS = {"state": "状態", "assignee": "担当者", "due_on": "期限", "note": "メモ"}


def _refusal(exc: Exception) -> str:
    """An action's refusal in Japanese (the actions' own messages mix in English)."""
    text = str(exc)
    if isinstance(exc, NotFound):
        return "予兆フラグが見つからないか、閲覧できません"
    if isinstance(exc, PermissionError):
        return "事業者が付けられるのは「確認済」だけです (ほかは金融機関・支援機関が対応します)"
    if isinstance(exc, ReasonRequired):
        return "対応不要には理由が必要です (--reason)"
    if isinstance(exc, Refused):  # the rules' own words, in Japanese
        return text
    return "今の状態からはその状態に変えられません"


@flag_app.command("set-state")
def flag_set_state(
    flag_id: Annotated[int, typer.Argument(help="Flag id")],
    state: Annotated[FlagState, typer.Argument(help="acknowledged | in_progress | not_needed")],
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    reason: Annotated[str | None, typer.Option(help="Reason (required for not_needed)")] = None,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
) -> None:
    """自組織の対応状況を変える (move your organisation's response to a flag)."""
    try:
        with store().session() as s:
            r = do_change_flag_state(
                s, actor_for(as_), flag_id=flag_id, state=state, purpose=purpose, reason=reason
            )
            label = Translator("ja").enum_label(r.state)
        console.print(f"予兆フラグ {flag_id}: {label}")
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))


@flag_app.command("assign")
def flag_assign(
    flag_id: Annotated[int, typer.Argument(help="Flag id")],
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    to: Annotated[
        str | None, typer.Option("--to", help="担当者のログインID (a user of your organisation)")
    ] = None,
    nobody: Annotated[bool, typer.Option("--nobody", help="担当者を外す (clear)")] = False,
    due: Annotated[str | None, typer.Option(help="期限 YYYY-MM-DD")] = None,
    no_due: Annotated[bool, typer.Option("--no-due", help="期限を外す (clear)")] = False,
    reason: Annotated[str | None, typer.Option(help="メモ (note)")] = None,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
) -> None:
    """自組織の担当者と期限を決める (your organisation's assignee and due date)."""
    if (to and nobody) or (due and no_due) or not (to or nobody or due or no_due):
        fail("--to か --nobody、--due か --no-due のどちらかを指定してください")
    due_on: date | None = None
    if due:
        try:
            due_on = date.fromisoformat(due)
        except ValueError:
            fail(f"--due: 日付は YYYY-MM-DD の形で指定してください ({due!r})")
    actor = actor_for(as_)
    try:
        with store().session() as s:
            assignee: int | Unset | None = UNSET if not (to or nobody) else None
            if to:
                assignee = s.execute(select(User.id).where(User.login == to)).scalar_one_or_none()
                if assignee is None:
                    fail(f"ログインID {to!r} の利用者はいません")
            r = do_assign_flag(
                s,
                actor,
                flag_id=flag_id,
                assignee_user_id=assignee,
                due_on=due_on if (due or no_due) else UNSET,
                purpose=purpose,
                reason=reason,
            )
            person = s.get(User, r.assignee_user_id) if r.assignee_user_id else None
            who = person.display_name if person else "なし"
            when = r.due_on.isoformat() if r.due_on else "なし"
        console.print(escape(f"予兆フラグ {flag_id}: 担当者 {who} · 期限 {when}"))
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))


@flag_app.command("history")
def flag_history(
    flag_id: Annotated[int, typer.Argument(help="Flag id")],
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """自組織の対応の履歴 (who in your organisation changed what, when and why)."""
    try:
        with store().session() as s:
            view, history = read_flag_response(s, actor_for(as_), flag_id, purpose)
    except NotFound as exc:
        fail(_refusal(exc))
        return
    if as_json:
        body = {
            "flag_id": flag_id,
            "state": view.state,
            "state_reason": view.state_reason,
            "assignee": view.assignee_name,
            "due_on": view.due_on,
            "history": [dataclasses.asdict(e) for e in history],
        }
        console.print_json(json.dumps(body, ensure_ascii=False, default=str))
        return
    t = Translator("ja")
    console.print(
        escape(
            f"予兆フラグ {flag_id} {view.title['ja']}: {t.enum_label(view.state)}"
            f" · 担当者 {view.assignee_name or 'なし'}"
            f" · 期限 {view.due_on.isoformat() if view.due_on else 'なし'}"
        )
    )
    if not history:
        console.print("  自組織の対応の履歴はまだありません")
    for e in history:
        who = e.user_name or "モニタリング実行"
        if e.field == "state":
            what = (
                f"{t.enum_label(e.old) if e.old else '—'} → {t.enum_label(e.new) if e.new else '—'}"
            )
        else:
            what = f"{e.old or 'なし'} → {e.new or 'なし'}"
        why = f"  理由: {e.reason}" if e.reason else ""
        console.print(
            escape(f"  {t.date_time(e.at)}  {who}  {FIELDS.get(e.field, e.field)} {what}{why}")
        )
