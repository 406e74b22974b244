"""``kizashi consent``: the whole life of a consent, run as the person it belongs to (``--as``).

The business (an owner login) grants, revokes, answers requests and sees who looked; an
institution's officer asks, withdraws its request and records a 包括同意. Every change is
audited as that person's. Output is Japanese.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.consent import (
    GrantView,
    RequestView,
    access_business_for_request,
    business_for_owner,
    grant_for_owner,
    own_business_id,
    read_business_consents,
    read_organisation_consents,
    request_for_owner,
    request_for_requester,
    who_looked,
)
from kizashi.actions.consent import (
    ConsentError,
    ConsentRefused,
    do_grant_consent,
    do_record_application_consent,
    do_request_consent,
    do_respond_consent_request,
    do_revoke_consent,
    do_withdraw_consent_request,
)
from kizashi.domain.consent import GrantSource, GrantStanding, RequestStatus
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation, User

from .app import app
from .context import checkpoint_audit, console, err_console, settings, store

JST = ZoneInfo("Asia/Tokyo")

consent_app = typer.Typer(
    help="同意 (consent): 事業者が、どの機関に・どのデータを・何の目的で・いつまで見せるかを決める。",
    no_args_is_help=True,
)
app.add_typer(consent_app, name="consent")

CATEGORY_JA = {
    "profile": "基本情報",
    "financials": "試算表・決算書",
    "bank_transactions": "口座 (入出金明細)",
    "invoices": "請求書",
    "loans": "借入・保証",
    "flags": "予兆フラグ",
    "qualitative": "定性・面談記録",
}
PURPOSE_JA = {
    Purpose.MONITORING: "期中モニタリング",
    Purpose.SUPPORT: "経営支援",
    Purpose.CREDIT_REVIEW: "与信・保証審査",
    Purpose.REFERRAL: "紹介",
}
KIND_JA = {
    OrgKind.BUSINESS: "事業者",
    OrgKind.SUPPORTER: "支援者",
    OrgKind.BANK: "金融機関",
    OrgKind.GUARANTOR: "信用保証協会",
    OrgKind.REVITALIZATION: "中小企業活性化協議会",
}
STANDING_JA = {
    GrantStanding.ACTIVE: "有効",
    GrantStanding.ENDING_SOON: "まもなく終了",
    GrantStanding.NOT_YET: "開始前",
    GrantStanding.EXPIRED: "期限切れ",
    GrantStanding.REVOKED: "取消済",
}
SOURCE_JA = {
    GrantSource.OWNER: "事業者が付与",
    GrantSource.REQUEST: "依頼に承認",
    GrantSource.APPLICATION: "包括同意 (申込時)",
}
STATUS_JA = {
    RequestStatus.PENDING: "回答待ち",
    RequestStatus.APPROVED: "承認",
    RequestStatus.PARTLY_APPROVED: "一部承認",
    RequestStatus.DECLINED: "お断り",
    RequestStatus.WITHDRAWN: "取り下げ",
    RequestStatus.EXPIRED: "期限切れ",
}
ERRORS_JA = {
    "dates": "終了日が開始日より前です",
    "no_categories": "データの種類を1つ以上選んでください",
    "grantee": "同意の相手は金融機関・支援機関です (事業者自身には不要です)",
    "reason": "依頼の理由を書いてください (2000文字まで)",
    "document_ref": "申込書類の番号・名称を書いてください (200文字まで)",
    "not_requested": "依頼されていないデータの種類は承認できません",
    "not_pending": "この依頼には回答済みです",
    "expired": "この依頼は期限が切れています",
}

CATEGORY_HELP = "データの種類 (繰り返し指定可): " + ", ".join(
    f"{c.value}={CATEGORY_JA.get(c.value, c.value)}" for c in Category
)
PURPOSE_HELP = "目的: " + ", ".join(f"{p.value}={PURPOSE_JA[p]}" for p in Purpose)
AsOpt = Annotated[str, typer.Option("--as", help="操作する利用者のログインID")]
CategoryOpt = Annotated[list[Category], typer.Option("--category", "-c", help=CATEGORY_HELP)]
PurposeOpt = Annotated[Purpose, typer.Option(help=PURPOSE_HELP)]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="開始日 YYYY-MM-DD (省略時は今日)", show_default=False)
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="終了日 YYYY-MM-DD (この日まで有効。省略時は期限なし)")
]


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]エラー:[/red] {message}")
    raise typer.Exit(1)


def _date(value: str | None, option: str, default: date | None) -> date | None:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} の日付「{value}」を読めません (YYYY-MM-DD で指定してください)")


def _actor(login: str) -> Actor:
    with store().session() as s:
        user = s.execute(select(User).where(User.login == login)).scalar_one_or_none()
        if user is None or not user.active:
            _fail(f"ログインID「{login}」の利用者はいません")
        return Actor.from_user(user)


def _cats(values: list[Category] | tuple[Category, ...]) -> str:
    return "・".join(CATEGORY_JA.get(c.value, c.value) for c in values)


def _until(d: date | None) -> str:
    return f"{d.isoformat()} まで" if d else "期限なし"


def _grant_line(g: GrantView, owner_side: bool) -> str:
    who = f"{g.grantee_name} ({KIND_JA[g.grantee_kind]})" if owner_side else g.business_name
    source = SOURCE_JA[g.source]
    if g.document_ref:
        source += f"「{g.document_ref}」"
    return (
        f"  #{g.id} {who}  {CATEGORY_JA.get(g.category.value, g.category.value)}"
        f"  {PURPOSE_JA[g.purpose]}  {g.valid_from.isoformat()} から {_until(g.valid_to)}"
        f"  [{STANDING_JA[g.standing]}]  {source}"
    )


def _request_line(r: RequestView, owner_side: bool) -> str:
    who = r.requester_name if owner_side else r.business_name
    line = (
        f"  依頼#{r.id} {who}  {_cats(r.categories)}  {PURPOSE_JA[r.purpose]}"
        f"  {r.valid_from.isoformat()} から {_until(r.valid_to)}  [{STATUS_JA[r.status]}]"
        f"  理由: {r.reason}"
    )
    if r.status == RequestStatus.PENDING:
        line += f"  (回答期限 {r.expires_on.isoformat()})"
    if r.approved and r.status == RequestStatus.PARTLY_APPROVED:
        line += f"  承認: {_cats(r.approved)}"
    if r.note:
        line += f"  事業者から: {r.note}"
    return line


def _explain(exc: Exception) -> NoReturn:
    if isinstance(exc, ConsentError):
        _fail(ERRORS_JA.get(exc.code, "この操作はできません"))
    if isinstance(exc, ConsentRefused):
        _fail("この操作をする権限がありません (記録しました)")
    _fail("見つかりません (または権限がありません)")


@consent_app.command("list")
def consent_list(
    as_: AsOpt,
    business: Annotated[
        int | None, typer.Option(help="事業者ID (機関の利用者のみ、省略時はすべて)")
    ] = None,
) -> None:
    """同意と依頼の一覧 (事業者: 自社が与えた同意と届いた依頼、機関: 自組織が受けた同意と出した依頼)。"""
    actor = _actor(as_)
    try:
        with store().session() as s:
            if actor.role == Role.OWNER:
                bid = own_business_id(s, actor)
                if bid is None:
                    _fail("この利用者の事業者が見つかりません")
                view = read_business_consents(s, actor, bid)
                owner_side = True
            elif actor.role == Role.OFFICER:
                view = read_organisation_consents(s, actor, business_id=business)
                owner_side = False
            else:
                _fail("管理者・監査担当は同意を扱いません")
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    live, past = view.live_grants(), view.past_grants()
    console.print(
        f"有効な同意 {len(live)} 件" + (" (誰が・何を・何の目的で・いつまで)" if owner_side else "")
    )
    for g in live:
        console.print(_grant_line(g, owner_side))
    soon = view.ending_soon()
    if soon:
        console.print(f"30日以内に終わる同意 {len(soon)} 件")
    pending = view.pending_requests()
    console.print(f"回答待ちの依頼 {len(pending)} 件")
    for r in pending:
        console.print(_request_line(r, owner_side))
    answered = view.answered_requests()
    if answered:
        console.print(f"回答済み・終了した依頼 {len(answered)} 件")
        for r in answered:
            console.print(_request_line(r, owner_side))
    if past:
        console.print(f"終了した同意 {len(past)} 件")
        for g in past:
            console.print(_grant_line(g, owner_side))


@consent_app.command("grant")
def consent_grant(
    as_: AsOpt,
    to: Annotated[str, typer.Option("--to", help="同意する相手の組織コード (例: bank-a)")],
    category: CategoryOpt,
    purpose: PurposeOpt,
    from_: FromOpt = None,
    until: UntilOpt = None,
) -> None:
    """事業者が機関にデータの閲覧を同意する (データの種類ごとに1件)。"""
    actor = _actor(as_)
    start = _date(from_, "--from", date.today())
    end = _date(until, "--until", None)
    assert start is not None
    try:
        with store().session() as s:
            bid = own_business_id(s, actor)
            if bid is None or actor.role != Role.OWNER:
                _fail("同意できるのは事業者 (経営者) の利用者だけです")
            grantee = s.execute(
                select(Organisation).where(Organisation.code == to)
            ).scalar_one_or_none()
            if grantee is None:
                _fail(f"組織コード「{to}」の組織はありません")
            grants = do_grant_consent(
                s,
                actor,
                business=business_for_owner(s, actor, bid, "grant_consent"),
                grantee=grantee,
                categories=category,
                purpose=purpose,
                valid_from=start,
                valid_to=end,
            )
            ids = [g.id for g in grants]
            name = grantee.name
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    checkpoint_audit()
    console.print(
        f"{name} に {_cats(category)} の閲覧を同意しました ({PURPOSE_JA[purpose]}、"
        f"{start.isoformat()} から {_until(end)})。同意番号: " + ", ".join(f"#{i}" for i in ids)
    )


@consent_app.command("revoke")
def consent_revoke(
    grant_id: Annotated[int, typer.Argument(help="同意番号 (consent list の #)")], as_: AsOpt
) -> None:
    """同意を取り消す。直後の閲覧から断られる。"""
    actor = _actor(as_)
    try:
        with store().session() as s:
            grant = do_revoke_consent(s, actor, grant=grant_for_owner(s, actor, grant_id))
            org = s.get(Organisation, grant.grantee_org_id)
            text = f"{org.name if org else ''} への {CATEGORY_JA.get(grant.category.value)}"
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    checkpoint_audit()
    console.print(f"同意 #{grant_id} ({text}) を取り消しました。")


@consent_app.command("request")
def consent_request(
    as_: AsOpt,
    business: Annotated[int, typer.Option(help="事業者ID")],
    category: CategoryOpt,
    purpose: PurposeOpt,
    reason: Annotated[str, typer.Option(help="依頼の理由 (事業者に表示されます)")],
    from_: FromOpt = None,
    until: UntilOpt = None,
) -> None:
    """機関が事業者に同意を依頼する (事業者が全部・一部を承認するか、お断りする)。"""
    actor = _actor(as_)
    start = _date(from_, "--from", date.today())
    end = _date(until, "--until", None)
    assert start is not None
    try:
        with store().session() as s:
            b = access_business_for_request(s, actor, business)
            req = do_request_consent(
                s,
                actor,
                business=b,
                categories=category,
                purpose=purpose,
                reason=reason,
                valid_from=start,
                valid_to=end,
                expiry_days=settings().consent_request_days,
            )
            rid, expires, name = req.id, req.expires_on, b.name
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    checkpoint_audit()
    console.print(
        f"{name} に同意を依頼しました (依頼#{rid}: {_cats(category)}、{PURPOSE_JA[purpose]})。"
        f"回答期限は {expires.isoformat()} です。"
    )


@consent_app.command("respond")
def consent_respond(
    request_id: Annotated[int, typer.Argument(help="依頼番号 (consent list の 依頼#)")],
    as_: AsOpt,
    approve: Annotated[
        list[Category] | None,
        typer.Option("--approve", "-a", help="承認するデータの種類 (繰り返し指定可)"),
    ] = None,
    approve_all: Annotated[bool, typer.Option("--all", help="依頼されたすべてを承認する")] = False,
    decline: Annotated[bool, typer.Option("--decline", help="お断りする")] = False,
    reason: Annotated[str | None, typer.Option(help="相手に伝える理由 (任意)")] = None,
    until: UntilOpt = None,
) -> None:
    """事業者が依頼に回答する: 全部 (--all)・一部 (--approve) を承認、またはお断り (--decline)。"""
    if sum([bool(approve), approve_all, decline]) != 1:
        _fail("--all、--approve、--decline のどれか1つを指定してください")
    actor = _actor(as_)
    end = _date(until, "--until", None)
    try:
        with store().session() as s:
            req = request_for_owner(s, actor, request_id)
            asked = [Category(c) for c in req.categories.split(",") if c]
            chosen = asked if approve_all else ([] if decline else list(approve or []))
            grants = do_respond_consent_request(
                s, actor, request=req, approve=chosen, note=reason, valid_to=end
            )
            status = req.status
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    checkpoint_audit()
    if grants:
        console.print(f"依頼#{request_id} に回答しました: {STATUS_JA[status]} ({_cats(chosen)})。")
    else:
        console.print(f"依頼#{request_id} をお断りしました。")


@consent_app.command("withdraw")
def consent_withdraw(
    request_id: Annotated[int, typer.Argument(help="依頼番号")], as_: AsOpt
) -> None:
    """機関が回答待ちの依頼を取り下げる。"""
    actor = _actor(as_)
    try:
        with store().session() as s:
            do_withdraw_consent_request(
                s, actor, request=request_for_requester(s, actor, request_id)
            )
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    checkpoint_audit()
    console.print(f"依頼#{request_id} を取り下げました。")


@consent_app.command("record")
def consent_record(
    as_: AsOpt,
    business: Annotated[int, typer.Option(help="事業者ID")],
    category: CategoryOpt,
    purpose: PurposeOpt,
    document: Annotated[str, typer.Option(help="同意を得た申込書類の番号・名称")],
    from_: FromOpt = None,
    until: UntilOpt = None,
) -> None:
    """融資・保証の申込時に得た包括同意を、書類の番号とともに記録する (金融機関・保証協会)。"""
    actor = _actor(as_)
    start = _date(from_, "--from", date.today())
    end = _date(until, "--until", None)
    assert start is not None
    try:
        with store().session() as s:
            b = access_business_for_request(s, actor, business, action="record_application_consent")
            grants = do_record_application_consent(
                s,
                actor,
                business=b,
                categories=category,
                purpose=purpose,
                valid_from=start,
                valid_to=end,
                document_ref=document,
            )
            ids, name = [g.id for g in grants], b.name
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    checkpoint_audit()
    console.print(
        f"{name} の包括同意を記録しました ({_cats(category)}、{PURPOSE_JA[purpose]}、"
        f"書類「{document.strip()}」)。同意番号: "
        + ", ".join(f"#{i}" for i in ids)
        + "。事業者の画面に表示され、事業者はいつでも取り消せます。"
    )


@consent_app.command("looked")
def consent_looked(
    as_: AsOpt, limit: Annotated[int, typer.Option(min=1, max=10000, help="表示する件数")] = 50
) -> None:
    """自社のデータを見た機関と人 (監査ログから。断られた閲覧も表示)。"""
    actor = _actor(as_)
    try:
        with store().session() as s:
            bid = own_business_id(s, actor)
            if bid is None:
                _fail("見た人の一覧を見られるのは事業者 (経営者) の利用者だけです")
            looks = who_looked(s, actor, bid, limit=limit)
    except (NotFound, ConsentError, ConsentRefused) as exc:
        _explain(exc)
    console.print(f"自社のデータを見た記録 {len(looks)} 件 (新しい順)")
    for x in looks:
        what = "・".join(CATEGORY_JA.get(c, c) for c in x.categories) or "事業者の情報"
        why = PURPOSE_JA[x.purpose] if x.purpose else "—"
        outcome = "断られました" if x.refused else "閲覧"
        at = (x.at if x.at.tzinfo else x.at.replace(tzinfo=UTC)).astimezone(JST)
        at_text = at.strftime("%Y-%m-%d %H:%M")
        console.print(f"  {at_text}  {x.org_name}  {x.person}  {what}  {why}  {outcome}")
