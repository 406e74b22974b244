"""UBL 2.1 invoices and credit notes: JP PINT (適格請求書 and 非適格) and Peppol BIS Billing 3.0.

formats.md §3.1–3.2. Parsed with :mod:`..xmlsafe` (no DTD, no entities, bounded). Totals are
verified as EN 16931 states them (BR-CO-10 … BR-CO-16): the lines sum to
LineExtensionAmount; line total − allowances + charges = TaxExclusiveAmount; the tax
breakdown sums to the tax total and to the taxable amount; TaxExclusive + tax =
TaxInclusive; TaxInclusive − prepaid + rounding = PayableAmount. The seller's and buyer's
T番号 (``PartyTaxScheme/CompanyID``) and 法人番号 (``EndpointID``/``CompanyID`` with scheme
0188) are kept. A credit note's amounts are stored negative. Only JPY invoices are stored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from kizashi.domain.bank import Invoice, MoneyFile, Party, TaxSubtotal, registration_number

from ..errors import IngestError, error, warning
from ..money import MoneyOptions, MoneyResult
from ..xmlsafe import XmlDocument, local, parse_xml
from .base import Sniff

CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": False,
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": True,
}


def _path(*names: str) -> str:
    return "/".join(("cbc:" if n[0] == "." else "cac:") + n.lstrip(".") for n in names)


class UblInvoice:
    name = "ubl_invoice"
    label_ja = "デジタルインボイス (ペポル形式)"
    label_en = "E-invoice (JP PINT, Peppol BIS 3 UBL)"
    kind = "invoices"

    def sniff(self, data: bytes, filename: str) -> Sniff | None:
        head = data[:4096]
        if b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" in head:
            return Sniff(0.95, "UBL Invoice namespace")
        if b"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" in head:
            return Sniff(0.95, "UBL CreditNote namespace")
        return None

    def parse(self, data: bytes, filename: str, options: MoneyOptions) -> MoneyResult:
        doc = parse_xml(data, filename)
        credit = ROOTS.get(doc.root.tag)
        if credit is None:
            raise IngestError(
                f"{filename}: {doc.line(doc.root)} 行目: ルート要素 {local(doc.root.tag)} は"
                " UBL の Invoice/CreditNote ではありません",
                f"{filename}: line {doc.line(doc.root)}: root element {local(doc.root.tag)}"
                " is not a UBL Invoice or CreditNote",
                file=filename,
                line=doc.line(doc.root),
                field=local(doc.root.tag),
            )
        result = MoneyResult(self.name, "invoices", MoneyFile(), filename)
        inv = _Ubl(doc, filename, result, credit).read()
        if inv is not None:
            result.file.invoices.append(inv)
            result.file.named_parties.extend((inv.seller, inv.buyer))
        return result


class _Ubl:
    def __init__(self, doc: XmlDocument, filename: str, result: MoneyResult, credit: bool):
        self.doc = doc
        self.root = doc.root
        self.filename = filename
        self.result = result
        self.credit = credit
        self.currency = ""
        self.non_tax = False

    # ------------------------------------------------------------------ helpers

    def find(self, base: Element, path: str) -> Element | None:
        return base.find(path.replace("cbc:", CBC).replace("cac:", CAC))

    def findall(self, base: Element, path: str) -> list[Element]:
        return base.findall(path.replace("cbc:", CBC).replace("cac:", CAC))

    def text(self, base: Element, path: str) -> str:
        el = self.find(base, path)
        return (el.text or "").strip() if el is not None else ""

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

    def warn(self, el: Element | None, field: str, message: str) -> None:
        line = self.doc.line(el)
        where = f"line {line}, " if line else ""
        self.result.issues.append(
            warning(
                "invoice.check",
                f"{self.filename}: {where}{field}: {message}",
                file=self.filename,
                line=line,
                field=field,
            )
        )

    def amount(self, base: Element, path: str, *, required: bool = True) -> Decimal | None:
        el = self.find(base, path)
        if el is None or not (el.text or "").strip():
            if required:
                self.fail(el if el is not None else base, path, "missing amount")
            return None
        raw = (el.text or "").strip()
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.fail(el, path, "not a number", raw)
            return None
        if not value.is_finite():
            self.fail(el, path, "not a number", raw)
            return None
        cur = el.get("currencyID", "")
        if cur and self.currency and cur != self.currency and "TaxTotal" not in path:
            self.fail(el, path, f"currency {cur} differs from the document's {self.currency}")
        return value

    def day(self, base: Element, path: str, *, required: bool) -> date | None:
        el = self.find(base, path)
        raw = (el.text or "").strip() if el is not None else ""
        if not raw:
            if required:
                self.fail(el if el is not None else base, path, "missing date")
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.fail(el, path, "not a YYYY-MM-DD date", raw)
            return None

    def party(self, path: str) -> Party:
        p = self.find(self.root, path + "/cac:Party")
        if p is None:
            self.fail(self.root, path, "missing party")
            return Party()
        name = self.text(p, "cac:PartyLegalEntity/cbc:RegistrationName") or self.text(
            p, "cac:PartyName/cbc:Name"
        )
        reg = ""
        for scheme in self.findall(p, "cac:PartyTaxScheme"):
            cid = self.text(scheme, "cbc:CompanyID")
            reg = (
                registration_number(cid.lstrip(">"))
                if cid.lstrip(">").upper().startswith("T")
                else reg
            )
        corp = ""
        endpoint = self.find(p, "cbc:EndpointID")
        if endpoint is not None and endpoint.get("schemeID") == "0188":
            corp = (endpoint.text or "").strip()
        for legal in self.findall(p, "cac:PartyLegalEntity/cbc:CompanyID"):
            if legal.get("schemeID") == "0188" and not corp:
                corp = (legal.text or "").strip()
        if corp and not (len(corp) == 13 and corp.isdigit()):
            self.warn(endpoint, path + " 法人番号", f"not 13 digits: {corp!r}")
            corp = ""
        return Party(name=name, registration_number=reg, corporate_number=corp)

    # ------------------------------------------------------------------ the invoice

    def read(self) -> Invoice | None:
        r = self.root
        before = len(self.result.errors)
        self.currency = self.text(r, "cbc:DocumentCurrencyCode")
        # 適格請求書発行事業者でない seller (JP PINT 480): no tax is charged on the breakdown
        self.non_tax = self.text(r, "cbc:InvoiceTypeCode") == "480" or "nontaxinvoice" in (
            self.text(r, "cbc:CustomizationID")
        )
        invoice_id = self.text(r, "cbc:ID")
        if not invoice_id:
            self.fail(r, "cbc:ID", "missing invoice number")
        issued = self.day(r, "cbc:IssueDate", required=True)
        due = self.day(r, "cbc:DueDate", required=False) or self.day(
            r, "cac:PaymentMeans/cbc:PaymentDueDate", required=False
        )
        type_code = self.text(r, "cbc:CreditNoteTypeCode" if self.credit else "cbc:InvoiceTypeCode")
        seller = self.party("cac:AccountingSupplierParty")
        buyer = self.party("cac:AccountingCustomerParty")
        totals = self.find(r, "cac:LegalMonetaryTotal")
        if totals is None:
            self.fail(r, "cac:LegalMonetaryTotal", "missing document totals")
            return None
        line_total = self.amount(totals, "cbc:LineExtensionAmount")
        tax_excl = self.amount(totals, "cbc:TaxExclusiveAmount")
        tax_incl = self.amount(totals, "cbc:TaxInclusiveAmount")
        allowances = self.amount(totals, "cbc:AllowanceTotalAmount", required=False) or Decimal(0)
        charges = self.amount(totals, "cbc:ChargeTotalAmount", required=False) or Decimal(0)
        prepaid = self.amount(totals, "cbc:PrepaidAmount", required=False) or Decimal(0)
        rounding = self.amount(totals, "cbc:PayableRoundingAmount", required=False) or Decimal(0)
        payable = self.amount(totals, "cbc:PayableAmount")
        line_tag = "cac:CreditNoteLine" if self.credit else "cac:InvoiceLine"
        lines = self.findall(r, line_tag)
        if not lines:
            self.fail(r, line_tag, "no invoice lines")
        line_sum = Decimal(0)
        for ln in lines:
            v = self.amount(ln, "cbc:LineExtensionAmount")
            line_sum += v or 0
        self.check(totals, "LineExtensionAmount (IBT-106)", line_total, line_sum, "the lines' sum")
        doc_allow = doc_charge = Decimal(0)
        for ac in self.findall(r, "cac:AllowanceCharge"):
            v = self.amount(ac, "cbc:Amount") or Decimal(0)
            if self.text(ac, "cbc:ChargeIndicator").lower() == "true":
                doc_charge += v
            else:
                doc_allow += v
        self.check(
            totals,
            "AllowanceTotalAmount (IBT-107)",
            allowances,
            doc_allow,
            "the document allowances' sum",
        )
        self.check(
            totals, "ChargeTotalAmount (IBT-108)", charges, doc_charge, "the document charges' sum"
        )
        if line_total is not None:
            self.check(
                totals,
                "TaxExclusiveAmount (IBT-109)",
                tax_excl,
                line_total - allowances + charges,
                "lines − allowances + charges",
            )
        tax_total, subtotals = self.tax(tax_excl)
        if tax_excl is not None and tax_total is not None:
            self.check(
                totals,
                "TaxInclusiveAmount (IBT-112)",
                tax_incl,
                tax_excl + tax_total,
                "TaxExclusiveAmount + tax",
            )
        if tax_incl is not None:
            self.check(
                totals,
                "PayableAmount (IBT-115)",
                payable,
                tax_incl - prepaid + rounding,
                "TaxInclusive − prepaid + rounding",
            )
        if self.currency != "JPY":
            self.fail(
                self.find(r, "cbc:DocumentCurrencyCode") or r,
                "DocumentCurrencyCode",
                f"currency {self.currency or '(none)'}: only JPY invoices are stored",
            )
        if len(self.result.errors) > before or issued is None:
            return None
        assert tax_incl is not None and payable is not None
        sign = -1 if self.credit else 1
        return Invoice(
            invoice_id=invoice_id,
            issue_date=issued,
            due_date=due,
            seller=seller,
            buyer=buyer,
            total_yen=sign * _yen(tax_incl),
            tax_yen=sign * _yen(tax_total or Decimal(0)),
            payable_yen=sign * _yen(payable),
            currency=self.currency,
            credit_note=self.credit,
            type_code=type_code,
            lines=len(lines),
            tax_subtotals=subtotals,
            preceding_id=self.text(r, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
            source_format=self.text(r, "cbc:CustomizationID"),
        )

    def tax(self, tax_excl: Decimal | None) -> tuple[Decimal | None, tuple[TaxSubtotal, ...]]:
        # the TaxTotal in the document currency carries the breakdown (IBG-23)
        chosen: Element | None = None
        for tt in self.findall(self.root, "cac:TaxTotal"):
            amt = self.find(tt, "cbc:TaxAmount")
            if amt is not None and amt.get("currencyID", self.currency) == self.currency:
                chosen = tt
                break
        if chosen is None:
            self.fail(self.root, "cac:TaxTotal", "missing tax total in the document currency")
            return None, ()
        total = self.amount(chosen, "cbc:TaxAmount")
        subs: list[TaxSubtotal] = []
        tax_sum = taxable_sum = Decimal(0)
        for st in self.findall(chosen, "cac:TaxSubtotal"):
            taxable = self.amount(st, "cbc:TaxableAmount") or Decimal(0)
            tax = self.amount(st, "cbc:TaxAmount") or Decimal(0)
            cat = self.text(st, "cac:TaxCategory/cbc:ID")
            rate = self.text(st, "cac:TaxCategory/cbc:Percent") or "0"
            try:
                expected = taxable * Decimal(rate) / 100
            except InvalidOperation:
                self.fail(st, "TaxCategory/Percent (IBT-119)", "not a number", rate)
                continue
            if not self.non_tax and abs(expected - tax) >= 1:
                self.fail(
                    st,
                    "TaxSubtotal/TaxAmount (IBT-117)",
                    f"{tax} is not {rate}% of {taxable} ({expected}) to the yen",
                )
            tax_sum += tax
            taxable_sum += taxable
            subs.append(TaxSubtotal(cat, rate, _yen(taxable), _yen(tax)))
        if not subs:
            self.fail(chosen, "cac:TaxSubtotal", "no tax breakdown (IBG-23)")
        else:
            self.check(
                chosen, "TaxTotal/TaxAmount (IBT-110)", total, tax_sum, "the breakdown's tax"
            )
            self.check(
                chosen,
                "TaxExclusiveAmount (IBT-109)",
                tax_excl,
                taxable_sum,
                "the breakdown's taxable amounts",
            )
        return total, tuple(subs)

    def check(
        self, el: Element, field: str, stated: Decimal | None, computed: Decimal, what: str
    ) -> None:
        if stated is not None and stated != computed:
            self.fail(el, field, f"{stated} but {what} is {computed}", str(stated))


def _yen(v: Decimal) -> int:
    return int(v.to_integral_value())
