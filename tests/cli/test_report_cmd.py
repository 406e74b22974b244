"""``kizashi report``: the accountant creates, shows, sends; the bank lists and acknowledges;
an organisation not chosen is refused; the PDF holds the figures — all in Japanese."""

from __future__ import annotations

import json
from io import BytesIO

from pypdf import PdfReader

from tests.actions.test_reports import world  # noqa: F401  (the fixture)


def test_report_commands_walk_create_send_acknowledge(cli, world, tmp_path):  # noqa: F811
    w = world
    out = cli(
        "report",
        "create",
        "--business",
        str(w.business.id),
        "--kind",
        "monitoring",
        "--period-to",
        "2025-06",
        "--plan",
        str(w.plan_id),
        "--to",
        "bank-a",
        "--comment",
        "粗利率は改善",
        "--as",
        "acct_officer",
    )
    assert out.exit_code == 0, out.output
    assert "作成しました (作成中)" in out.output
    rid = out.output.split("報告書 ")[1].split()[0]
    refused = cli(
        "report",
        "create",
        "--business",
        str(w.business.id),
        "--kind",
        "monitoring",
        "--period-to",
        "2025-06",
        "--to",
        "bank-b",
        "--as",
        "acct_officer",
    )
    assert refused.exit_code != 0 and "B信用金庫" in refused.output
    shown = cli("report", "show", "--report", rid, "--as", "acct_officer")
    assert "売上高  3,000,000  2,650,000  -350,000  2,500,000  +150,000" in shown.output
    assert "遅れ 3か月" in shown.output and "A銀行 (未送付)" in shown.output
    data = json.loads(cli("report", "show", "--report", rid, "--as", "owner", "--json").output)
    cash = next(f for f in data["figures"] if f["item"] == "cash")
    assert (cash["actual"], cash["last_year"], cash["change"]) == (5_950_000, 6_400_000, -450_000)
    sent = cli("report", "send", "--report", rid, "--as", "acct_officer")
    assert "送付しました" in sent.output and "期限 2025-10-30" in sent.output
    listed = cli("report", "list", "--as", "a_officer")
    assert f"{rid}  株式会社テスト工業  税理士によるモニタリング報告書" in listed.output
    assert "送付済" in listed.output
    assert "報告書はありません" in cli("report", "list", "--as", "cgc_officer").output
    denied = cli("report", "show", "--report", rid, "--as", "cgc_officer")
    assert denied.exit_code != 0 and "見つからない" in denied.output
    ack = cli("report", "acknowledge", "--report", rid, "--as", "a_officer")
    assert "受領済" in ack.output
    pdf_path = tmp_path / "r.pdf"
    assert (
        cli("report", "pdf", "--report", rid, "--out", str(pdf_path), "--as", "a_officer").exit_code
        == 0
    )
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf_path.read_bytes())).pages)
    text = text.replace("\n", "")
    assert "株式会社テスト工業" in text and "2,650,000円" in text and "−350,000円" in text
    assert "粗利率は改善" in text and "遅れ 3か月" in text
    for line in (shown.output, listed.output, sent.output, ack.output):
        assert "report" not in line.lower() and "draft" not in line
