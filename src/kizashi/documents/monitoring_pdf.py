"""The monitoring sheet (モニタリングシート) as a PDF of one or two A4 pages, for a meeting or a 稟議:
profile, trends (small charts), the ロカベン indicators with the peer band, open flags with their
evidence, and the last dialogue with its agreed actions.

The Japanese font (IPAexGothic, shipped in ``fonts/``) is embedded as a subset, so the file is
made without a network and reads the same everywhere.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kizashi.access.monitoring import FlagView, IndicatorValue
from kizashi.domain.industry import industries, prefectures

from .gather import DocumentData, period_label
from .locaben_xlsx import CATEGORY_JA, UNIT_JA, locaben_indicators

FONT = "IPAexGothic"
MAX_FLAGS = 8  # the most severe and newest open flags: the sheet stays within two pages
SEVERITY_JA = {"critical": "重大", "high": "高", "medium": "中", "low": "低"}
PURPOSE_JA = {
    "monitoring": "期中管理",
    "credit_review": "与信審査",
    "support": "経営支援",
}
CHANNEL_JA = {
    "visit": "訪問",
    "office": "来店・来所",
    "phone": "電話",
    "online": "オンライン",
    "other": "その他",
}
PARTY_JA = {"owner": "事業者", "officer": "当組織", "accountant": "税理士等", "other": "その他"}
TRENDS = (
    ("sales", "売上高(月)"),
    ("operating_profit", "営業利益(月)"),
    ("cash_and_deposits", "現金及び預金(月末)"),
)


@cache
def register_font() -> str:
    path = resources.files("kizashi.documents").joinpath("fonts/ipaexg.ttf")
    with resources.as_file(path) as p:
        pdfmetrics.registerFont(TTFont(FONT, str(p)))  # subset-embedded by reportlab
    return FONT


def yen(amount: int | None) -> str:
    if amount is None:
        return "—"
    return f"{'−' if amount < 0 else ''}{abs(amount):,}円"


DECIMALS = {"%": 1, "months": 1, "years": 1, "times": 1, "points": 0, "thousand_yen_per_person": 0}


def figure(v: IndicatorValue | None) -> str:
    """An indicator's value as the business page prints it (``web.i18n.format_indicator``'s
    Japanese form): 12.3% / 3.4か月 / 2,450千円/人; none as —."""
    if v is None or v.value is None:
        return "—"
    sign = "−" if v.value < 0 else ""
    return f"{sign}{abs(v.value):,.{DECIMALS.get(v.unit, 2)}f}{UNIT_JA.get(v.unit, v.unit)}"


def band(v: IndicatorValue) -> str:
    if v.peer_p25 is None or v.peer_p75 is None or v.peer_median is None:
        return "—"
    d = DECIMALS.get(v.unit, 2)
    return (
        f"{v.peer_p25:,.{d}f}〜{v.peer_p75:,.{d}f}{UNIT_JA.get(v.unit, v.unit)}"
        f"(中央値 {v.peer_median:,.{d}f})"
    )


def _styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=8.5, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10),
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=20),
        "h": ParagraphStyle(
            "h", parent=base, fontSize=10.5, leading=15, spaceBefore=6, textColor=colors.navy
        ),
    }


def _table(rows: list[list[Any]], widths: list[float], *, head: bool = True) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1 if head else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if head:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")))
    t.setStyle(TableStyle(style))
    return t


def _chart(data: DocumentData, key: str, title: str) -> Drawing:
    d = Drawing(58 * mm, 36 * mm)
    d.add(String(2, 36 * mm - 9, title, fontName=FONT, fontSize=8))
    points = [
        (i, p.values.get(key)) for i, p in enumerate(data.monthly) if p.values.get(key) is not None
    ]
    if len(points) < 2:
        d.add(String(2, 12 * mm, "データ不足", fontName=FONT, fontSize=8))
        return d
    lp = LinePlot()
    lp.x, lp.y = 8 * mm, 6 * mm
    lp.width, lp.height = 48 * mm, 24 * mm
    lp.data = [[(float(x), float(y) / 10_000) for x, y in points]]  # type: ignore[arg-type]
    lp.lines[0].strokeColor = colors.navy
    lp.xValueAxis.visible = False
    lp.yValueAxis.labels.fontName = FONT
    lp.yValueAxis.labels.fontSize = 6
    d.add(lp)
    first, last = data.monthly[0].month, data.monthly[-1].month
    d.add(
        String(
            8 * mm,
            0,
            f"{first.year}年{first.month}月〜{last.year}年{last.month}月(万円)",
            fontName=FONT,
            fontSize=6,
        )
    )
    return d


def monitoring_sheet_pdf(data: DocumentData, *, made_on: date | None = None) -> bytes:
    """The PDF's bytes."""
    st = _styles()
    made_on = made_on or date.today()
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"モニタリングシート {data.business_name}",
        author="kizashi",
    )
    width = A4[0] - 28 * mm
    story: list[Any] = [
        Paragraph(f"モニタリングシート　{data.business_name}", st["title"]),
        Paragraph(
            f"作成日 {made_on.year}年{made_on.month}月{made_on.day}日・利用目的 "
            f"{PURPOSE_JA.get(str(data.purpose), str(data.purpose))}・kizashi 独自の様式"
            "(同意に基づいて読み、閲覧は監査記録に残ります)",
            st["small"],
        ),
    ]
    if data.missing:
        story.append(
            Paragraph(
                "同意がないため省略した項目: "
                + "、".join(CATEGORY_JA.get(c, str(c)) for c in data.missing),
                st["small"],
            )
        )

    # profile
    story.append(Paragraph("1. 事業者の概要", st["h"]))
    p = data.profile
    if p is not None:
        ind = industries().get(p.industry_code)
        pref = prefectures().get(p.prefecture_code)
        rows = [
            ["法人番号", p.corporate_number or "—", "業種", ind.ja if ind else p.industry_code],
            [
                "所在地",
                pref.ja if pref else p.prefecture_code,
                "決算月",
                f"{p.fiscal_year_end_month}月",
            ],
            [
                "従業員",
                "—" if p.employees is None else f"{p.employees}人",
                "資本金",
                yen(p.capital_yen),
            ],
        ]
        story.append(_table(rows, [22 * mm, width / 2 - 22 * mm] * 2, head=False))
    else:
        story.append(Paragraph("基本情報を見る同意がありません。", st["base"]))

    # trends
    story.append(Paragraph("2. 推移(試算表の月次)", st["h"]))
    if data.monthly:
        charts = Table([[_chart(data, k, t) for k, t in TRENDS]], colWidths=[width / 3] * 3)
        story.append(charts)
        last = data.monthly[-1]
        story.append(
            _table(
                [
                    [f"{last.month.year}年{last.month.month}月"] + [t for _, t in TRENDS],
                    ["金額"] + [yen(last.values.get(k)) for k, _ in TRENDS],
                ],
                [width / 4] * 4,
            )
        )
    else:
        story.append(Paragraph("月次の試算表がありません。", st["base"]))

    # ロカベン with the peer band
    story.append(Paragraph("3. ローカルベンチマーク(同業同規模との比較)", st["h"]))
    latest = data.periods[-1] if data.periods else None
    if latest is None:
        story.append(Paragraph("指標の値がまだありません。", st["base"]))
    else:
        peer = latest.peer_group_label["ja"] if latest.peer_group_label else "—"
        story.append(
            Paragraph(
                f"{period_label(latest)}時点・比較する同業同規模: {peer}・総合評価点 "
                f"{'—' if latest.locaben_total is None else latest.locaben_total}点・格付 "
                f"{latest.locaben_rating or '—'}",
                st["base"],
            )
        )
        rows = [["指標", "値", "評点", "同業同規模の中位50%", "順位(下位から)"]]
        for v in locaben_indicators(latest):
            rows.append(
                [
                    v.ja,
                    figure(v),
                    "—" if v.score is None else str(v.score),
                    band(v),
                    "—" if v.peer_percentile is None else f"{v.peer_percentile}%",
                ]
            )
        story.append(_table(rows, [48 * mm, 28 * mm, 14 * mm, 58 * mm, width - 148 * mm]))

    # flags
    story.append(Paragraph("4. 未対応の予兆フラグと根拠", st["h"]))
    if data.flags is None:
        story.append(Paragraph("予兆フラグを見る同意がありません。", st["base"]))
    else:
        open_flags: list[FlagView] = [f for f in data.flags if f.is_open]
        if not open_flags:
            story.append(Paragraph("未対応の予兆フラグはありません。", st["base"]))
        for f in open_flags[:MAX_FLAGS]:
            opened = f.opened_month
            story.append(
                Paragraph(
                    f"■ [{SEVERITY_JA.get(f.severity, f.severity)}] {f.title['ja']}"
                    f"({f.category}・{opened.year}年{opened.month}月から)",
                    st["base"],
                )
            )
            # the explanation quotes the evidence's numbers in words (the raw keys are codes)
            story.append(Paragraph(f"根拠: {f.explanation['ja']}", st["small"]))
            story.append(Paragraph(f"次の一手: {f.next_step['ja']}", st["small"]))

        if len(open_flags) > MAX_FLAGS:
            story.append(
                Paragraph(
                    f"ほか {len(open_flags) - MAX_FLAGS} 件(事業者ページで確認できます)。",
                    st["small"],
                )
            )

    # dialogue
    story.append(Paragraph("5. 前回の対話と合意した行動", st["h"]))
    d = data.dialogue
    if d is None:
        story.append(Paragraph("読める面談記録はまだありません。", st["base"]))
    else:
        story.append(
            Paragraph(
                f"{d.held_on.year}年{d.held_on.month}月{d.held_on.day}日・"
                f"{CHANNEL_JA.get(d.channel, d.channel)}"
                + (f"({d.place})" if d.place else "")
                + (f"・出席: {'、'.join(d.attendees)}" if d.attendees else ""),
                st["base"],
            )
        )
        story.append(Paragraph(f"話し合ったこと: {d.topics}", st["small"]))
        if d.owner_said:
            story.append(Paragraph(f"経営者の話: {d.owner_said}", st["small"]))
        if d.actions:
            rows = [["合意した行動", "担当", "期限", "完了"]]
            for a in d.actions:
                rows.append(
                    [
                        Paragraph(a.what, st["small"]),
                        PARTY_JA.get(a.party, a.party),
                        "—" if a.due_on is None else f"{a.due_on:%Y-%m-%d}",
                        "—" if a.done_on is None else f"{a.done_on:%Y-%m-%d}",
                    ]
                )
            story.append(_table(rows, [width - 76 * mm, 24 * mm, 26 * mm, 26 * mm]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            "指標は kizashi が試算表から計算した値で、評点の基準は kizashi の既定値です"
            "(公式の表ではありません)。",
            st["small"],
        )
    )
    doc.build(story)
    return out.getvalue()
