"""Indicators declared once, as data (``data/indicators.yaml``), and the names a formula may use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from kizashi.domain.bank_features import BANK_FEATURE_COLUMNS, BANK_FEATURES
from kizashi.domain.chart import Chart, load_chart
from kizashi.domain.panel import LOAN_BALANCE_COLUMNS
from kizashi.domain.plans import PLAN_FEATURE_COLUMNS, PLAN_FEATURES

from .expr import ExprError, Node, Type, parse
from .functions import check

# Columns the prepared panel offers besides chart items: (name, type, ja, en).
PANEL_NAMES: tuple[tuple[str, Type, str, str], ...] = (
    ("employees", "num", "従業員数", "Number of employees"),
    (
        "late_corrections",
        "num",
        "次の月の試算表を出した後に差し替えられた過去の月の試算表の数(差し替えが届いた時点の最新月の行)",
        "past months' trial balances replaced after a later month was delivered "
        "(on the row of the latest month delivered when the correction arrived)",
    ),
    (
        "late_correction_yen",
        "num",
        "その差し替えで最も大きく変わった科目の変化額(円、絶対値)",
        "the largest change in one item made by those corrections (yen, absolute)",
    ),
    ("has_data", "bool", "その月の試算表がある", "the business supplied data for the month"),
    (
        "span",
        "num",
        "その行の損益が対象とする月数(月次 1、決算書 12、未提出 0)",
        "months the row's P/L flows cover (1 monthly, 12 for an annual statement, 0 for a gap)",
    ),
    (
        "restructuring_events",
        "num",
        "その月の条件変更の件数",
        "restructurings (条件変更) in the month",
    ),
    ("delinquency_events", "num", "その月の延滞の件数", "delinquencies (延滞) in the month"),
    (
        "accident_report_events",
        "num",
        "その月の事故報告の件数",
        "accident reports (事故報告) in the month",
    ),
    ("subrogation_events", "num", "その月の代位弁済の件数", "subrogations (代位弁済) in the month"),
    (
        "max_days_past_due",
        "num",
        "その月の最大延滞日数",
        "largest days past due reported in the month",
    ),
    (
        "loan_balance",
        "num",
        "月末の借入残高(金融機関の記録: 当初金額 − 返済済元金、円)",
        "loan principal outstanding at month end per the lenders' records (yen)",
    ),
    (
        "guaranteed_balance",
        "num",
        "月末の保証債務残高(保証付融資の残高 × 保証割合、円)",
        "guaranteed exposure at month end: outstanding guaranteed principal × guarantee ratio (yen)",
    ),
)
# money that moved (``domain.bank_features``): joined when a rule reads them
PANEL_NAMES += tuple((n, "num", ja, en) for n, ja, en in BANK_FEATURES)
BANK_FEATURE_NAMES = BANK_FEATURE_COLUMNS
# the business's plan (``domain.plans.PLAN_FEATURES``): joined when a rule reads them
PANEL_NAMES += tuple((n, "num", ja, en) for n, ja, en in PLAN_FEATURES)
PLAN_FEATURE_NAMES = PLAN_FEATURE_COLUMNS
EVENT_KINDS = ("restructuring", "delinquency", "accident_report", "subrogation")
LOAN_BALANCE_NAMES = LOAN_BALANCE_COLUMNS  # from ``loan_balances`` (domain.panel)
UNITS = {"%", "months", "years", "times", "yen", "thousand_yen_per_person", "bool", "points"}


@dataclass(frozen=True)
class Indicator:
    id: str
    ja: str
    en: str
    unit: str
    better: str  # higher | lower | none
    group: str  # locaben | monitoring | trend | score
    formula: str
    node: Node | None  # None for engine-generated scores
    type: Type
    locaben: int | None = None
    # locaben only: the score where the indicator is null (kizashi's default, e.g. EBITDA ≤ 0);
    # an expression that is itself null where no score is given
    score_if_null: str | None = None
    score_if_null_node: Node | None = None
    # engine-generated (group ``score``): the 5-point score of the indicator ``score_of``, or
    # the sum of the scores ``sum_of`` (null unless all are scorable), the total the A–D rating
    # grades. The executor reads these fields, never an indicator's id.
    score_of: str | None = None
    sum_of: tuple[str, ...] = ()


def locaben_score_id(indicator_id: str) -> str:
    return f"score_{indicator_id}"


def rated_total(indicators: tuple[Indicator, ...]) -> Indicator:
    """The indicator the ロカベン A–D rating grades: the declared sum of the six scores."""
    return next(i for i in indicators if i.sum_of)


@cache
def load_indicators() -> tuple[Indicator, ...]:
    text = (
        resources.files("kizashi.engine.spec").joinpath("data/indicators.yaml").read_text("utf-8")
    )
    return parse_indicators(yaml.safe_load(text), load_chart())


def parse_indicators(doc: dict, chart: Chart) -> tuple[Indicator, ...]:
    """Parse and type-check the declarations; all problems are reported together."""
    names: dict[str, Type] = {i.code: "num" for i in chart.items}
    names.update({n: t for n, t, _, _ in PANEL_NAMES})
    out: list[Indicator] = []
    problems: list[str] = []
    raw = doc.get("indicators") or []
    locaben = [r for r in raw if r.get("locaben")]
    # scores are generated from the six locaben indicators; formulas may use them
    for r in locaben:
        names[locaben_score_id(r["id"])] = "num"
    names["locaben_total"] = "num"
    for r in raw:
        iid = r.get("id", "?")
        try:
            if iid in names:
                raise ExprError(f"id {iid!r} is already a chart item, panel column or indicator")
            if r.get("unit") not in UNITS:
                raise ExprError(f"unit must be one of {sorted(UNITS)}")
            if r.get("better") not in ("higher", "lower", "none"):
                raise ExprError("better must be higher, lower or none")
            node = parse(r["formula"])
            typ = check(node, names)
            fallback = r.get("score_if_null")
            fallback_node = parse(fallback) if fallback else None
            if fallback_node is not None and (
                not r.get("locaben") or check(fallback_node, names) != "num"
            ):
                raise ExprError("score_if_null is a number expression of a locaben indicator")
        except (ExprError, KeyError) as exc:
            problems.append(f"indicator {iid}: {exc}")
            continue
        names[iid] = typ
        out.append(
            Indicator(
                iid,
                r["ja"],
                r["en"],
                r["unit"],
                r["better"],
                r["group"],
                r["formula"],
                node,
                typ,
                r.get("locaben"),
                fallback,
                fallback_node,
            )
        )
    if problems:
        raise ValueError("invalid indicators:\n" + "\n".join(problems))
    six = sorted((i for i in out if i.locaben), key=lambda i: i.locaben or 0)
    if [i.locaben for i in six] != [1, 2, 3, 4, 5, 6]:
        raise ValueError(
            "indicators: exactly one indicator for each locaben number 1–6 is required"
        )
    scores = [
        Indicator(
            locaben_score_id(i.id),
            f"{i.ja}(評点)",
            f"{i.en} (score)",
            "points",
            "higher",
            "score",
            f"5-point score of {i.id}"
            + (f"; where it is null: {i.score_if_null}" if i.score_if_null else ""),
            None,
            "num",
            score_of=i.id,
        )
        for i in six
    ]
    total = Indicator(
        "locaben_total",
        "ロカベン総合評価点",
        "LocalBenchmark total score",
        "points",
        "higher",
        "score",
        "sum of the six scores (null unless all six are scorable)",
        None,
        "num",
        sum_of=tuple(sc.id for sc in scores),
    )
    # scores come right after the six so later indicators may use them
    pos = max(out.index(i) for i in six) + 1
    return (*out[:pos], *scores, total, *out[pos:])


def name_types(chart: Chart | None = None) -> dict[str, Type]:
    """Every name a rule condition may use, with its type (parameters excluded)."""
    chart = chart or load_chart()
    names: dict[str, Type] = {i.code: "num" for i in chart.items}
    names.update({n: t for n, t, _, _ in PANEL_NAMES})
    names.update({i.id: i.type for i in load_indicators()})
    return names
