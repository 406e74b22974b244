"""What pages and the CLI show of a money import (bank statements, invoices, schedules).

Rows built from ``actions.bank.MoneyOutcome``, worded from codes through the catalogue so a
Japanese reader sees Japanese only: the issue's headline by its code, its place in the file
(file, line or record, column or byte, field as the file names it, or a Japanese label for an
e-invoice element) and the value found.
"""

from __future__ import annotations

from dataclasses import dataclass

from kizashi.actions.bank import MoneyOutcome
from kizashi.ingest.errors import Issue
from kizashi.ingest.messages import issue_text
from kizashi.ingest.money import default_money_importers

from .i18n import N_, Translator

MONEY_ISSUE_LABELS = {
    "zengin.bad_characters": N_("Characters that are not JIS/CP932"),
    "zengin.bad_number": N_("A number field holds something else"),
    "zengin.bad_date": N_("A date cannot be read"),
    "zengin.bad_direction": N_("Deposit or withdrawal code is not 1 or 2"),
    "zengin.bad_record_type": N_("Unknown record type"),
    "zengin.after_end": N_("A record after the end record"),
    "zengin.missing_trailer": N_("An account's trailer record is missing"),
    "zengin.missing_end": N_("The end record is missing"),
    "zengin.mixed_kinds": N_("Different kinds of Zengin data in one file"),
    "zengin.time_deposit": N_("Time-deposit statements are not supported"),
    "zengin.data_without_header": N_("A data record before any header"),
    "zengin.trailer_without_header": N_("A trailer record before any header"),
    "zengin.trailer_mismatch": N_("Trailer counts or sums differ from the records"),
    "zengin.balance_mismatch": N_(
        "Opening balance plus movements does not equal the closing balance"
    ),
    "zengin.end_count": N_("The end record's record count differs"),
    "zengin.end_accounts": N_("The end record's account count differs"),
    "bank.bad_date": N_("A date cannot be read"),
    "bank.bad_amount": N_("An amount cannot be read"),
    "bank.balance_mismatch": N_("The running balance does not add up"),
    "bank.no_rows": N_("No transactions were found"),
    "bank.year_inferred": N_("Dates without a year were given one"),
    "invoice.invalid": N_("The invoice's figures do not add up or are missing"),
    "invoice.not_this_business": N_("Neither the seller nor the buyer is this business"),
    "open_items.no_counterparty": N_("A row without a counterparty"),
    "open_items.bad_amount": N_("An amount cannot be read"),
    "open_items.bad_date": N_("A date cannot be read"),
    "open_items.no_side": N_("Receivable or payable is not known"),
    "open_items.total_mismatch": N_("The total row differs from the sum of the rows"),
    "open_items.no_rows": N_("No open items were found"),
    "upload.other_party": N_("The file names another company"),
    "upload.party_unchecked": N_("Check that the account holder is this business"),
    "upload.rejected": N_("The file cannot be read"),
}

# e-invoice elements named in Japanese (UBL / 共通EDI field names are the file's English)
FIELD_LABELS = {
    "LineExtensionAmount (IBT-106)": N_("Sum of the line amounts"),
    "AllowanceTotalAmount (IBT-107)": N_("Sum of allowances"),
    "ChargeTotalAmount (IBT-108)": N_("Sum of charges"),
    "TaxExclusiveAmount (IBT-109)": N_("Total without tax"),
    "TaxTotal/TaxAmount (IBT-110)": N_("Total tax"),
    "TaxInclusiveAmount (IBT-112)": N_("Total with tax"),
    "PayableAmount (IBT-115)": N_("Amount due"),
    "TaxSubtotal/TaxAmount (IBT-117)": N_("Tax of a rate"),
    "DocumentCurrencyCode": N_("Currency"),
    "InvoiceCurrencyCode": N_("Currency"),
    "NetLineTotalAmount": N_("Total without tax"),
    "TaxTotalAmount": N_("Total tax"),
    "GrandTotalAmount": N_("Total with tax"),
    "GrandTotalAmount (header)": N_("Total with tax"),
    "CalculatedAmount": N_("Tax of a rate"),
    "cbc:IssueDate": N_("Issue date"),
    "IssueDateTime": N_("Issue date"),
    "cbc:ID": N_("Invoice number"),
    "AccountingSupplierParty / AccountingCustomerParty": N_("Seller and buyer"),
    "side": N_("Receivable or payable"),
}

KIND_LABELS = {
    "bank": N_("Bank transactions"),
    "planned_payments": N_("Planned transfers"),
    "invoices": N_("Invoices"),
    "open_items": N_("Receivables and payables"),
}

TABLE_LABELS = {
    "bank_account": N_("Bank accounts"),
    "bank_transaction": N_("Bank transactions"),
    "invoice": N_("Invoices"),
    "open_item": N_("Open items"),
}


@dataclass(frozen=True)
class MoneyIssueRow:
    severity: str
    code: str
    headline: str
    file: str
    line: int | None
    column: int | None
    field: str | None
    value: str | None
    message: str  # the detail: English on English pages; a refusal's in the page's language


def money_format_label(name: str | None, t: Translator) -> str:
    imp = default_money_importers().get(name or "")
    if imp is None:
        return name or ""
    return imp.label_ja if t.locale == "ja" else imp.label_en


def money_issue_row(issue: Issue, t: Translator) -> MoneyIssueRow:
    label = MONEY_ISSUE_LABELS.get(issue.code)
    field = issue.field
    if field in FIELD_LABELS:
        field = t.gettext(FIELD_LABELS[field])
    return MoneyIssueRow(
        issue.severity,
        issue.code,
        t.gettext(label) if label else issue.code,
        issue.file,
        issue.line,
        issue.column,
        field,
        issue.value,
        _detail(issue, t.locale),
    )


def _detail(issue: Issue, locale: str) -> str:
    """What a Japanese reader is told beyond the headline and the place: a refusal's own words
    (``upload.rejected``: record, field and why), a limit's; English pages get every issue's."""
    if issue.code.startswith("upload.") and issue.params:
        return issue_text(issue, locale)
    return issue_text(issue, "en") if locale == "en" else ""


def money_summary(outcome: MoneyOutcome, t: Translator) -> list[str]:
    """One line per table touched: added, already stored, replaced."""
    lines = []
    for table, label in TABLE_LABELS.items():
        added, skipped = outcome.added.get(table, 0), outcome.skipped.get(table, 0)
        replaced = outcome.replaced.get(table, 0)
        if not (added or skipped or replaced):
            continue
        lines.append(
            t.gettext(
                "{what}: {added} added, {skipped} already stored, {replaced} replaced",
                what=t.gettext(label),
                added=f"{added:,}",
                skipped=f"{skipped:,}",
                replaced=f"{replaced:,}",
            )
        )
    return lines
