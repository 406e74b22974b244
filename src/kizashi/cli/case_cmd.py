"""``kizashi case open|list|show|update|close|item|comment|reminders`` and ``kizashi case
dialogue add|list``: support cases (支援案件) and their dialogue records (面談記録).

Every command acts as ``--as LOGIN`` through ``actions.cases`` and ``access.cases`` (consent and
audit as for any reader or writer). Output is Japanese.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access.cases import CaseDetail, DialogueView, due_reminders, list_cases, read_case
from kizashi.actions.cases import (
    UNSET,
    ActionInput,
    CaseChange,
    DialogueInput,
    do_add_dialogue,
    do_close_case,
    do_comment_dialogue,
    do_complete_action,
    do_open_case,
    do_set_non_financial,
    do_update_case,
)
from kizashi.domain.support import (
    ActionParty,
    Cadence,
    CaseStage,
    Channel,
    NonFinancialItem,
    Outcome,
    SupportType,
)
from kizashi.domain.vocabulary import Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import User
from kizashi.web.i18n import Translator
from kizashi.web.views.cases import case_label

from .app import app
from .context import actor_for, checkpoint_audit, console, fail, settings, store

case_app = typer.Typer(help="支援案件と面談記録 (support cases).", no_args_is_help=True)
dialogue_app = typer.Typer(help="面談記録 (dialogue records).", no_args_is_help=True)
case_app.add_typer(dialogue_app, name="dialogue")
app.add_typer(case_app, name="case")

JA = Translator("ja")
As = Annotated[str, typer.Option("--as", help="Act as this user (login)")]
PurposeOpt = Annotated[Purpose, typer.Option(help="Purpose")]


def _refusal(exc: Exception) -> str:
    if isinstance(exc, NotFound):
        return "支援案件・事業者・予兆フラグが見つからないか、閲覧できません"
    if isinstance(exc, PermissionError):
        return "この操作はできません (案件を持つ組織の担当者だけが変更できます)"
    text = str(exc)
    japanese = text.split(" (")[0]
    return japanese or "入力が正しくありません"


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: 日付は YYYY-MM-DD の形で指定してください ({value!r})")
        raise


def _user_id(s: Session, login: str) -> int:
    uid = s.execute(select(User.id).where(User.login == login)).scalar_one_or_none()
    if uid is None:
        fail(f"ログインID {login!r} の利用者はいません")
        raise AssertionError
    return int(uid)


@case_app.command("open")
def case_open(
    business_id: Annotated[int, typer.Argument(help="Business id")],
    as_: As,
    support_type: Annotated[SupportType, typer.Option("--type", help="支援の種類")],
    flag: Annotated[
        list[int] | None, typer.Option("--flag", help="きっかけの予兆フラグ id")
    ] = None,
    title: Annotated[str, typer.Option(help="件名")] = "",
    owner: Annotated[str | None, typer.Option(help="主担当のログインID")] = None,
    cadence: Annotated[Cadence, typer.Option(help="接触の頻度")] = Cadence.MONTHLY,
    next_contact: Annotated[str | None, typer.Option(help="次回接触日 YYYY-MM-DD")] = None,
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """支援案件を開く (open a case, from flags or by hand)."""
    actor = actor_for(as_)
    when = _date(next_contact, "--next-contact")
    try:
        with store().session() as s:
            case = do_open_case(
                s,
                actor,
                business_id=business_id,
                purpose=purpose,
                support_type=support_type,
                title=title,
                flag_ids=flag or [],
                owner_user_id=_user_id(s, owner) if owner else None,
                cadence=cadence,
                next_contact_on=when,
            )
            case_id, name = case.id, case.title
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(escape(f"支援案件 {case_id} を開きました: {name}"))


@case_app.command("list")
def case_list(
    as_: As,
    business: Annotated[int | None, typer.Option(help="事業者 id")] = None,
    status: Annotated[str | None, typer.Option(help="open | closed")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="自分が主担当の案件")] = False,
    purpose: PurposeOpt = Purpose.SUPPORT,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """支援案件の一覧 (the cases you may see)."""
    actor = actor_for(as_)
    with store().session() as s:
        rows = list_cases(s, actor, purpose, business_id=business, status=status, mine=mine)
    if as_json:
        body = [dataclasses.asdict(r) for r in rows]
        console.print_json(json.dumps(body, ensure_ascii=False, default=str))
        return
    if not rows:
        console.print("支援案件はありません")
    for r in rows:
        nxt = r.next_contact_on.isoformat() if r.next_contact_on else "なし"
        console.print(
            escape(
                f"{r.id}  {r.business_name}  {r.title}  {case_label(JA, 'support_type', r.support_type)}"
                f"  {case_label(JA, 'status', r.status)}  主担当 {r.owner_name or 'なし'}  次回接触 {nxt}"
            )
        )


def _print_dialogue(d: DialogueView) -> None:
    console.print(
        escape(
            f"  面談 {d.id}  {d.held_on.isoformat()}  {case_label(JA, 'channel', d.channel)}"
            f"{'  ' + d.place if d.place else ''}{'  (事業者と共有)' if d.shared_with_owner else ''}"
        )
    )
    if d.attendees:
        console.print(escape(f"    出席者: {'、'.join(d.attendees)}"))
    console.print(escape(f"    内容: {d.topics}"))
    if d.owner_said:
        console.print(escape(f"    事業者の話: {d.owner_said}"))
    for a in d.actions:
        due = a.due_on.isoformat() if a.due_on else "期限なし"
        done = f" 完了 {a.done_on.isoformat()}" if a.done_on else ""
        console.print(
            escape(f"    合意事項: {a.what} ({case_label(JA, 'party', a.party)}, {due}){done}")
        )
    for f in d.attachments:
        console.print(escape(f"    添付: {f.filename} sha256 {f.sha256}"))
    for c in d.comments:
        console.print(escape(f"    コメント ({c.user_name or '—'}): {c.body}"))


def _print_case(detail: CaseDetail) -> None:
    r = detail.row
    console.print(escape(f"支援案件 {r.id}  {r.title}  ({r.business_name})"))
    console.print(
        escape(
            f"  種類 {case_label(JA, 'support_type', r.support_type)}"
            f" · 段階 {case_label(JA, 'stage', r.stage)}"
            f" · 状態 {case_label(JA, 'status', r.status)}"
            f" · 主担当 {r.owner_name or 'なし'}"
            f" · 頻度 {case_label(JA, 'cadence', r.cadence)}"
            f" · 次回接触 {r.next_contact_on.isoformat() if r.next_contact_on else 'なし'}"
        )
    )
    if r.outcome:
        console.print(
            escape(f"  結果 {case_label(JA, 'outcome', r.outcome)} {detail.outcome_note or ''}")
        )
    if detail.flag_ids:
        console.print(f"  きっかけの予兆フラグ: {', '.join(str(i) for i in detail.flag_ids)}")
    for n in detail.non_financial:
        console.print(escape(f"  非財務 {n.period} {case_label(JA, 'item', n.item)}: {n.body}"))
    for e in detail.history:
        who = e.user_name or "—"
        old = (
            case_label(JA, e.field, e.old)
            if e.field in ("support_type", "stage", "cadence", "status", "outcome")
            else (e.old or "なし")
        )
        new = (
            case_label(JA, e.field, e.new)
            if e.field in ("support_type", "stage", "cadence", "status", "outcome")
            else (e.new or "なし")
        )
        note = f"  メモ: {e.note}" if e.note else ""
        console.print(
            escape(
                f"  履歴 {JA.date_time(e.at)} {who} {case_label(JA, 'field', e.field)} {old} → {new}{note}"
            )
        )
    for d in detail.dialogues:
        _print_dialogue(d)


@case_app.command("show")
def case_show(
    case_id: Annotated[int, typer.Argument(help="Case id")],
    as_: As,
    purpose: PurposeOpt = Purpose.SUPPORT,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """支援案件の内容 (a case, its history, dialogue records and non-financial items)."""
    try:
        with store().session() as s:
            detail = read_case(s, actor_for(as_), case_id, purpose)
    except NotFound as exc:
        fail(_refusal(exc))
        return
    if as_json:
        console.print_json(json.dumps(dataclasses.asdict(detail), ensure_ascii=False, default=str))
        return
    _print_case(detail)


@case_app.command("update")
def case_update(
    case_id: Annotated[int, typer.Argument(help="Case id")],
    as_: As,
    support_type: Annotated[SupportType | None, typer.Option("--type", help="支援の種類")] = None,
    stage: Annotated[CaseStage | None, typer.Option(help="段階")] = None,
    owner: Annotated[str | None, typer.Option(help="主担当のログインID")] = None,
    next_contact: Annotated[str | None, typer.Option(help="次回接触日 YYYY-MM-DD")] = None,
    cadence: Annotated[Cadence | None, typer.Option(help="接触の頻度")] = None,
    note: Annotated[str | None, typer.Option(help="メモ (変更の理由)")] = None,
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """支援案件を変える (support type, stage, owner, next contact, cadence; history kept)."""
    actor = actor_for(as_)
    when = _date(next_contact, "--next-contact")
    try:
        with store().session() as s:
            change = CaseChange(
                support_type=support_type if support_type else UNSET,
                stage=stage if stage else UNSET,
                owner_user_id=_user_id(s, owner) if owner else UNSET,
                next_contact_on=when if next_contact else UNSET,
                cadence=cadence if cadence else UNSET,
                note=note,
            )
            do_update_case(s, actor, case_id=case_id, change=change, purpose=purpose)
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(f"支援案件 {case_id} を更新しました")


@case_app.command("close")
def case_close(
    case_id: Annotated[int, typer.Argument(help="Case id")],
    as_: As,
    outcome: Annotated[Outcome, typer.Option(help="結果")],
    note: Annotated[str | None, typer.Option(help="メモ")] = None,
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """支援案件を終える (close with an outcome)."""
    try:
        with store().session() as s:
            do_close_case(
                s, actor_for(as_), case_id=case_id, outcome=outcome, note=note, purpose=purpose
            )
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(f"支援案件 {case_id} を終了しました: {case_label(JA, 'outcome', outcome.value)}")


@case_app.command("item")
def case_item(
    case_id: Annotated[int, typer.Argument(help="Case id")],
    as_: As,
    period: Annotated[str, typer.Option(help="期間 (例 2026, 2026-09)")],
    item: Annotated[NonFinancialItem, typer.Option(help="ロカベン非財務の項目")],
    text: Annotated[str, typer.Option(help="内容")],
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """ロカベンの非財務項目を期間ごとに記入する (non-financial items per period)."""
    try:
        with store().session() as s:
            do_set_non_financial(
                s,
                actor_for(as_),
                case_id=case_id,
                period=period,
                item=item,
                body=text,
                purpose=purpose,
            )
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(
        escape(f"支援案件 {case_id}: {period} {case_label(JA, 'item', item.value)} を記入しました")
    )


def _action(value: str) -> ActionInput:
    """``内容|担当|期限``: who is owner, officer, accountant or other; the due date optional."""
    parts = [p.strip() for p in value.split("|")]
    if len(parts) < 2 or parts[1] not in {p.value for p in ActionParty}:
        fail(
            f"--action: 「内容|owner・officer・accountant・other|YYYY-MM-DD」の形で指定してください ({value!r})"
        )
    due = _date(parts[2], "--action") if len(parts) > 2 and parts[2] else None
    return ActionInput(parts[0], ActionParty(parts[1]), due)


@dialogue_app.command("add")
def dialogue_add(
    case_id: Annotated[int, typer.Argument(help="Case id")],
    as_: As,
    held_on: Annotated[str, typer.Option("--date", help="面談日 YYYY-MM-DD")],
    topics: Annotated[str, typer.Option(help="話し合った内容")],
    channel: Annotated[Channel, typer.Option(help="場所・方法")] = Channel.VISIT,
    place: Annotated[str | None, typer.Option(help="場所")] = None,
    attendee: Annotated[
        list[str] | None, typer.Option("--attendee", help="出席者 (繰り返し可)")
    ] = None,
    owner_said: Annotated[str | None, typer.Option(help="事業者の話")] = None,
    action: Annotated[
        list[str] | None, typer.Option("--action", help="合意事項 内容|担当|期限")
    ] = None,
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="添付ファイル")] = None,
    shared: Annotated[bool, typer.Option("--shared", help="事業者と共有する")] = False,
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """面談記録を付ける (record a dialogue with agreed actions and attachments)."""
    actor = actor_for(as_)
    day = _date(held_on, "--date")
    assert day is not None
    actions = [_action(a) for a in action or []]
    files: list[tuple[str, bytes]] = []
    for p in attach or []:
        try:
            files.append((p.name, p.read_bytes()))
        except OSError:
            fail(f"--attach: ファイルを読めません ({p})")
    try:
        with store().session() as s:
            rec = do_add_dialogue(
                s,
                actor,
                case_id=case_id,
                dialogue=DialogueInput(
                    held_on=day,
                    channel=channel,
                    topics=topics,
                    attendees=attendee or [],
                    place=place,
                    owner_said=owner_said,
                    shared_with_owner=shared,
                    actions=actions,
                    attachments=files,
                ),
                purpose=purpose,
                raw_dir=settings().raw_dir,
            )
            rec_id = rec.id
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(f"面談記録 {rec_id} を付けました (支援案件 {case_id})")


@dialogue_app.command("list")
def dialogue_list(
    case_id: Annotated[int, typer.Argument(help="Case id")],
    as_: As,
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """面談記録の一覧 (a case's dialogue records; the owner: those shared with them)."""
    try:
        with store().session() as s:
            detail = read_case(s, actor_for(as_), case_id, purpose)
    except NotFound as exc:
        fail(_refusal(exc))
        return
    if not detail.dialogues:
        console.print("面談記録はありません")
    for d in detail.dialogues:
        _print_dialogue(d)


@case_app.command("comment")
def case_comment(
    dialogue_id: Annotated[int, typer.Argument(help="Dialogue record id")],
    as_: As,
    text: Annotated[str, typer.Option(help="コメント")],
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """共有された面談記録にコメントする (the owner's own comment)."""
    try:
        with store().session() as s:
            do_comment_dialogue(
                s, actor_for(as_), dialogue_id=dialogue_id, body=text, purpose=purpose
            )
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(f"面談記録 {dialogue_id} にコメントしました")


@case_app.command("reminders")
def case_reminders(
    as_: As,
    days: Annotated[int, typer.Option(help="何日先までを表示するか")] = 14,
) -> None:
    """期日の近い接触予定と合意事項 (your due reminders)."""
    with store().session() as s:
        rows = due_reminders(s, actor_for(as_), within_days=days)
    if not rows:
        console.print("期日の近いリマインダーはありません")
    for r in rows:
        kind = "接触予定" if r.kind == "contact" else "合意事項"
        late = " (期限超過)" if r.overdue else ""
        console.print(
            escape(
                f"{r.due_on.isoformat()}{late}  {kind}  支援案件 {r.case_id}  {r.business_name}  {r.what}"
            )
        )


@case_app.command("action-done")
def case_action_done(
    action_id: Annotated[int, typer.Argument(help="Agreed action id")],
    as_: As,
    on: Annotated[str | None, typer.Option("--date", help="完了日 YYYY-MM-DD (既定: 今日)")] = None,
    undo: Annotated[bool, typer.Option("--undo", help="未完了に戻す")] = False,
    purpose: PurposeOpt = Purpose.SUPPORT,
) -> None:
    """合意事項を完了にする (mark an agreed action done, or not done again)."""
    day = None if undo else (_date(on, "--date") or date.today())
    try:
        with store().session() as s:
            do_complete_action(s, actor_for(as_), action_id=action_id, done_on=day, purpose=purpose)
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(f"合意事項 {action_id}: {'未完了に戻しました' if undo else '完了にしました'}")
