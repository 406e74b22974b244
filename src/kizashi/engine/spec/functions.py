"""The catalogue of the expression language: operators and functions, with their types.

This is the single list a rule editor, the generated docs and the type checker read. Adding a
function means adding an entry here and its SQL in :mod:`kizashi.engine.exec.compiler`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .expr import BinOp, Call, Const, ExprError, Name, Node, Num, Type, Unary


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]  # "num", "bool", "any", "months" (integer literal), "q" (0..1 literal)
    returns: str  # "num", "bool" or "arg" (the type of the first argument)
    window: bool  # needs past months of the same business (a window over the panel)
    ja: str
    en: str


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "lag",
            ("any", "months"),
            "arg",
            True,
            "n か月前の値(欠落月は計算不可)",
            "value n months earlier (NULL if that month is missing)",
        ),
        Function(
            "change",
            ("num", "months"),
            "num",
            True,
            "n か月前からの増減 x − lag(x, n)",
            "difference x − lag(x, n)",
        ),
        Function(
            "pct_change",
            ("num", "months"),
            "num",
            True,
            "n か月前からの増減率(%) (x − lag)/|lag|×100",
            "percent change (x − lag)/|lag| × 100",
        ),
        Function(
            "rolling_sum",
            ("num", "months"),
            "num",
            True,
            "直近 n か月の合計(1 か月でも欠落なら計算不可)",
            "sum of the last n months (NULL if any is missing)",
        ),
        Function(
            "rolling_mean",
            ("num", "months"),
            "num",
            True,
            "直近 n か月の平均(1 か月でも欠落なら計算不可)",
            "mean of the last n months (NULL if any is missing)",
        ),
        Function(
            "rolling_max",
            ("num", "months"),
            "num",
            True,
            "直近 n か月の最大(欠落月は無視)",
            "largest value in the last n months (missing months ignored)",
        ),
        Function(
            "ttm",
            ("num",),
            "num",
            True,
            "直近 12 か月合計 (rolling_sum(x, 12))",
            "trailing-twelve-month sum (rolling_sum(x, 12))",
        ),
        Function(
            "ytd",
            ("num",),
            "num",
            True,
            "期首からの累計(期首以降に欠落があれば計算不可)",
            "fiscal year to date (NULL if a month is missing)",
        ),
        Function(
            "plan_to_date",
            ("num",),
            "num",
            True,
            "事業者の計画の初月からの累計(計画の期間外、または欠落があれば計算不可)",
            "sum from the first month of the business's plan (NULL outside the plan or if a month is missing)",
        ),
        Function(
            "streak",
            ("bool",),
            "num",
            True,
            "条件が連続して成り立っている月数(最大 36)",
            "consecutive months the condition holds (max 36)",
        ),
        Function(
            "months_since",
            ("bool",),
            "num",
            True,
            "条件が最後に成り立った月からの月数(なければ null)",
            "months since the condition last held (NULL if never)",
        ),
        Function(
            "peer_percentile",
            ("num",),
            "num",
            False,
            "同業種×規模×同月の中での位置 (0–100)",
            "percentile among industry × size peers that month (0–100)",
        ),
        Function(
            "peer_median",
            ("num",),
            "num",
            False,
            "同業種×規模×同月の中央値",
            "median among industry × size peers that month",
        ),
        Function(
            "peer_quantile",
            ("num", "q"),
            "num",
            False,
            "同業種×規模×同月の分位点 (q は 0–1)",
            "quantile q (0–1) among industry × size peers that month",
        ),
        Function(
            "is_null",
            ("any",),
            "bool",
            False,
            "計算不可(null)か",
            "true when the value is not computable",
        ),
        Function(
            "coalesce", ("any", "any"), "arg", False, "最初の null でない値", "first non-null value"
        ),
        Function(
            "if",
            ("bool", "any", "any"),
            "arg",
            False,
            "条件が真なら 2 番目、そうでなければ 3 番目",
            "second argument if the condition holds, else third",
        ),
        Function("abs", ("num",), "num", False, "絶対値", "absolute value"),
        Function("min", ("num", "num"), "num", False, "小さい方", "smaller of two values"),
        Function("max", ("num", "num"), "num", False, "大きい方", "larger of two values"),
    )
}

# (symbol, ja, en) — what a rule editor offers.
OPERATORS: tuple[tuple[str, str, str], ...] = (
    ("+ - * /", "四則演算(0 で割ると null)", "arithmetic (division by zero gives NULL)"),
    ("< <= > >= = == !=", "比較", "comparison"),
    ("and or not", "論理演算(null は「不明」)", "logic (NULL means unknown, SQL three-valued)"),
    ("true false null", "定数", "constants"),
)

MAX_MONTHS = 60


def check(node: Node, names: Mapping[str, Type]) -> Type:
    """Type-check ``node``; ``names`` maps every name the expression may use to its type."""
    if isinstance(node, Num):
        return "num"
    if isinstance(node, Const):
        return "any" if node.value is None else "bool"
    if isinstance(node, Name):
        if node.name not in names:
            raise ExprError(
                f"unknown name {node.name!r}{_hint(node.name, names)}", node.line, node.col
            )
        return names[node.name]
    if isinstance(node, Unary):
        t = check(node.operand, names)
        want: Type = "bool" if node.op == "not" else "num"
        _expect(t, want, node.operand, f"'{node.op}'")
        return want
    if isinstance(node, BinOp):
        lt, rt = check(node.left, names), check(node.right, names)
        if node.op in ("and", "or"):
            _expect(lt, "bool", node.left, f"'{node.op}'")
            _expect(rt, "bool", node.right, f"'{node.op}'")
            return "bool"
        if node.op in ("=", "!="):
            if "any" not in (lt, rt) and lt != rt:
                raise ExprError(f"cannot compare {lt} with {rt}", node.line, node.col)
            return "bool"
        _expect(lt, "num", node.left, f"'{node.op}'")
        _expect(rt, "num", node.right, f"'{node.op}'")
        return "bool" if node.op in ("<", "<=", ">", ">=") else "num"
    if isinstance(node, Call):
        return _check_call(node, names)
    raise ExprError("unsupported expression", node.line, node.col)


def _check_call(node: Call, names: Mapping[str, Type]) -> Type:
    fn = FUNCTIONS.get(node.fn)
    if fn is None:
        raise ExprError(
            f"unknown function {node.fn!r}{_hint(node.fn, FUNCTIONS)}", node.line, node.col
        )
    if len(node.args) != len(fn.params):
        raise ExprError(
            f"{fn.name}() takes {len(fn.params)} argument(s), got {len(node.args)}",
            node.line,
            node.col,
        )
    types: list[Type] = []
    for arg, param in zip(node.args, fn.params, strict=True):
        if param == "months":
            if not (
                isinstance(arg, Num)
                and arg.value == int(arg.value)
                and 1 <= arg.value <= MAX_MONTHS
            ):
                raise ExprError(
                    f"{fn.name}(): months must be a whole number from 1 to {MAX_MONTHS}",
                    arg.line,
                    arg.col,
                )
            types.append("num")
        elif param == "q":
            if not (isinstance(arg, Num) and 0 <= arg.value <= 1):
                raise ExprError(f"{fn.name}(): q must be a number from 0 to 1", arg.line, arg.col)
            types.append("num")
        else:
            t = check(arg, names)
            if param != "any":
                _expect(t, param, arg, f"{fn.name}()")  # type: ignore[arg-type]
            types.append(t)
    if fn.returns == "arg":
        return types[1] if fn.name == "if" else types[0]
    return fn.returns  # type: ignore[return-value]


def _expect(got: Type, want: Type, node: Node, where: str) -> None:
    if got != want and got != "any":
        word = {"num": "a number", "bool": "a condition", "any": "a value"}
        raise ExprError(f"{where} needs {word[want]}, got {word[got]}", node.line, node.col)


def _hint(name: str, known: Mapping[str, object]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
