"""The upload page's money files: a bank statement (全銀, internet-banking CSV), an e-invoice
(JP PINT, Peppol BIS 3, 中小企業共通EDI) or a receivable/payable schedule sent through the same
form as accounting files is recognised and stored by ``actions.bank.do_import_money`` (consent
口座 or 請求書, the file's parties checked against the business), and the result page lists
what was added and every issue with its place in the file, worded in the page's language.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from kizashi.access.reads import read_upload_target
from kizashi.actions.bank import do_import_money, money_format_of
from kizashi.domain.vocabulary import Role
from kizashi.ingest.money import MoneyOptions
from kizashi.settings import Settings
from kizashi.store.db import Store

from ..auth import CurrentUser
from ..i18n import Translator
from ..money_report import KIND_LABELS, money_format_label, money_issue_row, money_summary
from ..state import render


def is_money_upload(files: list[tuple[bytes, str]], fmt: str | None) -> bool:
    """One file that a money importer reads (accounting formats chosen by name are not)."""
    return fmt is None and len(files) == 1 and money_format_of(*files[0]) is not None


def money_upload(
    request: Request,
    store: Store,
    settings: Settings,
    t: Translator,
    user: CurrentUser,
    business_id: int,
    file: tuple[bytes, str],
    *,
    dry_run: bool,
    confirm_other_party: bool,
    direction: str | None,
    side: str | None,
) -> Response:
    data, name = file
    with store.session() as s:
        outcome = do_import_money(
            s,
            user.actor,
            business_id=business_id,
            data=data,
            filename=name,
            raw_dir=settings.raw_dir,
            options=MoneyOptions(side=side),
            direction=direction,
            confirm_other_party=confirm_other_party,
            dry_run=dry_run,
            max_bytes=settings.max_upload_bytes,
        )
    with store.session() as s:
        target = read_upload_target(s, user.actor, business_id)
    ctx = {
        "b": target,
        "outcome": outcome,
        "format_label": money_format_label(outcome.format, t),
        "kind_label": t.gettext(KIND_LABELS[outcome.kind]) if outcome.kind else "",
        "summary": money_summary(outcome, t),
        "issues": [money_issue_row(i, t) for i in outcome.issues],
        "is_owner": user.role == Role.OWNER,
    }
    status = 422 if outcome.reason == "errors" else 200
    return render(request, "money_result.html", ctx, status_code=status)
