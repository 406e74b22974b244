"""中小企業共通EDI invoices (UN/CEFACT CII based ``SMEInvoice``, ver.4.x and the draft
``SMEinvoice`` namespace): formats.md §3.3.

Read by element *local names* (the namespace changed between versions). An SME invoice is a
header (seller, buyer, currency, due date) with one or more 請求文書 (``IncludedCIIL…``), each
with lines (``SubordinateCIILB…``). Per document the lines' taxable amounts must sum to the
document's NetLineTotalAmount, its tax breakdown to TaxTotalAmount, and net + tax to
GrandTotalAmount; a header summation, when given, must equal the documents' sum. T番号
(``RegisteredID``) and 法人番号 (``CompleteNumber`` with channel 0188) are kept.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from kizashi.domain.bank import Invoice, MoneyFile, Party, TaxSubtotal, registration_number

from ..errors import IngestError, error
from ..money import MoneyOptions, MoneyResult
from ..xmlsafe import XmlDocument, local, parse_xml
from .base import Sniff


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(c.tag) == name]


def _child(el: Element | None, *names: str) -> Element | None:
    for name in names:
        if el is None:
            return None
        el = next((c for c in el if local(c.tag) == name), None)
    return el


def _descendants(el: Element, name: str) -> list[Element]:
    return [c for c in el.iter() if local(c.tag) == name]


def _text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


class SmeEdiInvoice:
    name = "sme_edi"
    label_ja = "中小企業共通EDI 請求書"
    label_en = "SME common EDI invoice (中小企業共通EDI)"
    kind = "invoices"

    def sniff(self, data: bytes, filename: str) -> Sniff | None:
        head = data[:4096]
        if b"SMEInvoice" in head or b"SMEinvoice" in head:
            return Sniff(0.95, "中小企業共通EDI SMEInvoice root")
        return None

    def parse(self, data: bytes, filename: str, options: MoneyOptions) -> MoneyResult:
        doc = parse_xml(data, filename)
        if local(doc.root.tag).lower() != "smeinvoice":
            raise IngestError(
                f"{filename}: {doc.line(doc.root)} 行目: ルート要素 {local(doc.root.tag)} は"
                "共通EDIの請求書 (SMEInvoice) ではありません",
                f"{filename}: line {doc.line(doc.root)}: root element {local(doc.root.tag)}"
                " is not an SMEInvoice",
                file=filename,
                line=doc.line(doc.root),
                field=local(doc.root.tag),
            )
        result = MoneyResult(self.name, "invoices", MoneyFile(), filename)
        inv = _Sme(doc, filename, result).read()
        if inv is not None:
            result.file.invoices.append(inv)
            result.file.named_parties.extend((inv.seller, inv.buyer))
        return result


class _Sme:
    def __init__(self, doc: XmlDocument, filename: str, result: MoneyResult) -> None:
        self.doc = doc
        self.filename = filename
        self.result = result

    def fail(self, el: Element | None, field: str, message: str, value: str | None = None) -> None:
        line = self.doc.line(el)
        where = f"line {line}, " if line else ""
        self.result.issues.append(
            error(
                "invoice.invalid",
                f"{self.filename}: {where}{field}: {message}",
                file=self.filename,
                line=line,
                field=field,
                value=value,
            )
        )

    def amount(self, el: Element | None, field: str, *, required: bool = True) -> Decimal | None:
        raw = _text(el)
        if not raw:
            if required:
                self.fail(el, field, "missing amount")
            return None
        try:
            v = Decimal(raw)
        except InvalidOperation:
            self.fail(el, field, "not a number", raw)
            return None
        if not v.is_finite():
            self.fail(el, field, "not a number", raw)
            return None
        return v

    def day(self, el: Element | None, field: str, *, required: bool) -> date | None:
        s = _text(_child(el, "DateTimeString")) if el is not None else ""
        if not s:
            if required:
                self.fail(el, field, "missing date")
            return None
        try:
            return date.fromisoformat(s[:10])
        except ValueError:
            self.fail(el, field, "not a YYYY-MM-DD date", s)
            return None

    def party(self, name: str) -> Party:
        found = _descendants(self.doc.root, name)
        if not found:
            self.fail(self.doc.root, name, "missing party")
            return Party()
        p = found[0]
        corp = ""
        for comm in _descendants(p, "EndPointURICIUniversalCommunication"):
            if _text(_child(comm, "ChannelCode")) == "0188":
                corp = _text(_child(comm, "CompleteNumber"))
        if corp and not (len(corp) == 13 and corp.isdigit()):
            corp = ""
        reg = ""
        for rid in _children(p, "RegisteredID"):
            reg = (
                reg or registration_number(_text(rid))
                if _text(rid).upper().startswith("T")
                else reg
            )
        return Party(name=_text(_child(p, "Name")), registration_number=reg, corporate_number=corp)

    def read(self) -> Invoice | None:
        root = self.doc.root
        before = len(self.result.errors)
        header = next((c for c in root if local(c.tag).endswith("ExchangedDocument")), None)
        invoice_id = _text(_child(header, "ID"))
        if not invoice_id:
            self.fail(
                header if header is not None else root,
                "ExchangedDocument/ID",
                "missing invoice number",
            )
        issued = self.day(_child(header, "IssueDateTime"), "IssueDateTime", required=True)
        type_code = _text(_child(header, "TypeCode"))
        seller = self.party("SellerCITradeParty")
        buyer = self.party("BuyerCITradeParty")
        currencies = [_text(c) for c in _descendants(root, "InvoiceCurrencyCode") if _text(c)]
        currency = currencies[0] if currencies else "JPY"
        if currency != "JPY":
            self.fail(root, "InvoiceCurrencyCode", f"currency {currency}: only JPY is stored")
        dues = _descendants(root, "DueDateDateTime")
        due = self.day(dues[0], "DueDateDateTime", required=False) if dues else None
        docs = [c for c in root.iter() if local(c.tag) == "IncludedCIILSupplyChainTradeLineItem"]
        if not docs:
            self.fail(root, "IncludedCIILSupplyChainTradeLineItem", "no invoice documents")
        total = tax_total = Decimal(0)
        subs: dict[tuple[str, str], list[Decimal]] = {}
        n_lines = 0
        for d in docs:
            settle = _child(d, "SpecifiedCIILSupplyChainTradeSettlement")
            summ = _child(settle, "SpecifiedCIILTradeSettlementMonetarySummation")
            if summ is None:
                self.fail(d, "SpecifiedCIILTradeSettlementMonetarySummation", "missing totals")
                continue
            net = self.amount(_child(summ, "NetLineTotalAmount"), "NetLineTotalAmount")
            tax = self.amount(_child(summ, "TaxTotalAmount"), "TaxTotalAmount")
            grand = self.amount(_child(summ, "GrandTotalAmount"), "GrandTotalAmount")
            line_sum = Decimal(0)
            for ln in _children(d, "SubordinateCIILBSubordinateTradeLineItem"):
                n_lines += 1
                lt = _child(
                    ln,
                    "SpecifiedCIILBSupplyChainTradeSettlement",
                    "ApplicableCITradeTax",
                    "BasisAmount",
                )
                line_sum += self.amount(lt, "BasisAmount (line)") or 0
            tax_sum = basis_sum = Decimal(0)
            for t in _children(settle, "ApplicableCITradeTax") if settle is not None else []:
                basis = self.amount(_child(t, "BasisAmount"), "BasisAmount") or Decimal(0)
                calc = self.amount(_child(t, "CalculatedAmount"), "CalculatedAmount") or Decimal(0)
                rate = _text(_child(t, "RateApplicablePercent")) or "0"
                cat = _text(_child(t, "CategoryCode"))
                try:
                    if abs(basis * Decimal(rate) / 100 - calc) >= 1:
                        self.fail(t, "CalculatedAmount", f"{calc} is not {rate}% of {basis}")
                except InvalidOperation:
                    self.fail(t, "RateApplicablePercent", "not a number", rate)
                tax_sum += calc
                basis_sum += basis
                acc = subs.setdefault((cat, rate), [Decimal(0), Decimal(0)])
                acc[0] += basis
                acc[1] += calc
            if net is not None:
                self._check(summ, "NetLineTotalAmount", net, line_sum, "the lines' sum")
                self._check(summ, "NetLineTotalAmount", net, basis_sum, "the tax breakdown's basis")
            if tax is not None:
                self._check(summ, "TaxTotalAmount", tax, tax_sum, "the tax breakdown's sum")
            if grand is not None and net is not None and tax is not None:
                self._check(summ, "GrandTotalAmount", grand, net + tax, "net + tax")
            total += grand or 0
            tax_total += tax or 0
        head_summ = next(
            iter(_descendants(root, "SpecifiedCIIHTradeSettlementMonetarySummation")), None
        )
        if head_summ is not None:
            grand_el = _child(head_summ, "GrandTotalAmount")
            stated = self.amount(grand_el, "GrandTotalAmount (header)", required=False)
            if stated is not None:
                self._check(
                    head_summ, "GrandTotalAmount (header)", stated, total, "the documents' sum"
                )
        if len(self.result.errors) > before or issued is None:
            return None
        return Invoice(
            invoice_id=invoice_id,
            issue_date=issued,
            due_date=due,
            seller=seller,
            buyer=buyer,
            total_yen=int(total),
            tax_yen=int(tax_total),
            payable_yen=int(total),
            currency=currency,
            credit_note=type_code == "381",
            type_code=type_code,
            lines=n_lines,
            tax_subtotals=tuple(
                TaxSubtotal(c, r, int(v[0]), int(v[1])) for (c, r), v in subs.items()
            ),
            source_format="sme_edi",
        )

    def _check(
        self, el: Element, field: str, stated: Decimal, computed: Decimal, what: str
    ) -> None:
        if stated != computed:
            self.fail(el, field, f"{stated} but {what} is {computed}", str(stated))
