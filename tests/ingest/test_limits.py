"""Each reading limit on a small hand-made file with a tiny limit: lines, cells, unpacked
bytes (the zip's declared sizes not trusted), compression ratio, and the issue cap."""

from __future__ import annotations

import io
import pickle
import zipfile

import pytest

from kizashi.ingest import LimitExceeded, Limits, analyse_files
from kizashi.ingest.errors import error, warning
from kizashi.ingest.limits import MESSAGES, IssueList
from kizashi.ingest.workbook import check_unpacked, read_xlsx

TB = "月,科目,当月残高\n2022-04,普通預金,1000\n2022-04,資本金,1000\n"


def csv_lines(n: int) -> bytes:
    """A trial balance with a header and n - 1 rows, each with an unreadable amount."""
    rows = ["月,科目,当月残高", *[f"2022-04,普通預金,{i}円くらい" for i in range(n - 1)]]
    return ("\n".join(rows) + "\n").encode()


def refused(files: list[tuple[bytes, str]], limits: Limits) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as info:
        analyse_files(files, fiscal_year_start_month=4, limits=limits)
    return info.value


def test_lines_over_the_limit_are_refused_with_the_line() -> None:
    exc = refused([(csv_lines(6), "tb.csv")], Limits(max_lines=5))
    assert exc.code == "upload.too_many_lines"
    assert (exc.file, exc.line) == ("tb.csv", 6)
    assert "6 行目" in str(exc) and "line 6 is over the limit" in exc.english
    assert "line" not in str(exc)  # the CLI and the API say it in Japanese only
    issue = exc.issue()
    assert issue.params == {"file": "tb.csv", "line": 6, "limit": 5}
    # at the limit: analysed
    report = analyse_files(
        [(csv_lines(5), "tb.csv")], fiscal_year_start_month=4, limits=Limits(max_lines=5)
    )
    assert report.errors_total == 4


def test_cells_over_the_limit_are_refused_at_the_row_and_column() -> None:
    data = TB.encode()  # 3 rows of 3 cells
    exc = refused([(data, "tb.csv")], Limits(max_cells=7))
    assert exc.code == "upload.too_many_cells"
    assert (exc.line, exc.column) == (3, 2)  # 6 cells before row 3; its 2nd is the 8th
    assert analyse_files([(data, "tb.csv")], limits=Limits(max_cells=9)).ok


def test_the_issue_list_is_capped_and_counted_by_code() -> None:
    report = analyse_files(
        [(csv_lines(51), "tb.csv")], fiscal_year_start_month=4, limits=Limits(max_issues=3)
    )
    assert len(report.errors) == 3
    assert report.errors_total == 50
    assert report.errors_omitted == 47
    assert report.issue_counts["amount.invalid"] == 50
    body = report.to_dict()
    assert body["errors_total"] == 50 and len(body["errors"]) == 3
    assert body["issue_counts"]["amount.invalid"] == 50


def test_issue_list_keeps_each_severity_separately() -> None:
    issues = IssueList(cap=2)
    for n in range(5):
        issues.append(error("a.b", "x", line=n))
        issues += [warning("c.d", "y", line=n)]
    assert [i.severity for i in issues].count("error") == 2
    assert [i.severity for i in issues].count("warning") == 2
    assert issues.omitted == {"a.b": 3, "c.d": 3}


def workbook(sheet_xml_rows: int, *, pad: str = "") -> bytes:
    """A minimal .xlsx whose sheet has the given number of rows, written member by member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        rows = "".join(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x{pad}</t></is></c>'
            f'<c r="B{r}"><v>{r}</v></c></row>'
            for r in range(1, sheet_xml_rows + 1)
        )
        zf.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>',
        )
    return buf.getvalue()


def test_worksheet_rows_and_cells_are_counted_while_streaming() -> None:
    data = workbook(10)
    assert len(read_xlsx(data, "a.xlsx", limits=Limits(max_lines=10)).rows()) == 10
    with pytest.raises(LimitExceeded) as info:
        read_xlsx(data, "a.xlsx", limits=Limits(max_lines=9))
    assert (info.value.code, info.value.line) == ("upload.too_many_lines", 10)
    with pytest.raises(LimitExceeded) as info:
        read_xlsx(data, "a.xlsx", limits=Limits(max_cells=15))
    assert (info.value.code, info.value.line, info.value.column) == ("upload.too_many_cells", 8, 2)


def test_unpacked_bytes_are_counted_not_declared() -> None:
    data = workbook(200, pad="y" * 50)
    size = check_unpacked(data, "a.xlsx", Limits())
    assert size > 10_000
    with pytest.raises(LimitExceeded) as info:
        check_unpacked(data, "a.xlsx", Limits(max_unpacked_bytes=size - 1))
    assert info.value.code == "upload.unpacked_too_large"
    assert info.value.field == "xl/worksheets/sheet1.xml"
    assert "MB" in str(info.value) or "KB" in str(info.value)


def test_a_workbook_whose_declared_sizes_lie_is_refused() -> None:
    data = bytearray(workbook(2000))
    # claim 10 bytes for every member, in the local headers and the central directory
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(sig)
        while at >= 0:
            data[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
            at = data.find(sig, at + 4)
    with pytest.raises(Exception) as info:
        analyse_files([(bytes(data), "lie.xlsx")], limits=Limits(max_unpacked_bytes=10_000))
    assert "lie.xlsx" in str(info.value)


def test_compression_ratio_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    data = workbook(5000)  # compresses about 8 to 1
    check_unpacked(data, "a.xlsx", Limits())
    monkeypatch.setattr("kizashi.ingest.workbook.MAX_RATIO", 4)
    with pytest.raises(LimitExceeded) as info:
        check_unpacked(data, "a.xlsx", Limits())
    assert info.value.code == "upload.compression_ratio"


def test_a_refusal_survives_pickling() -> None:
    exc = LimitExceeded("upload.too_many_lines", file="a.csv", line=6, limit=5)
    back = pickle.loads(pickle.dumps(exc))
    assert (back.code, back.file, back.line, str(back)) == (exc.code, exc.file, 6, str(exc))


def test_every_limit_message_names_the_same_places_in_both_languages() -> None:
    import re

    for en, ja in MESSAGES.values():
        assert set(re.findall(r"\{(\w+)\}", en)) == set(re.findall(r"\{(\w+)\}", ja))
