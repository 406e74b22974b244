"""``kizashi payments match|list``: invoices matched to the bank movements that paid them (入金消込).

``match`` runs the matching again for a business (``actions.matching.do_match_payments``: the
``--as`` user must be allowed to submit its 請求書); it also runs after every bank or invoice
import. ``list`` shows the matches (consent for both 請求書 and 口座). Japanese output;
``--json`` prints the figures.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from kizashi.access.matching import list_payment_matches
from kizashi.actions.matching import do_match_payments
from kizashi.domain.vocabulary import Purpose
from kizashi.store.errors import NotFound
from kizashi.web.i18n import format_yen

from .app import app
from .context import actor_for, checkpoint_audit, fail, store

payments_app = typer.Typer(
    help="入金消込: 請求書と入出金明細の照合 (payment matching).", no_args_is_help=True
)
app.add_typer(payments_app, name="payments")
RULE_JA = {
    "exact": "金額一致",
    "fee": "振込手数料差引",
    "combined": "複数請求書の合算",
    "partial": "一部入金",
}

Business = Annotated[int, typer.Option("--business", help="事業者 ID")]
Login = Annotated[str, typer.Option("--as", help="この利用者として実行する(同意と監査)")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON で出力")]


@payments_app.command("match")
def match(business: Business, login: Login, as_json: AsJson = False) -> None:
    """請求書と入出金明細をもう一度照合する(請求書を提出できる利用者)。"""
    actor = actor_for(login)
    try:
        with store().session() as s:
            out = do_match_payments(s, actor, business)
    except NotFound:
        checkpoint_audit()
        fail(f"事業者 {business} が見つからないか、{login} は請求書を提出できません")
        return
    checkpoint_audit()
    if as_json:
        typer.echo(json.dumps(out.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"照合しました: 事業者 {business}、照合 {out.allocations:,} 件、入金済みの請求書 "
        f"{out.invoices_paid:,} 件、一部入金 {out.invoices_partly_paid:,} 件、"
        f"差し引かれた振込手数料 {format_yen(out.fees_yen)}"
    )


@payments_app.command("list")
def list_(
    business: Business,
    login: Login,
    purpose: Annotated[Purpose, typer.Option("--purpose", help="利用目的")] = Purpose.MONITORING,
    as_json: AsJson = False,
) -> None:
    """どの入出金がどの請求書の支払か(請求書と口座の同意が要ります)。"""
    actor = actor_for(login)
    try:
        with store().session() as s:
            rows = list_payment_matches(s, actor, business, purpose=purpose)
    except NotFound:
        checkpoint_audit()
        fail(f"事業者 {business} が見つからないか、請求書と口座の情報を見る同意がありません")
        return
    checkpoint_audit()
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        typer.echo("照合された入金・支払はありません")
        return
    for r in rows:
        typer.echo(
            f"{r.booked_on.isoformat()} {format_yen(r.transaction_yen)} {r.remitter} → "
            f"{'発行' if r.direction == 'issued' else '受領'}した請求書 {r.invoice_number}"
            f"({r.counterparty}、請求額 {format_yen(r.invoice_yen)}): 充当 "
            f"{format_yen(r.amount_yen)}、振込手数料 {format_yen(r.fee_yen)}、"
            f"{RULE_JA.get(r.rule, r.rule)}"
        )
