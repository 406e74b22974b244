"""The upload page's money files: a bank statement (全銀, internet-banking CSV), an e-invoice
(JP PINT, Peppol BIS 3, 中小企業共通EDI) or a receivable/payable schedule sent through the same
form as accounting files is recognised and stored by ``actions.bank.do_import_money`` (consent
口座 or 請求書, the file's parties checked against the business), and the result page lists
what was added and every issue with its place in the file, worded in the page's language.

A bank CSV kizashi does not recognise is read with a layout chosen on the form (a saved one, or
columns typed in, which can be saved for the organisation); when its header cannot be found the
result page shows the header row it guessed and the columns it recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response

from kizashi.access.reads import read_upload_target
from kizashi.actions.bank import (
    do_import_money,
    do_save_money_preset,
    load_money_preset,
    money_format_of,
)
from kizashi.domain.vocabulary import Role
from kizashi.ingest.errors import IngestError
from kizashi.ingest.importers.netbank_csv import detect_layout
from kizashi.ingest.money import MoneyOptions
from kizashi.settings import Settings
from kizashi.store.db import Store

from ..auth import CurrentUser
from ..i18n import Translator
from ..money_report import KIND_LABELS, money_format_label, money_issue_row, money_summary
from ..state import render


@dataclass(frozen=True)
class BankLayout:
    """The upload form's bank-file layout: a saved one by name, columns typed in (logical field
    → header text or column number; they win over the saved one's), and a name to save the
    typed columns under for the organisation once the file was read without errors."""

    preset: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    save_as: str = ""

    @property
    def chosen(self) -> bool:
        return bool(self.preset or self.columns)


def is_money_upload(
    files: list[tuple[bytes, str]], fmt: str | None, layout: BankLayout | None = None
) -> bool:
    """One file that a money importer reads (accounting formats chosen by name are not), or
    one file with a bank layout chosen on the form."""
    if fmt is not None or len(files) != 1:
        return False
    return bool(layout and layout.chosen) or money_format_of(*files[0]) is not None


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
    layout: BankLayout | None = None,
) -> Response:
    data, name = file
    layout = layout or BankLayout()
    fmt = "netbank_csv" if layout.chosen and money_format_of(data, name) is None else None
    saved: bool | None = None
    with store.session() as s:
        columns = dict(layout.columns)
        if layout.preset:
            try:
                columns = {**load_money_preset(s, user.actor, layout.preset), **columns}
            except IngestError:
                columns = dict(layout.columns)
        outcome = do_import_money(
            s,
            user.actor,
            business_id=business_id,
            data=data,
            filename=name,
            raw_dir=settings.raw_dir,
            format=fmt,
            options=MoneyOptions(side=side, preset=columns or None),
            direction=direction,
            confirm_other_party=confirm_other_party,
            dry_run=dry_run,
            max_bytes=settings.max_upload_bytes,
        )
        if layout.save_as and layout.columns and outcome.ok and not outcome.duplicate:
            try:
                do_save_money_preset(s, user.actor, user.actor.org_id or 0, layout.save_as, columns)
                saved = True
            except (PermissionError, ValueError):
                saved = False
    with store.session() as s:
        target = read_upload_target(s, user.actor, business_id)
    guess = None
    if outcome.errors and outcome.format in (None, "netbank_csv"):
        try:
            guess = detect_layout(data, name)
        except IngestError:
            guess = None
    ctx = {
        "b": target,
        "outcome": outcome,
        "format_label": money_format_label(outcome.format, t),
        "kind_label": t.gettext(KIND_LABELS[outcome.kind]) if outcome.kind else "",
        "summary": money_summary(outcome, t),
        "issues": [money_issue_row(i, t) for i in outcome.issues],
        "is_owner": user.role == Role.OWNER,
        "layout_guess": guess,
        "layout_saved": saved,
        "layout_name": layout.save_as,
    }
    status = 422 if outcome.reason == "errors" else 200
    return render(request, "money_result.html", ctx, status_code=status)
