"""The ロカベン sheet as .xlsx: 財務分析 (six indicators × three periods, scores, total, rating,
radar chart) and 非財務 (the four non-financial items), in kizashi's own layout.

The figures are the indicators API's (``gather`` reads them the same way); values are written
unrounded (the cell format rounds for display), so a reader of the file gets the API's numbers.
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.chart import RadarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from kizashi.access.monitoring import IndicatorsView, IndicatorValue
from kizashi.domain.industry import industries, prefectures
from kizashi.domain.vocabulary import Category

from .gather import LOCABEN_GROUP, DocumentData, period_label

SHEET_FIN = "財務分析"
SHEET_NONFIN = "非財務"
HEADER_ROW = 6  # 指標 | 単位 | period × (値, 評点)
FIRST_ROW = HEADER_ROW + 1
UNIT_JA = {
    "%": "%",
    "thousand_yen_per_person": "千円/人",
    "times": "倍",
    "months": "か月",
    "yen": "円",
    "points": "点",
}
NUMBER_FORMAT = {"%": "0.0", "thousand_yen_per_person": "#,##0", "times": "0.0", "months": "0.0"}
CATEGORY_JA = {
    Category.PROFILE: "基本情報",
    Category.FINANCIALS: "試算表・決算書",
    Category.FLAGS: "予兆フラグ",
    Category.QUALITATIVE: "定性・面談記録",
}
# ローカルベンチマーク's four non-financial items with the points it asks about
NON_FINANCIAL: list[tuple[str, str, list[str]]] = [
    ("manager", "経営者", ["経営者自身について(ビジョン・経営理念)", "事業の経験", "後継者の有無"]),
    (
        "business",
        "事業",
        [
            "企業及び事業沿革",
            "技術力・販売力の強み",
            "技術力・販売力の弱み",
            "IT に関する投資・活用の状況",
        ],
    ),
    (
        "environment",
        "企業を取り巻く環境・関係者",
        [
            "市場動向・規模・シェアの把握",
            "競合他社との比較",
            "顧客リピート率・新規開拓率",
            "従業員定着率",
            "取引金融機関数とその推移",
        ],
    ),
    (
        "internal",
        "内部管理体制",
        ["組織体制", "経営目標の共有状況", "社内会議の実施状況", "人事育成のやり方・システム"],
    ),
]
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)


def locaben_indicators(view: IndicatorsView) -> list[IndicatorValue]:
    return [v for v in view.values if v.group == LOCABEN_GROUP]


def _box(ws: Worksheet, row: int, col: int, value: object, *, head: bool = False) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    cell.border = BOX
    if head:
        cell.fill = HEAD_FILL
        cell.font = BOLD
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _financial(ws: Worksheet, data: DocumentData) -> None:
    ws["A1"] = "ローカルベンチマーク 財務分析"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (
        "kizashi 独自の様式です(経済産業省の公式ツールではありません)。値は試算表から kizashi が"
        "計算したもので、評点の基準は kizashi の既定値です。"
    )
    ws["A3"] = "事業者名"
    ws["B3"] = data.business_name
    p = data.profile
    if p is not None:
        industry = industries().get(p.industry_code)
        pref = prefectures().get(p.prefecture_code)
        ws["D3"] = "業種"
        ws["E3"] = industry.ja if industry is not None else p.industry_code
        ws["G3"] = "所在地"
        ws["H3"] = pref.ja if pref is not None else p.prefecture_code
    latest = data.periods[-1] if data.periods else None
    if latest is not None and latest.peer_group_label:
        ws["A4"] = "比較する同業同規模"
        ws["B4"] = latest.peer_group_label["ja"]
    _box(ws, HEADER_ROW - 1, 1, "指標", head=True)
    _box(ws, HEADER_ROW - 1, 2, "単位", head=True)
    ws.merge_cells(start_row=HEADER_ROW - 1, end_row=HEADER_ROW, start_column=1, end_column=1)
    ws.merge_cells(start_row=HEADER_ROW - 1, end_row=HEADER_ROW, start_column=2, end_column=2)
    for i, period in enumerate(data.periods):
        col = 3 + 2 * i
        _box(ws, HEADER_ROW - 1, col, period_label(period), head=True)
        _box(ws, HEADER_ROW - 1, col + 1, None, head=True)
        ws.merge_cells(
            start_row=HEADER_ROW - 1, end_row=HEADER_ROW - 1, start_column=col, end_column=col + 1
        )
        _box(ws, HEADER_ROW, col, "値", head=True)
        _box(ws, HEADER_ROW, col + 1, "評点", head=True)
    names = [v for v in locaben_indicators(latest)] if latest is not None else []
    for r, ind in enumerate(names):
        row = FIRST_ROW + r
        _box(ws, row, 1, f"{r + 1}. {ind.ja}")
        _box(ws, row, 2, UNIT_JA.get(ind.unit, ind.unit))
        for i, period in enumerate(data.periods):
            col = 3 + 2 * i
            v = next((x for x in period.values if x.id == ind.id), None)
            _box(ws, row, col, None if v is None else v.value)
            ws.cell(row=row, column=col).number_format = NUMBER_FORMAT.get(ind.unit, "0.00")
            _box(ws, row, col + 1, None if v is None else v.score)
    total_row = FIRST_ROW + len(names)
    _box(ws, total_row, 1, "総合評価点(30点満点)", head=True)
    _box(ws, total_row + 1, 1, "格付(A〜D)", head=True)
    for r in (total_row, total_row + 1):
        _box(ws, r, 2, None, head=True)
    for i, period in enumerate(data.periods):
        col = 3 + 2 * i
        ws.merge_cells(start_row=total_row, end_row=total_row, start_column=col, end_column=col + 1)
        ws.merge_cells(
            start_row=total_row + 1, end_row=total_row + 1, start_column=col, end_column=col + 1
        )
        _box(ws, total_row, col, period.locaben_total)
        _box(ws, total_row + 1, col, period.locaben_rating)
        for r in (total_row, total_row + 1):
            ws.cell(row=r, column=col).alignment = Alignment(horizontal="center")
    ws.cell(
        row=total_row + 2,
        column=1,
        value="評点は 1〜5(5 が最良)。総合評価点は六つの評点の合計で、六つすべてが採点できるときだけ"
        "格付(A: 24 点以上、B: 18〜23、C: 12〜17、D: 11 以下)を付けます。値が空欄の期は計算できませんでした。",
    )
    _radar(ws, data, names, total_row + 4)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 9
    for i in range(len(data.periods)):
        ws.column_dimensions[chr(ord("C") + 2 * i)].width = 14
        ws.column_dimensions[chr(ord("D") + 2 * i)].width = 7
    ws.sheet_view.showGridLines = False


def _radar(ws: Worksheet, data: DocumentData, names: list[IndicatorValue], top: int) -> None:
    """The radar of the scores (one series per period) from a small table of its own."""
    if not names or not data.periods:
        return
    ws.cell(row=top, column=1, value="レーダーチャート(評点)").font = BOLD
    head = top + 1
    _box(ws, head, 1, "指標", head=True)
    for i, period in enumerate(data.periods):
        _box(ws, head, 2 + i, period_label(period), head=True)
    for r, ind in enumerate(names):
        _box(ws, head + 1 + r, 1, ind.ja)
        for i, period in enumerate(data.periods):
            v = next((x for x in period.values if x.id == ind.id), None)
            _box(ws, head + 1 + r, 2 + i, None if v is None else v.score)
    chart = RadarChart()
    chart.type = "marker"
    chart.title = "ローカルベンチマーク 評点"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 5
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    refs = Reference(
        ws, min_col=2, max_col=1 + len(data.periods), min_row=head, max_row=head + len(names)
    )
    chart.add_data(refs, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=head + len(names)))
    chart.height = 9
    chart.width = 14
    ws.add_chart(chart, f"{chr(ord('B') + len(data.periods) + 1)}{top}")


def _non_financial(ws: Worksheet, data: DocumentData) -> None:
    ws["A1"] = "ローカルベンチマーク 非財務(4つの視点)"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "kizashi 独自の様式です(経済産業省の公式ツールではありません)。"
    ws["A3"] = "事業者名"
    ws["B3"] = data.business_name
    bodies = {n.item: n.body for n in data.non_financial}
    if data.non_financial:
        ws["A4"] = (
            f"支援案件で入力された非財務項目({data.non_financial[0].period} の期)を転記しています。"
        )
    else:
        ws["A4"] = "支援案件に非財務項目がまだ入力されていません。対話の場で記入してください。"
    row = 6
    for col, text in enumerate(("視点", "着眼点", "内容(対話で確認したこと)"), 1):
        _box(ws, row, col, text, head=True)
    for key, item, points in NON_FINANCIAL:
        first = row + 1
        for point in points:
            row += 1
            _box(ws, row, 1, item)
            _box(ws, row, 2, point)
            _box(ws, row, 3, None)
            ws.row_dimensions[row].height = 30
        ws.merge_cells(start_row=first, end_row=row, start_column=1, end_column=1)
        ws.merge_cells(start_row=first, end_row=row, start_column=3, end_column=3)
        ws.cell(row=first, column=1).alignment = Alignment(vertical="center", wrap_text=True)
        body = ws.cell(row=first, column=3, value=bodies.get(key))
        body.alignment = Alignment(vertical="top", wrap_text=True)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 60
    ws.sheet_view.showGridLines = False


def locaben_workbook(data: DocumentData) -> bytes:
    """The .xlsx file's bytes."""
    wb = Workbook()
    fin = wb.active
    assert fin is not None
    fin.title = SHEET_FIN
    _financial(fin, data)
    if not data.periods:
        fin.cell(
            row=FIRST_ROW, column=1, value="指標の値がまだありません(監視の実行後に作れます)。"
        )
    if data.missing:
        fin.cell(
            row=HEADER_ROW - 2,
            column=5,
            value="同意がないため省略: "
            + "、".join(CATEGORY_JA.get(c, str(c)) for c in data.missing),
        )
    _non_financial(wb.create_sheet(SHEET_NONFIN), data)
    wb.properties.title = f"ローカルベンチマーク {data.business_name}"
    wb.properties.creator = "kizashi"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
