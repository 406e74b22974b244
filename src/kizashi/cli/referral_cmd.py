"""``kizashi referral create|list|show|approve|refuse|accept|decline|withdraw``: referrals
across organisations (紹介・持込).

Every command acts as ``--as LOGIN`` through ``actions.referrals`` and ``access.referrals``
(consent and audit as for any reader or writer). Output is Japanese.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access.referrals import ReferralDetail, ReferralRow, list_referrals, read_referral
from kizashi.actions.referrals import (
    ReferralError,
    do_accept_referral,
    do_approve_referral,
    do_create_referral,
    do_decline_referral,
    do_refuse_referral,
    do_withdraw_referral,
)
from kizashi.domain.referrals import (
    KIND_LABELS_JA,
    STATUS_LABELS_JA,
    ReferralKind,
    ReferralStatus,
)
from kizashi.domain.vocabulary import Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation, User

from .app import app
from .context import actor_for, checkpoint_audit, console, fail, settings, store

referral_app = typer.Typer(
    help="紹介・持込 (referrals across organisations).", no_args_is_help=True
)
app.add_typer(referral_app, name="referral")

As = Annotated[str, typer.Option("--as", help="Act as this user (login)")]
Id = Annotated[int, typer.Argument(help="紹介 id")]
PARTY_JA = {"sender": "紹介元", "receiver": "紹介先", "owner": "事業者"}


def _refusal(exc: Exception) -> str:
    if isinstance(exc, NotFound):
        return "紹介・事業者・案件が見つからないか、閲覧できません"
    if isinstance(exc, PermissionError):
        return "この操作はできません (紹介元・紹介先・事業者のうち、その操作をする側だけができます)"
    if isinstance(exc, ReferralError):
        return str(exc)
    return "入力が正しくありません"


def _org_id(code: str) -> int:
    with store().session() as s:
        oid = s.execute(select(Organisation.id).where(Organisation.code == code)).scalar()
    if oid is None:
        fail(f"組織コード {code!r} の組織はありません")
        raise AssertionError
    return int(oid)


def _user_id(login: str) -> int:
    with store().session() as s:
        uid = s.execute(select(User.id).where(User.login == login)).scalar()
    if uid is None:
        fail(f"ログインID {login!r} の利用者はいません")
        raise AssertionError
    return int(uid)


def _line(r: ReferralRow) -> str:
    case = f"  受入案件 {r.to_case_id}" if r.to_case_id else ""
    return (
        f"{r.id}  {r.business_name}  {r.from_org_name} → {r.to_org_name}"
        f"  {KIND_LABELS_JA[ReferralKind(r.kind)]}  {STATUS_LABELS_JA[ReferralStatus(r.status)]}"
        f"  ({PARTY_JA.get(r.party, '')}){case}"
    )


def _run(fn: Callable[[Session], object]) -> None:
    try:
        with store().session() as s:
            message = str(fn(s))
    except (NotFound, ValueError, PermissionError) as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    console.print(escape(message))


@referral_app.command("create")
def referral_create(
    business_id: Annotated[int, typer.Argument(help="事業者 id")],
    as_: As,
    to: Annotated[str, typer.Option("--to", help="紹介先の組織コード")],
    kind: Annotated[ReferralKind, typer.Option("--kind", help="紹介の種類")],
    note: Annotated[str, typer.Option("--note", help="引継ぎメモ")],
    case: Annotated[int | None, typer.Option("--case", help="紹介元の支援案件 id")] = None,
    purpose: Annotated[
        Purpose, typer.Option("--purpose", help="自組織がこの事業者を見ている目的 (紹介以外)")
    ] = Purpose.SUPPORT,
) -> None:
    """事業者を他の機関へ紹介する (事業者の同意待ちになります)."""
    actor = actor_for(as_)
    to_id = _org_id(to)

    def go(s: Session) -> str:
        ref = do_create_referral(
            s,
            actor,
            business_id=business_id,
            to_org_id=to_id,
            kind=kind,
            note=note,
            from_case_id=case,
            purpose=purpose,
        )
        return f"紹介 {ref.id} を作成しました (事業者の同意待ち)"

    _run(go)


@referral_app.command("list")
def referral_list(
    as_: As,
    box: Annotated[str | None, typer.Option(help="sent (紹介した) | received (紹介された)")] = None,
    business: Annotated[int | None, typer.Option(help="事業者 id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """紹介の一覧 (紹介元・紹介先・事業者が見られるもの)."""
    actor = actor_for(as_)
    with store().session() as s:
        rows = list_referrals(s, actor, box=box, business_id=business)
    checkpoint_audit()
    if as_json:
        body = [dataclasses.asdict(r) for r in rows]
        console.print_json(json.dumps(body, ensure_ascii=False, default=str))
        return
    if not rows:
        console.print("紹介はありません")
    for r in rows:
        console.print(escape(_line(r)))


def _print(detail: ReferralDetail) -> None:
    r = detail.row
    console.print(escape(_line(r)))
    console.print(escape(f"  引継ぎメモ: {r.note}"))
    if r.reason:
        console.print(escape(f"  理由: {r.reason}"))
    if r.owner_decided_at is not None and r.status != ReferralStatus.REFUSED:
        parts = ["基本情報"]
        if r.share_flags:
            parts.append("予兆フラグ")
        if r.share_indicators:
            parts.append("財務指標")
        if r.dialogue_ids:
            parts.append(f"面談記録 {len(r.dialogue_ids)}件")
        console.print(escape(f"  事業者が共有を認めたもの: {'、'.join(parts)}"))
    if r.from_case_id:
        console.print(escape(f"  紹介元の案件: {r.from_case_id}"))
    for f in detail.flags:
        console.print(escape(f"  予兆フラグ {f.id}: {f.title.get('ja', '')} ({f.severity})"))
    if detail.indicators is not None and detail.indicators.as_of is not None:
        console.print(escape(f"  財務指標 ({detail.indicators.as_of.isoformat()} 時点)"))
        for v in detail.indicators.values:
            shown = "—" if v.value is None else f"{v.value:,.2f}"
            console.print(escape(f"    {v.ja}: {shown} {v.unit}"))
    for d in detail.dialogues:
        console.print(escape(f"  面談記録 {d.id}  {d.held_on.isoformat()}  {d.topics}"))
    for d in detail.selectable:
        console.print(escape(f"  共有できる面談記録 {d.id}  {d.held_on.isoformat()}  {d.topics}"))


@referral_app.command("show")
def referral_show(referral_id: Id, as_: As) -> None:
    """紹介の内容 (紹介先には事業者が認めたものだけ)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            detail = read_referral(s, actor, referral_id, data_dir=settings().data_dir)
    except NotFound as exc:
        fail(_refusal(exc))
        return
    checkpoint_audit()
    _print(detail)


@referral_app.command("approve")
def referral_approve(
    referral_id: Id,
    as_: As,
    flags: Annotated[bool, typer.Option("--flags/--no-flags", help="予兆フラグを共有する")] = False,
    indicators: Annotated[
        bool, typer.Option("--indicators/--no-indicators", help="財務指標を共有する")
    ] = False,
    dialogue: Annotated[
        list[int] | None, typer.Option("--dialogue", help="共有する面談記録 id (複数可)")
    ] = None,
) -> None:
    """事業者が紹介に同意し、紹介先と共有するものを選ぶ."""
    actor = actor_for(as_)

    def go(s: Session) -> str:
        do_approve_referral(
            s,
            actor,
            referral_id=referral_id,
            share_flags=flags,
            share_indicators=indicators,
            dialogue_ids=dialogue or [],
        )
        return f"紹介 {referral_id} に同意しました (紹介先の回答待ち)"

    _run(go)


@referral_app.command("refuse")
def referral_refuse(
    referral_id: Id,
    as_: As,
    reason: Annotated[str | None, typer.Option(help="理由")] = None,
) -> None:
    """事業者が紹介に同意しない (紹介先には何も届きません)."""
    actor = actor_for(as_)
    _run(
        lambda s: (
            do_refuse_referral(s, actor, referral_id=referral_id, reason=reason)
            and f"紹介 {referral_id} に同意しませんでした"
        )
    )


@referral_app.command("accept")
def referral_accept(
    referral_id: Id,
    as_: As,
    owner: Annotated[str | None, typer.Option(help="受入案件の主担当のログインID")] = None,
) -> None:
    """紹介先が受け入れる (自組織に紹介元の案件と結び付いた支援案件が開きます)."""
    actor = actor_for(as_)
    owner_id = _user_id(owner) if owner else None

    def go(s: Session) -> str:
        _, case = do_accept_referral(s, actor, referral_id=referral_id, owner_user_id=owner_id)
        return f"紹介 {referral_id} を受け入れました。支援案件 {case.id} を開きました"

    _run(go)


@referral_app.command("decline")
def referral_decline(
    referral_id: Id,
    as_: As,
    reason: Annotated[str, typer.Option(help="辞退の理由")],
) -> None:
    """紹介先が辞退する (理由が必要。共有された情報の同意は終了します)."""
    actor = actor_for(as_)
    _run(
        lambda s: (
            do_decline_referral(s, actor, referral_id=referral_id, reason=reason)
            and f"紹介 {referral_id} を辞退しました"
        )
    )


@referral_app.command("withdraw")
def referral_withdraw(
    referral_id: Id,
    as_: As,
    reason: Annotated[str | None, typer.Option(help="理由")] = None,
) -> None:
    """紹介元が取り下げる (回答前のみ。共有された情報の同意は終了します)."""
    actor = actor_for(as_)
    _run(
        lambda s: (
            do_withdraw_referral(s, actor, referral_id=referral_id, reason=reason)
            and f"紹介 {referral_id} を取り下げました"
        )
    )
