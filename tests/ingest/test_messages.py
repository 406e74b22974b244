"""Every importer message code has a Japanese and an English text, and both are shown.

* The catalogue (``ingest.messages``) has an entry for every code an importer in
  ``kizashi.ingest`` reports (found by reading the source: a new code without texts fails).
* The Japanese texts are Japanese (no English words but names such as JIS), the English
  texts are what the issue's ``message`` says.
* Files with faults, read by the importers, give Japanese details with their numbers; the
  upload page and ``kizashi ingest`` show them in Japanese with file, line and column.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kizashi.cli.ingest_cmd  # noqa: F401  (registers the commands)
from kizashi.cli.app import app
from kizashi.ingest.analysis import analyse
from kizashi.ingest.dates import DateError, parse_date
from kizashi.ingest.errors import Issue, cell_error
from kizashi.ingest.messages import catalogue, english, headline, issue_text
from kizashi.ingest.numbers import AmountError, parse_yen
from kizashi.web.i18n import Translator
from kizashi.web.upload_report import issue_row

from .conftest import FIXTURES

INGEST = Path(__file__).resolve().parents[2] / "src" / "kizashi" / "ingest"
CODE = re.compile(r"[a-z][a-z_]*\.[a-z][a-z_]*\Z")
NOT_CODES = re.compile(r"\.(ya?ml|csv|xml|json|txt|py|xlsx?|zip|rels)\Z|\Akizashi\.")
# Words a Japanese text may keep in Latin letters: names of formats and of the chart.
NAMES = {"OBC", "OBCD", "JIS", "CP", "CSV"}


def _codes_in_source() -> dict[str, set[str]]:
    """Every string that looks like an issue code and is passed to a call, by file."""
    found: dict[str, set[str]] = {}
    for path in INGEST.rglob("*.py"):
        if path.name == "messages.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and CODE.match(arg.value)
                    and not NOT_CODES.search(arg.value)
                ):
                    found.setdefault(arg.value, set()).add(path.name)
    return found


def test_every_code_used_in_ingest_has_both_texts() -> None:
    codes = _codes_in_source()
    assert {"tb.unbalanced", "amount.invalid", "upload.too_many_lines"} <= set(codes)
    entries = catalogue()
    missing = [
        f"{code} ({', '.join(sorted(files))})"
        for code, files in sorted(codes.items())
        if not any(k == code or k.startswith(code + ":") for k in entries)
    ]
    assert not missing, f"add English and Japanese texts to ingest/messages.py: {missing}"
    for key, (en, ja) in entries.items():
        assert en.strip() and ja.strip(), key
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja), f"{key}: not Japanese: {ja}"
        words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", "", ja)))
        assert words <= NAMES, f"{key}: English in the Japanese text: {words - NAMES}"


def test_every_code_has_a_headline_in_both_languages() -> None:
    for code in {k.split(":")[0] for k in catalogue()}:
        ja, en = headline(code, "ja"), headline(code, "en")
        assert ja and en and "{" not in ja + en, code
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja), code


@pytest.mark.parametrize("raw", ["33O,000", "12.5", "9" * 20, ""])
def test_an_amount_refusal_says_why_in_both_languages(raw: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_yen(raw, blank_as_zero=False)
    issue = cell_error("amount.invalid", caught.value, file="a.csv", line=3, column=2, value=raw)
    assert issue.message == str(caught.value)  # the English text is the refusal's
    assert english(issue.code, issue.params) == issue.message  # … and the catalogue's
    ja = issue_text(issue, "ja")
    assert ja and "amount" not in ja
    if raw:
        assert raw in ja


@pytest.mark.parametrize("raw", ["2025/13/01", "令和0年4月1日", "平成32年1月1日", "x", ""])
def test_a_date_refusal_says_why_in_both_languages(raw: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(raw)
    issue = cell_error("date.invalid", caught.value, file="j.csv", line=2, column=1, value=raw)
    assert english(issue.code, issue.params) == issue.message == str(caught.value)
    ja = issue_text(issue, "ja")
    assert ja and not re.search(r"[A-Za-z]{3,}", ja.replace(raw, "")), ja


def _faulty_trial_balance() -> bytes:
    text = (FIXTURES / "trial_balance.csv").read_text("utf-8")
    bad = text.replace('"950,000"\n', '"950,001"\n', 1).replace(
        '売掛金,"330,000"', '売掛金,"33O,000"'
    )
    return bad.encode()


def test_a_faulty_file_has_japanese_details_with_its_numbers() -> None:
    report = analyse(_faulty_trial_balance(), "tb.csv")
    issues = [*report.errors, *report.warnings]
    assert {"amount.invalid", "tb.arithmetic", "subtotal.mismatch"} <= {i.code for i in issues}
    for issue in issues:
        ja = issue_text(issue, "ja")
        assert ja, issue.code
        assert not re.search(r"[A-Za-z]{3,}", ja), (issue.code, ja)
        assert issue_text(issue, "en") == issue.message
        if issue.params and issue.code not in ("amount.invalid", "date.invalid"):
            # the English message is the catalogue's, from the same parameters
            assert english(issue.code, issue.params) == issue.message
    arith = next(i for i in issues if i.code == "tb.arithmetic")
    text = issue_text(arith, "ja")
    assert "普通預金" in text and "950,001" in text and "一致しません" in text
    amount = next(i for i in issues if i.code == "amount.invalid")
    assert issue_text(amount, "ja") == "「33O,000」は金額として読めません"


def test_months_and_items_read_as_japanese() -> None:
    issue = Issue(
        "warning",
        "period.missing",
        "no data between 2025-05 and 2025-08",
        file="tb.csv",
        params={"from_month": "2025-05", "to_month": "2025-08"},
    )
    assert issue_text(issue, "ja") == "令和7年5月と令和7年8月の間の月のデータがありません"
    sign = Issue(
        "warning",
        "sign.unusual",
        "売掛金 is negative (-5,000 at 2025-05-31; 2 month(s))",
        params={
            "item": "accounts_receivable",
            "item_ja": "売掛金",
            "amount": -5000,
            "date": "2025-05-31",
            "months": 2,
        },
    )
    assert issue_text(sign, "ja") == "売掛金がマイナスです（令和7年5月31日 に -5,000、2 か月）"


def test_an_issue_without_the_parameters_says_the_general_sentence() -> None:
    bare = Issue("error", "invoice.invalid", "x.xml: line 3: bad total", file="x.xml", line=3)
    assert issue_text(bare, "ja") == "請求書の記載を読み取れません"
    unknown = Issue("error", "period.unknown", "…", params={"variant": "nonsense"})
    assert issue_text(unknown, "ja") == "期末日がわかりません"


def test_upload_page_rows_are_japanese() -> None:
    report = analyse(_faulty_trial_balance(), "tb.csv")
    t = Translator("ja")
    rows = [issue_row(i, t) for i in [*report.errors, *report.warnings]]
    amount = next(r for r in rows if r.code == "amount.invalid")
    assert (amount.file, amount.line, amount.column) == ("tb.csv", 6, 2)
    assert amount.message == "「33O,000」は金額として読めません"
    assert all(r.message and not re.search(r"[A-Za-z]{3,}", r.message) for r in rows)


def test_kizashi_ingest_prints_japanese_details_with_the_place(tmp_path: Path) -> None:
    path = tmp_path / "tb.csv"
    path.write_bytes(_faulty_trial_balance())
    res = CliRunner().invoke(app, ["ingest", str(path), "--dry-run"])
    assert res.exit_code == 1, res.output
    line = next(ln for ln in res.output.splitlines() if "33O,000" in ln)
    assert "tb.csv" in line and "6行目" in line and "2列目" in line
    assert "は金額として読めません" in line
    assert "not an amount" not in res.output
    assert "≠" not in res.output  # the English arithmetic is not printed
