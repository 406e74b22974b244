"""A report on a business (計画の進捗報告・税理士によるモニタリング報告書) as a one-page A4 PDF:
who wrote it for whom, the period's figures against the plan and last year (exact yen), the
period's submission timeliness and the author's comments. kizashi's own layout.

The same embedded Japanese font as the monitoring sheet (``monitoring_pdf.register_font``):
made without a network, readable everywhere.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from kizashi.access.reports import ReportDetail
from kizashi.domain.plans import ITEM_JA
from kizashi.domain.reports import (
    REPORT_CADENCE_JA,
    REPORT_KIND_JA,
    REPORT_STATUS_JA,
    ReportCadence,
    ReportKind,
    ReportStatus,
    months_of,
    period_label,
)

from .monitoring_pdf import _styles, _table, yen


def _day(d: date | None) -> str:
    return "—" if d is None else f"{d.year}年{d.month}月{d.day}日"


def _signed(amount: int | None) -> str:
    if amount is None:
        return "—"
    return ("+" if amount > 0 else "") + yen(amount)


def report_pdf(detail: ReportDetail, *, made_on: date | None = None) -> bytes:
    """The PDF's bytes."""
    st = _styles()
    made_on = made_on or date.today()
    row = detail.row
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{row.title} {row.business_name}",
        author="kizashi",
    )
    width = A4[0] - 32 * mm
    kind = REPORT_KIND_JA[ReportKind(row.kind)]
    sent_to = "、".join(r.org_name for r in detail.recipients) or "—"
    story: list[Any] = [
        Paragraph(f"{kind}　{row.business_name}", st["title"]),
        Paragraph(
            f"対象期間 {period_label(row.period_from, row.period_to)}・作成 {row.author_org_name}"
            f"・送付先 {sent_to}・状態 {REPORT_STATUS_JA[ReportStatus(row.status)]}"
            f"・頻度 {REPORT_CADENCE_JA[ReportCadence(row.cadence)]}・出力日 {_day(made_on)}",
            st["small"],
        ),
        Paragraph(
            "kizashi 独自の様式。数値は作成時点の試算表から取り出した写しで、送付後は変わりません"
            "(事業者の試算表・決算書の同意に基づいて送付・閲覧され、閲覧は監査記録に残ります)。",
            st["small"],
        ),
    ]
    story.append(Paragraph("1. 期間の実績と計画・前年同期との比較", st["h"]))
    plan = (
        f"比較する計画: {detail.plan_title}(第{detail.plan_version}版)"
        if detail.plan_title
        else "比較する計画: なし(前年同期との比較のみ)"
    )
    story.append(Paragraph(plan, st["base"]))
    rows: list[list[Any]] = [["項目", "計画", "実績", "計画との差", "前年同期", "前年同期との差"]]
    for f in detail.figures:
        rows.append(
            [
                ITEM_JA[f.item],
                yen(f.plan),
                yen(f.actual),
                _signed(f.deviation),
                yen(f.last_year),
                _signed(f.change),
            ]
        )
    story.append(_table(rows, [26 * mm] + [(width - 26 * mm) / 5] * 5))
    story.append(
        Paragraph(
            "売上高・売上総利益・営業利益は期間の合計、現預金・借入金は期間の最終月末の残高。"
            "— は値がないこと(0 ではありません)。",
            st["small"],
        )
    )
    story.append(Paragraph("2. 試算表の提出状況(記帳の適時性)", st["h"]))
    t = detail.timeliness
    story.append(
        Paragraph(
            f"期間の{len(months_of(row.period_from, row.period_to))}か月のうち 期限内 {t.on_time}か月・遅れ {t.late}か月"
            f"・未提出 {t.missing}か月",
            st["base"],
        )
    )
    story.append(Paragraph("3. 所見・コメント", st["h"]))
    story.append(Paragraph(detail.comment or "(コメントはありません)", st["base"]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            f"数値の取得 {_day(detail.figures_at.date())}・送付"
            f" {_day(row.sent_at.date() if row.sent_at else None)}・期限 {_day(row.due_on)}",
            st["small"],
        )
    )
    doc.build(story)
    return out.getvalue()
