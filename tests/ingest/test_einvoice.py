"""E-invoices: JP PINT, Peppol BIS 3 and 中小企業共通EDI on the real samples; totals verified;
hostile XML refused before anything is read."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from kizashi.ingest import IngestError
from kizashi.ingest.money import analyse_money
from kizashi.ingest.xmlsafe import parse_xml

from .conftest import SAMPLES

EINVOICE = SAMPLES.parent / "einvoice"
PINT = sorted((EINVOICE / "jp-pint").glob("*.xml"))


def _read(path: Path):  # type: ignore[no-untyped-def]
    return analyse_money(path.read_bytes(), path.name)


@pytest.mark.parametrize("path", PINT, ids=lambda p: p.stem)
def test_jp_pint_samples_verify(path: Path) -> None:
    r = _read(path)
    assert r.format == "ubl_invoice" and r.errors == [], r.issues
    (inv,) = r.file.invoices
    assert inv.seller.registration_number == "T1234567890123"
    assert inv.seller.corporate_number == "1234567890123"
    assert inv.currency == "JPY" and inv.lines >= 1


def test_jp_pint_minimum_figures() -> None:
    r = _read(EINVOICE / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml")
    (inv,) = r.file.invoices
    assert (inv.invoice_id, inv.issue_date, inv.total_yen, inv.tax_yen, inv.payable_yen) == (
        "156",
        date(2023, 10, 24),
        281_240,
        25_250,
        281_240,
    )
    assert [(s.category, s.rate_percent, s.taxable_yen, s.tax_yen) for s in inv.tax_subtotals] == [
        ("S", "10", 252_500, 25_250),
        ("E", "0", 3_490, 0),
    ]
    assert inv.buyer.corporate_number == "3210987654321"


def test_jp_pint_stray_gt_in_buyer_tax_id_is_tolerated() -> None:
    r = _read(EINVOICE / "jp-pint" / "Japan PINT Invoice UBL Example.xml")
    assert r.file.invoices[0].buyer.registration_number == "T3210987654321"
    assert r.file.invoices[0].due_date == date(2023, 11, 20)


def test_jp_pint_return_is_negative() -> None:
    r = _read(EINVOICE / "jp-pint" / "Japan PINT Invoice UBL Example7-Return.Quan.ItPr.xml")
    assert r.file.invoices[0].total_yen < 0


def test_non_tax_registered_seller() -> None:
    (path,) = (EINVOICE / "jp-pint-ntr").glob("*.xml")
    r = _read(path)
    assert r.errors == []
    inv = r.file.invoices[0]
    assert inv.tax_yen == 0 and inv.seller.registration_number == ""
    assert inv.type_code == "380" or inv.type_code == "480"


@pytest.mark.parametrize(
    "name",
    [
        "base-example.xml",
        "base-creditnote-correction.xml",
        "Allowance-example.xml",
        "vat-category-E.xml",
    ],
)
def test_peppol_bis3_totals_verify_but_only_jpy_is_stored(name: str) -> None:
    r = _read(EINVOICE / "peppol-bis3" / name)
    assert [i.field for i in r.errors] == ["DocumentCurrencyCode"]  # the totals all add up
    assert r.file.invoices == []


def test_tampered_totals_are_located() -> None:
    path = EINVOICE / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
    text = path.read_text("utf-8")
    bad = text.replace(
        '<cbc:PayableAmount currencyID="JPY">281240<', '<cbc:PayableAmount currencyID="JPY">281241<'
    )
    r = analyse_money(bad.encode(), "t.xml")
    (issue,) = r.errors
    assert issue.field == "PayableAmount (IBT-115)" and issue.file == "t.xml"
    assert issue.line is not None and issue.line > 1
    bad = text.replace(
        '<cbc:TaxAmount currencyID="JPY">25250</cbc:TaxAmount> <!-- IBT-117',
        '<cbc:TaxAmount currencyID="JPY">25000</cbc:TaxAmount> <!-- IBT-117',
    )
    fields = {i.field for i in analyse_money(bad.encode(), "t.xml").errors}
    assert "TaxSubtotal/TaxAmount (IBT-117)" in fields
    assert "TaxTotal/TaxAmount (IBT-110)" in fields


def test_sme_edi_example() -> None:
    r = _read(EINVOICE / "sme-edi" / "Example1-minimum.xml")
    assert r.format == "sme_edi" and r.errors == []
    (inv,) = r.file.invoices
    assert (inv.total_yen, inv.tax_yen) == (281_240, 25_250)
    assert inv.seller.registration_number == "T1234567890123"
    assert inv.buyer.corporate_number == "3210987654321"


def test_sme_edi_empty_template_gives_errors_not_a_crash() -> None:
    r = _read(EINVOICE / "sme-edi" / "SMEInvoice.xml")
    assert r.errors and r.file.invoices == []


def test_sme_edi_order_is_not_an_invoice() -> None:
    with pytest.raises(IngestError):
        _read(EINVOICE / "sme-edi" / "SMEOrder.xml")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS], ids=["external-entity", "billion-laughs"])
def test_hostile_xml_refused(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a))  # nothing is read
    with pytest.raises(IngestError, match=r"evil\.xml: 2 行目: DOCTYPE") as info:
        analyse_money(data, "evil.xml")
    assert opened == []
    assert (info.value.file, info.value.line) == ("evil.xml", 2)
    assert "line 2: XML with a DOCTYPE" in info.value.english


def test_dtd_hidden_from_the_byte_scan_is_still_refused() -> None:
    # UTF-16 hides "<!DOCTYPE" from the byte scan; the parser itself forbids the DTD
    data = XXE.decode().replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>')
    with pytest.raises(IngestError, match=r"安全|DOCTYPE|XML として読めません") as info:
        parse_xml(data.encode("utf-16"), "evil16.xml")
    assert re.search(r"unsafe|DOCTYPE|not well-formed", info.value.english)


def test_malformed_xml_is_located() -> None:
    with pytest.raises(IngestError, match=r"m\.xml: 2 行目 6 列") as info:
        parse_xml(b"<Invoice>\n<a></b></Invoice>", "m.xml")
    assert "line 2, column 6" in info.value.english
    assert (info.value.line, info.value.column) == (2, 6)


def test_element_limit() -> None:
    data = b"<Invoice>" + b"<a/>" * 50 + b"</Invoice>"
    with pytest.raises(IngestError, match="要素数が上限 20") as info:
        parse_xml(data, "many.xml", max_elements=20)
    assert "elements" in info.value.english and info.value.line == 1


def test_unknown_encoding_declaration_is_a_clear_error() -> None:
    # found by the fuzzer: a mutated declaration (encoding="tf-8") made expat raise LookupError
    with pytest.raises(IngestError, match="文字コード宣言") as info:
        parse_xml(b'<?xml version="1.0" encoding="tf-8"?><Invoice/>', "enc.xml")
    assert "encoding" in info.value.english
